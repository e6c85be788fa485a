"""``--browser`` and ``--compare`` for the matrix: layouts in Chromium, pixels against a base.

Each rendered cell is laid out at 375, 600 and 1024 px in the light and the
dark scheme with the probes of :mod:`digest.browser` (overflow, column width,
text size on a phone, the contrast of every text, a dark page where dark is
offered), and photographed for the report. ``compare`` reads an earlier
report's ``manifest.json`` as hostile input: a bounded file, names that stay
inside its folder, images of bounded size.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..browser import (
    COLOURS_JS,
    INSTALL_HINT,
    LAYOUT_JS,
    SCHEMES,
    WIDTHS,
    BrowserError,
    chromium,
    colour_problems,
    layout_problems,
    offline,
)
from ..errors import DigestError
from .matrix import CellResult
from .model import Finding, Severity

Shots = dict[str, dict[str, bytes]]  # cell name → "375-light" → PNG
SEVERITY: dict[str, Severity] = {"browser-text-size": "warning"}  # the rest are errors
PIXEL_RULE = "pixels"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "digest-check-matrix"
MANIFEST_MAX_BYTES = 2_000_000
IMAGE_MAX_BYTES = 20_000_000
IMAGE_MAX_SIDE = (2048, 40_000)  # width, height: a full-page shot of a long email
CHANGED_LEVEL = 24  # a channel difference above this counts as a changed pixel
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.png")


def shot_key(width: int, scheme: str) -> str:
    return f"{width}-{scheme}"


def lay_out(results: Sequence[CellResult], *, screenshots: bool) -> tuple[list[CellResult], Shots]:
    """Each rendered cell in Chromium at every width and scheme: findings and screenshots.

    Playwright's sync API refuses to start in a thread whose asyncio loop is
    running (a notebook, an async caller, another Playwright session): the
    browser work runs on a thread of its own, and its errors come back here.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-browser") as pool:
        return pool.submit(_lay_out, results, screenshots).result()


def _lay_out(results: Sequence[CellResult], screenshots: bool) -> tuple[list[CellResult], Shots]:
    out: list[CellResult] = []
    shots: Shots = {}
    found: dict[str, list[Finding]] = {r.name: [] for r in results}
    with chromium() as browser:
        # One page for everything: a new page costs about a second, a new viewport nothing.
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
        try:
            page.route("**/*", offline)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                for result in results:
                    if result.html:
                        found[result.name] += _probe(page, result, width, shots, screenshots)
        finally:
            page.close()
    for result in results:
        out.append(result.with_findings(found[result.name]))
    return out, shots


def _probe(
    page: Any, result: CellResult, width: int, shots: Shots, screenshots: bool
) -> list[Finding]:
    """One cell at one width, in each scheme: what the probes find (and its screenshots)."""
    found: list[Finding] = []
    page.emulate_media(color_scheme="light")
    page.set_content(result.html, wait_until="load")
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        problems = colour_problems(page.evaluate(COLOURS_JS), width, scheme)
        if scheme == "light":
            problems = layout_problems(page.evaluate(LAYOUT_JS), width) + problems
        found += [
            Finding(
                rule=p.rule,
                severity=SEVERITY.get(p.rule, "error"),
                message=p.message,
                where=f"{width} px, {scheme}",
            )
            for p in problems
        ]
        if screenshots:
            shots.setdefault(result.name, {})[shot_key(width, scheme)] = page.screenshot(
                full_page=True, type="png"
            )
    return found


# --- comparing with an earlier report ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    cell: str
    key: str
    percent: float
    image: bytes  # the new screenshot, faded, with changed pixels in red


