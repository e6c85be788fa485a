"""What ``digest check --matrix`` finds on the sample, pinned so speed work cannot change it.

The matrix shares work between its cells (one parse per document, colour and
stylesheet analysis cached by content, one Jinja environment per templates
folder). Two guards keep that sharing honest:

- the findings of every fixture cell of the sample, as a sorted list, match
  ``tests/golden/matrix/sample-findings.json`` (written by the matrix before any
  sharing existed; regenerate with ``pytest --update-golden`` when a template or
  a rule changes on purpose, and review the diff);
- each cell run alone, with every cache emptied first, finds exactly what the
  same cell finds inside the whole run, so no cache leaks one cell's answer
  into another's.

The ``current`` cell is left out of the golden file: it is built from the
sample's posts on today's date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.checks import EmailParts, check
from digest.checks import matrix as matrix_module
from digest.checks.matrix import CURRENT, CellResult, cells, run_cell, run_matrix
from digest.config import Config, load_config

from .conftest import copy_sample


def _rows(results: tuple[CellResult, ...] | list[CellResult]) -> list[list[str]]:
    return sorted(
        [c.name, f.rule, f.severity, f.message, f.where] for c in results for f in c.findings
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Config:
    project = copy_sample(tmp_path_factory.mktemp("matrix-pins"))
    return load_config(project / "digest.toml").but(out_dir=project / "dist", cache_dir=None)


@pytest.fixture(scope="module")
def whole(sample: Config) -> tuple[CellResult, ...]:
    return run_matrix(sample).cells


def test_the_sample_matrix_finds_what_it_found_before(
    whole: tuple[CellResult, ...], golden: object
) -> None:
    fixture_cells = [c for c in whole if c.name != CURRENT]
    assert len(fixture_cells) >= 20  # every axis expanded: layouts, languages
    rows = (json.dumps(row, ensure_ascii=False) for row in _rows(fixture_cells))
    text = "[\n" + ",\n".join(rows) + "\n]\n"  # a row a line: a change is one diff line
    golden("matrix/sample-findings.json", text)  # type: ignore[operator]


def test_each_cell_alone_with_cold_caches_finds_what_the_whole_run_finds(
    sample: Config, whole: tuple[CellResult, ...]
) -> None:
    by_name = {c.name: c for c in whole}
    for cell in cells(sample):
        matrix_module.clear_caches()
        alone = run_cell(cell)
        assert _rows([alone]) == _rows([by_name[cell.name]]), cell.name
        assert alone.html == by_name[cell.name].html, cell.name


def test_the_golden_file_names_every_fixture_cell(whole: tuple[CellResult, ...]) -> None:
    golden_file = Path(__file__).parent / "golden" / "matrix" / "sample-findings.json"
    named = {row[0] for row in json.loads(golden_file.read_text(encoding="utf-8"))}
    assert named == {c.name for c in whole if c.name != CURRENT and c.findings}


# --- what the shared work must keep apart --------------------------------------------------


def _contrast(html: str) -> list[str]:
    parts = EmailParts(html=html, text="", subject="s")
    return [f.message for f in check(parts).findings if f.rule == "contrast"]


def test_text_inside_a_hidden_ancestor_is_not_measured_but_its_visible_cousin_is() -> None:
    html = (
        "<html><body>"
        '<div style="display: none"><table><tr><td><p style="color:#eeeeee">hidden</p>'
        "</td></tr></table></div>"
        '<div><p style="color:#eeeeee">shown</p></div></body></html>'
    )
    found = _contrast(html)
    assert len(found) == 1 and "#eeeeee on #ffffff" in found[0]
    assert _contrast(html.replace('<div><p style="color:#eeeeee">shown</p></div>', "")) == []


def test_one_inline_style_on_different_backgrounds_is_measured_on_each() -> None:
    """The inline colours are cached by style and bgcolor together, never by style alone."""
    style = '<td style="color:#777777" bgcolor="{}">text</td>'
    on_white = _contrast(
        f"<html><body><table><tr>{style.format('#ffffff')}</tr></table></body></html>"
    )
    on_grey = _contrast(
        f"<html><body><table><tr>{style.format('#666666')}</tr></table></body></html>"
    )
    assert len(on_white) == 1 and "on #ffffff" in on_white[0]
    assert len(on_grey) == 1 and "on #666666" in on_grey[0]


def test_a_selector_in_both_schemes_takes_each_schemes_colours() -> None:
    """Both schemes look a shared selector up once; each keeps its own declarations."""
    html = (
        "<html><head><style>.x { color: #767676; background-color: #ffffff }"
        "@media (prefers-color-scheme: dark) { .x { color: #333333 !important;"
        " background-color: #000000 !important } }</style></head>"
        '<body><p class="x">text</p></body></html>'
    )
    found = _contrast(html)
    assert len(found) == 1 and "#333333 on #000000" in found[0] and "dark scheme" in found[0]
