"""The matrix's reports: text, JSON, JUnit XML, and the HTML page of ``--report DIR``.

JUnit has one test case per cell and rule, named ``cell: rule``, so a CI page
lists exactly which edge case broke which rule. The HTML report is one
self-contained page (inline CSS, no script, every value escaped) beside the
PNG screenshots and a ``manifest.json`` that a later ``--compare`` reads.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..config import Config
from ..output import to_json, write_binary
from ..wording import plural
from .matrix import CellResult, MatrixResult, run_matrix
from .model import SEVERITIES
from .report import junit_findings, junit_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixRun:
    """What ``digest check --matrix`` was asked to do."""

    allow: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    browser: bool = False
    report_dir: Path | None = None
    compare_dir: Path | None = None
    strict: bool = False  # the report's verdict counts warnings too


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixOutcome:
    result: MatrixResult
    shots: dict[str, dict[str, bytes]] = field(default_factory=dict)
    diffs: dict[str, dict[str, tuple[float, bytes]]] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


def run(config: Config, request: MatrixRun) -> MatrixOutcome:
    """The matrix, then the browser, the comparison and the report, as asked."""
    result = run_matrix(config, allow=request.allow, only=request.cells)
    shots: dict[str, dict[str, bytes]] = {}
    diffs: dict[str, dict[str, tuple[float, bytes]]] = {}
    if request.browser:
        from ..browser import BROWSER_RULES
        from .matrix_browser import PIXEL_RULE, compare, lay_out, pixel_findings

        screenshots = request.report_dir is not None or request.compare_dir is not None
        laid, shots = lay_out(result.cells, screenshots=screenshots)
        rules = (*result.rules, *BROWSER_RULES)
        if request.compare_dir is not None:
            differences = compare(request.compare_dir, shots)
            for d in differences:
                diffs.setdefault(d.cell, {})[d.key] = (d.percent, d.image)
            extra = pixel_findings(differences)
            laid = [c.with_findings(extra.get(c.name, [])) for c in laid]
            rules = (*rules, PIXEL_RULE)
        result = replace(result, cells=tuple(laid), rules=rules)
    files: tuple[Path, ...] = ()
    if request.report_dir is not None:
        from ..pipeline import check_out_dir

        check_out_dir(config, request.report_dir, what="the matrix report", flag="--report")
        files = write_report(request.report_dir, result, shots, diffs, strict=request.strict)
    return MatrixOutcome(result=result, shots=shots, diffs=diffs, files=files)


def summary_line(result: MatrixResult) -> str:
    return (
        f"{plural(len(result.cells), 'cell')}: {plural(result.count('error'), 'error')}, "
        f"{plural(result.count('warning'), 'warning')}, {plural(result.count('info'), 'note')}"
    )


def as_text(result: MatrixResult, *, strict: bool, verbose: int = 0, quiet: bool = False) -> str:
    """One line per finding, each prefixed with its cell; -v adds notes, -q keeps the verdict."""
    lines: list[str] = []
    for cell in result.cells if not quiet else ():
        if cell.skipped:
            lines.append(f"{cell.name}: skipped: {cell.skipped}")
        for f in cell.findings:
            if verbose or f.severity != "info":
                lines.append(f"{cell.name}: {f}")
    verdict = "FAILED" if result.failed(strict=strict) else "passed"
    lines.append(f"{verdict}: {summary_line(result)}" + (" (strict)" if strict else ""))
    return "\n".join(lines) + "\n"


def _cell_dict(cell: CellResult) -> dict[str, Any]:
    return {
        "name": cell.name,
        "about": cell.about,
        "skipped": cell.skipped,
        "html_bytes": cell.html_bytes,
        "summary": {s: cell.count(s) for s in SEVERITIES},
        "findings": [
            {"rule": f.rule, "severity": f.severity, "message": f.message, "where": f.where}
            for f in cell.findings
        ],
    }


def as_dict(result: MatrixResult, *, strict: bool) -> dict[str, Any]:
    return {
        "summary": {s: result.count(s) for s in SEVERITIES},
        "rules": list(result.rules),
        "cells": [_cell_dict(c) for c in result.cells],
        "strict": strict,
        "passed": not result.failed(strict=strict),
    }


def as_junit(result: MatrixResult, *, strict: bool, name: str = "digest check --matrix") -> str:
    """JUnit XML: a test case per cell and rule, failing on errors (and warnings when strict)."""
    from xml.etree import ElementTree as ET

    suite = ET.Element("testsuite", name=name)
    tests = failures = skipped = 0
    for cell in result.cells:
        for rule in result.rules:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"digest.matrix.{cell.name}",
                name=f"{cell.name}: {rule}",
            )
            if cell.skipped:
                skipped += 1
                ET.SubElement(case, "skipped", message=cell.skipped)
                continue
            failures += junit_findings(case, [f for f in cell.findings if f.rule == rule], strict)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    return junit_text(suite)


# --- the HTML report -----------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:24px;color:#1f2933;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-top:1px solid #ccd;padding-top:16px}
.error{color:#b00020}.warning{color:#8a5a00}.info{color:#52606d}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}
.shots{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0;max-width:340px}figure img{max-width:100%;border:1px solid #ccd}
figcaption{font-size:13px;color:#52606d}
"""