def _pillow() -> Any:
    try:
        from PIL import Image, ImageChops
    except ImportError:
        raise BrowserError(
            f"--compare needs Pillow, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    return Image, ImageChops


def read_base(base_dir: Path) -> dict[str, dict[str, Path]]:
    """The screenshots an earlier report lists: cell → key → file inside ``base_dir``."""
    folder = base_dir.resolve()
    manifest = folder / MANIFEST
    where = str(manifest)
    try:
        if not manifest.is_file() or manifest.is_symlink():
            raise DigestError(f"not a matrix report: no {MANIFEST}", where=str(base_dir))
        if manifest.stat().st_size > MANIFEST_MAX_BYTES:
            raise DigestError(f"larger than {MANIFEST_MAX_BYTES:,} bytes", where=where)
        raw = json.loads(manifest.read_bytes())
    except (OSError, ValueError) as exc:
        raise DigestError(f"cannot read the base report: {exc}", where=where) from None
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise DigestError(f"not a matrix report manifest (format {MANIFEST_FORMAT!r})", where=where)
    cells = raw.get("cells")
    if not isinstance(cells, list):
        raise DigestError("cells: expected a list", where=where)
    found: dict[str, dict[str, Path]] = {}
    for index, cell in enumerate(cells[:1000]):
        name = cell.get("name") if isinstance(cell, dict) else None
        shots = cell.get("screenshots") if isinstance(cell, dict) else None
        if not isinstance(name, str) or not isinstance(shots, dict):
            raise DigestError(f"cells[{index}]: expected a name and screenshots", where=where)
        for key, file in list(shots.items())[:20]:
            if not isinstance(file, str) or not _SAFE_FILE.fullmatch(file):
                raise DigestError(
                    f"cells[{index}].screenshots[{key!r}]: {str(file)[:60]!r} is not a plain "
                    ".png name inside the report",
                    where=where,
                )
            path = folder / file
            if path.is_symlink() or path.resolve().parent != folder or not path.is_file():
                continue  # missing, or not a file of this folder: nothing to compare
            found.setdefault(name, {})[str(key)] = path
    return found


def _open_bounded(image_module: Any, data: bytes, where: str) -> Any:
    try:
        image = image_module.open(io.BytesIO(data))
        width, height = image.size
        if width > IMAGE_MAX_SIDE[0] or height > IMAGE_MAX_SIDE[1]:
            raise DigestError(f"image is {width}x{height} px, larger than allowed", where=where)
        image.load()
        return image.convert("RGB")
    except DigestError:
        raise
    except Exception as exc:  # Pillow raises many types on a broken file
        raise DigestError(f"not a readable PNG: {exc}", where=where) from None


def difference(image_module: Any, chops: Any, old: Any, new: Any) -> tuple[float, bytes]:
    """Share of pixels changed (0 to 100) and the highlighted diff image as PNG."""
    size = (max(old.width, new.width), max(old.height, new.height))
    canvas_old = image_module.new("RGB", size, "white")
    canvas_old.paste(old, (0, 0))
    canvas_new = image_module.new("RGB", size, "white")
    canvas_new.paste(new, (0, 0))
    diff = chops.difference(canvas_old, canvas_new).convert("L")
    mask = diff.point(lambda v: 255 if v > CHANGED_LEVEL else 0)
    for image in (old, new):  # what only one of the two shots covers has changed too
        if image.width < size[0]:
            mask.paste(255, (image.width, 0, size[0], size[1]))
        if image.height < size[1]:
            mask.paste(255, (0, image.height, size[0], size[1]))
    changed = mask.histogram()[255]
    percent = 100.0 * changed / (size[0] * size[1])
    faded = image_module.blend(canvas_new, image_module.new("RGB", size, "white"), 0.7)
    faded.paste(image_module.new("RGB", size, (220, 0, 0)), (0, 0), mask)
    buffer = io.BytesIO()
    faded.save(buffer, format="PNG", optimize=False)
    return percent, buffer.getvalue()


def compare(base_dir: Path, shots: Mapping[str, Mapping[str, bytes]]) -> list[Difference]:
    """Each new screenshot against the base report's shot of the same cell, width and scheme."""
    image_module, chops = _pillow()
    base = read_base(base_dir)
    out: list[Difference] = []
    for cell, keyed in shots.items():
        for key, data in keyed.items():
            path = base.get(cell, {}).get(key)
            if path is None:
                continue
            if path.stat().st_size > IMAGE_MAX_BYTES:
                raise DigestError(f"larger than {IMAGE_MAX_BYTES:,} bytes", where=str(path))
            old = _open_bounded(image_module, path.read_bytes(), str(path))
            new = _open_bounded(image_module, data, f"{cell} {key}")
            percent, image = difference(image_module, chops, old, new)
            out.append(Difference(cell=cell, key=key, percent=percent, image=image))
    return out


def pixel_findings(differences: Sequence[Difference]) -> dict[str, list[Finding]]:
    """An info finding per changed screenshot, by cell (a change is for review, not a failure)."""
    found: dict[str, list[Finding]] = {}
    for d in differences:
        if d.percent > 0:
            found.setdefault(d.cell, []).append(
                Finding(
                    rule=PIXEL_RULE,
                    severity="info",
                    message=f"{d.percent:.2f}% of pixels changed since the base report",
                    where=d.key.replace("-", " px, ", 1),
                )
            )
    return found
