"""Writing build results: atomic files and the JSON manifest.

A run that fails half-way must leave the previous digest intact, so every
file is written to a temporary file beside its target and moved into place
only when all of them are ready.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ExportError
from .models import Digest, Entry, Rendered, Section

HTML_NAME = "digest.html"
TEXT_NAME = "digest.txt"
MANIFEST_NAME = "digest.json"


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


def write_build(folder: Path, digest: Digest, rendered: Rendered) -> tuple[Path, ...]:
    return write_files(
        folder,
        {
            HTML_NAME: rendered.html,
            TEXT_NAME: rendered.text,
            MANIFEST_NAME: to_json(manifest(digest)),
        },
    )


def read_build(path: Path) -> tuple[str, str, dict[str, Any] | None]:
    """(html, text, manifest or None) of a built digest: a folder or an HTML file.

    For a file ``x.html`` the text part is its sibling ``x.txt`` and the
    manifest ``x.json`` when present (a folder holds ``digest.*``).
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
        html = html_path.read_text(encoding="utf-8")
        text = text_path.read_text(encoding="utf-8")
        data = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"cannot read the digest: {exc}", where=str(path)) from None
    return html, text, data if isinstance(data, dict) else None
