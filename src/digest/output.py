"""Writing build results: atomic files and the JSON manifest.

A run that fails half-way must leave the previous digest intact, so every
file is written to a temporary file beside its target and moved into place
only when all of them are ready.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import ExportError
from .models import Digest, Entry, Rendered, Section

HTML_NAME = "digest.html"
TEXT_NAME = "digest.txt"
MANIFEST_NAME = "digest.json"


# Edition names and ledger ids become folder names: letters, digits, "-", "_" and ".",
# never "." first (so neither ".." nor a hidden file), at most 200 characters.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


def is_safe_name(name: object) -> bool:
    """Whether ``name`` may be used as one path segment inside an output folder."""
    return isinstance(name, str) and _SAFE_NAME.fullmatch(name) is not None


SAFE_NAME_RULE = 'letters, digits, "-", "_" and "." (not first), at most 200 characters'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_join(folder: Path, name: str) -> Path:
    """``folder/name``, refusing any name that would land outside ``folder``."""
    base = folder.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise ExportError(f"refusing to write outside the output folder: {name!r}", where=str(base))
    return target


def write_files(folder: Path, contents: Mapping[str, str]) -> tuple[Path, ...]:
    """Write ``{name: text}`` into ``folder`` all-or-nothing (as far as a file system allows)."""
    return write_binary(folder, {name: text.encode("utf-8") for name, text in contents.items()})


def write_binary(
    folder: Path, contents: Mapping[str, bytes], *, durable: bool = True
) -> tuple[Path, ...]:
    """Write ``{name: bytes}`` into ``folder``: each to a temporary file, then all moved in place.

    The one way digest writes a file, so that a crash or a full disk never
    leaves half a file behind. Names may contain "/" (``export/listmonk.json``)
    but never leave ``folder``. ``durable=False`` skips the fsync, for caches
    that are cheap to lose.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"cannot create the output folder: {exc.strerror}", where=str(folder)
        ) from None
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in contents.items():
            target = safe_join(folder, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((tmp, target))
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        raise ExportError(f"cannot write: {exc}", where=str(folder)) from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return tuple(target for _, target in staged)


def manifest(digest: Digest) -> dict[str, Any]:
    """The machine-readable description of a digest (the ``digest.json`` contract).

    Posts collapsed to fit the size budget appear as a last section titled
    like the email's list (``more_title``).
    """
    sections = list(digest.sections)
    if digest.more:
        sections.append(Section(title=digest.more_title, entries=(), more=digest.more))

    def post(entry: Entry, shown: str) -> dict[str, Any]:
        return {
            "title": entry.post.title,
            "url": entry.post.url,
            "date": entry.post.date.isoformat(),
            "author": entry.post.author,
            "categories": list(entry.post.categories),
            "excerpt": entry.excerpt,
            "source": entry.post.source,
            "shown": shown,
        }

    full = len(digest.full_entries)
    return {
        "edition": digest.edition,
        "subject": digest.subject,
        "preheader": digest.preheader,
        "window": {
            "since": digest.window.since.isoformat(),
            "until": digest.window.until.isoformat(),
        },
        # What the email carries: every post below is sent (and recorded as sent),
        # "excerpt" ones in full, "link" ones as a title and link.
        "counts": {
            "posts": len(digest.entries),
            "excerpts": full,
            "links": len(digest.entries) - full,
        },
        "sections": [
            {
                "title": section.title,
                "posts": [post(e, "excerpt") for e in section.entries]
                + [post(e, "link") for e in section.more],
            }
            for section in sections
        ],
    }


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_build(folder: Path, digest: Digest, rendered: Rendered) -> tuple[Path, ...]:
    """Write the three files of a build; the manifest, written last, vouches for the others.

    It records the SHA-256 of both parts, so a reader can tell a consistent
    set from one a crash left mixed (a new digest.html beside an old
    digest.txt: the files are moved into place one by one, the manifest last).
    """
    html, text = rendered.html.encode("utf-8"), rendered.text.encode("utf-8")
    data = {
        **manifest(digest),
        "html_sha256": sha256_bytes(html),
        "text_sha256": sha256_bytes(text),
    }
    return write_binary(
        folder,
        {HTML_NAME: html, TEXT_NAME: text, MANIFEST_NAME: to_json(data).encode("utf-8")},
    )


def read_build(path: Path) -> tuple[str, str, dict[str, Any] | None]:
    """(html, text, manifest or None) of a built digest: a folder or an HTML file.

    For a file ``x.html`` the text part is its sibling ``x.txt`` and the
    manifest ``x.json`` when present (a folder holds ``digest.*``). The one
    way digest reads a build: a manifest is checked for shape and types, and
    the parts must be the ones it records, or this refuses them.
    """
    html_path = path / HTML_NAME if path.is_dir() else path
    if not html_path.is_file():
        raise ExportError(
            "no digest found: expected a folder with digest.html or an .html file", where=str(path)
        )
    text_path = html_path.with_suffix(".txt")
    json_path = html_path.with_suffix(".json")
    if not text_path.is_file():
        raise ExportError(
            f"the text part {text_path.name} is missing beside {html_path.name}", where=str(path)
        )
    try:
        html_bytes = html_path.read_bytes()
        text_bytes = text_path.read_bytes()
        raw = json_path.read_bytes() if json_path.is_file() else None
        html, text = html_bytes.decode("utf-8"), text_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read the digest: {exc}", where=str(path)) from None
    if raw is None:
        return html, text, None
    data = read_manifest(raw, json_path)
    for part, data_bytes, key in (
        (html_path, html_bytes, "html_sha256"),
        (text_path, text_bytes, "text_sha256"),
    ):
        if sha256_bytes(data_bytes) != data[key]:
            raise ExportError(
                f"{part.name} is not the one {json_path.name} records: the files are not from "
                "one build (interrupted while writing, or edited since); build again",
                where=str(path),
            )
    return html, text, data


def read_manifest(raw: bytes, where: Path) -> dict[str, Any]:
    """A manifest's JSON, checked: any damage is one :class:`ExportError` naming the file."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ExportError(f"not a digest manifest: {problem}", where=str(where)) from None
    try:
        return validate_manifest(data)
    except ValueError as exc:
        hint = None
        if isinstance(data, dict) and not {"html_sha256", "text_sha256"} <= data.keys():
            hint = "written by an older digest? build again"
        raise ExportError(
            f"not a valid digest manifest: {exc}", where=str(where), hint=hint
        ) from None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    kind = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    name = kind.get(type(value), "a number" if isinstance(value, int | float) else "?")
    shown = repr(value)
    return f"{name} {shown if len(shown) <= 40 else shown[:39] + '…'}"


def _expect(value: Any, kind: type, label: str) -> Any:
    if not isinstance(value, kind):
        wanted = {"dict": "an object", "list": "a list", "str": "text"}[kind.__name__]
        raise ValueError(f"{label}: expected {wanted}, found {_describe(value)}")
    return value


def _iso(value: Any, label: str, parse: Any) -> None:
    text = _expect(value, str, label)
    try:
        parse(text)
    except ValueError:
        raise ValueError(f"{label}: not an ISO date, found {_describe(value)}") from None


def validate_manifest(data: Any) -> dict[str, Any]:
    """``data`` if it has the shape :func:`manifest` writes, else ``ValueError`` naming the key.

    Keys this version does not know are allowed (a newer digest may add some).
    """
    obj: dict[str, Any] = _expect(data, dict, "the manifest")
    edition = _expect(obj.get("edition"), str, "edition")
    if not is_safe_name(edition):
        raise ValueError(f"edition {edition!r} is not a valid name ({SAFE_NAME_RULE})")
    _expect(obj.get("subject"), str, "subject")
    _expect(obj.get("preheader", ""), str, "preheader")
    window = _expect(obj.get("window"), dict, "window")
    for key in ("since", "until"):
        _iso(window.get(key), f"window.{key}", date.fromisoformat)
    for i, section in enumerate(_expect(obj.get("sections"), list, "sections")):
        label = f"sections[{i}]"
        _expect(_expect(section, dict, label).get("title"), str, f"{label}.title")
        for j, post in enumerate(_expect(section.get("posts"), list, f"{label}.posts")):
            where = f"{label}.posts[{j}]"
            _expect(post, dict, where)
            for key in ("title", "url"):
                _expect(post.get(key), str, f"{where}.{key}")
            for key in ("author", "excerpt", "source"):
                _expect(post.get(key, ""), str, f"{where}.{key}")
            if "date" in post:
                _iso(post["date"], f"{where}.date", datetime.fromisoformat)
            for n, category in enumerate(_expect(post.get("categories", []), list, where)):
                _expect(category, str, f"{where}.categories[{n}]")
    for key in ("html_sha256", "text_sha256"):
        value = _expect(obj.get(key), str, key)
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError(f"{key}: expected a SHA-256 in hex, found {_describe(value)}")
    return obj