def file_name(cell: str, key: str, kind: str = "") -> str:
    """A plain file name for a cell's screenshot (names like ``several/edition=x`` flattened)."""
    stem = _UNSAFE.sub("_", cell).strip("._") or "cell"
    return f"{stem}-{key}{'-' + kind if kind else ''}.png"


def write_report(
    folder: Path,
    result: MatrixResult,
    shots: Mapping[str, Mapping[str, bytes]],
    diffs: Mapping[str, Mapping[str, tuple[float, bytes]]],
    *,
    strict: bool = False,
) -> tuple[Path, ...]:
    """index.html, the screenshots and manifest.json, written all-or-nothing inside ``folder``."""
    files: dict[str, bytes] = {}
    manifest_cells: list[dict[str, Any]] = []
    sections: list[str] = []
    esc = html.escape
    for cell in result.cells:
        named: dict[str, str] = {}
        figures: list[str] = []
        for key, data in shots.get(cell.name, {}).items():
            name = file_name(cell.name, key)
            files[name] = data
            named[key] = name
            caption = esc(key.replace("-", " px, ", 1))
            diff = diffs.get(cell.name, {}).get(key)
            extra = ""
            if diff is not None:
                diff_name = file_name(cell.name, key, "diff")
                files[diff_name] = diff[1]
                extra = (
                    f'<a href="{esc(diff_name)}"><img src="{esc(diff_name)}" '
                    f'alt="{esc(f"changed pixels, {caption}")}"></a>'
                )
                caption += f"; {diff[0]:.2f}% changed"
            figures.append(
                f'<figure><a href="{esc(name)}"><img src="{esc(name)}" alt="{esc(caption)}"></a>'
                f"{extra}<figcaption>{caption}</figcaption></figure>"
            )

        def table(severities: set[str], cell: CellResult = cell) -> str:
            rows = "".join(
                f'<tr class="{esc(f.severity)}"><td>{esc(f.severity)}</td><td>{esc(f.rule)}</td>'
                f"<td>{esc(f.message)}</td><td>{esc(f.where)}</td></tr>"
                for f in cell.findings
                if f.severity in severities
            )
            return f"<table>{rows}</table>" if rows else ""

        status = (
            f"skipped: {esc(cell.skipped)}"
            if cell.skipped
            else esc(
                f"{plural(cell.count('error'), 'error')}, "
                f"{plural(cell.count('warning'), 'warning')}"
            )
        )
        notes = table({"info"})
        sections.append(
            f'<section id="{esc(_UNSAFE.sub("_", cell.name))}"><h2>{esc(cell.name)}</h2>'
            f"<p>{esc(cell.about)}: {status}</p>"
            + table({"error", "warning"})
            + (f'<div class="shots">{"".join(figures)}</div>' if figures else "")
            + (
                f"<details><summary>{esc(plural(cell.count('info'), 'note'))}</summary>"
                f"{notes}</details>"
                if notes
                else ""
            )
            + "</section>"
        )
        manifest_cells.append({**_cell_dict(cell), "screenshots": named})
    verdict = "FAILED" if result.failed(strict=strict) else "passed"
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>digest check --matrix: {esc(verdict)}</title><style>{_CSS}</style></head><body>"
        f"<h1>digest check --matrix: {esc(verdict)}</h1><p>{esc(summary_line(result))}</p>"
        + "".join(sections)
        + "</body></html>\n"
    )
    files["index.html"] = page.encode("utf-8")
    manifest = {
        "format": "digest-check-matrix",
        "version": 1,
        "rules": list(result.rules),
        "cells": manifest_cells,
    }
    files["manifest.json"] = to_json(manifest).encode("utf-8")  # last: it vouches for the rest
    return write_binary(folder, files)


__all__ = [
    "MatrixOutcome",
    "MatrixRun",
    "as_dict",
    "as_junit",
    "as_text",
    "run",
    "summary_line",
    "write_report",
]
