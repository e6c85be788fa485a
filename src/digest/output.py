"""Writing build results: atomic files and the JSON manifest.

A run that fails half-way must leave the previous digest intact, so every
file is written to a temporary file beside its target and moved into place
only when all of them are ready.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ExportError
from .manifest import Manifest
from .models import Digest, Rendered

HTML_NAME = "digest.html"
TEXT_NAME = "digest.txt"
MANIFEST_NAME = "digest.json"


# Edition names and ledger ids become folder names: letters, digits, "-", "_" and ".",
# never "." first (so neither ".." nor a hidden file), at most 200 characters.
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
    folder: Path, contents: Mapping[str, bytes | bytearray], *, durable: bool = True
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
    record = Manifest.from_digest(
        digest, html_sha256=sha256_bytes(html), text_sha256=sha256_bytes(text)
    )
    return write_binary(
        folder, {HTML_NAME: html, TEXT_NAME: text, MANIFEST_NAME: record.dumps().encode("utf-8")}
    )


def read_build(path: Path) -> tuple[str, str, Manifest | None]:
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
        if sha256_bytes(data_bytes) != getattr(data, key):
            raise ExportError(
                f"{part.name} is not the one {json_path.name} records: the files are not from "
                "one build (interrupted while writing, or edited since); build again",
                where=str(path),
            )
    return html, text, data


def read_manifest(raw: bytes, where: Path) -> Manifest:
    """A manifest, checked: any damage is one :class:`ExportError` naming the file."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ExportError(f"not a digest manifest: {problem}", where=str(where)) from None
    try:
        return Manifest.from_json(data)
    except ValueError as exc:
        hint = None
        if isinstance(data, dict) and not {"html_sha256", "text_sha256"} <= data.keys():
            hint = "written by an older digest? build again"
        raise ExportError(
            f"not a valid digest manifest: {exc}", where=str(where), hint=hint
        ) from None
