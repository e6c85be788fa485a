"""``digest check --matrix``: the templates against built-in edge cases, every rule on each.

The three template mistakes the matrix exists for (an image's alt text
dropped, a layout that overflows on a phone, a broken dark scheme) are made in
a user's templates folder overriding the shipped template, and must fail with
the cell and the rule named; the sample as shipped must pass.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from digest.browser import BROWSER_RULES, BrowserError, chromium
from digest.checks import EmailParts, check, rule_names
from digest.checks import matrix as matrix_module
from digest.checks.matrix import (
    CURRENT,
    MATRIX_RULES,
    RENDER_RULE,
    cells,
    load_fixtures,
    run_matrix,
)
from digest.checks.matrix_browser import compare, difference, read_base
from digest.cli import main
from digest.config import load_config
from digest.errors import DigestError
from digest.templates import builtin_templates_dir

REPO_ROOT = Path(__file__).resolve().parents[1]

SHIPPED = (builtin_templates_dir() / "digest.mjml.j2").read_text(encoding="utf-8")
FIXTURES = Path(matrix_module.__file__).parents[1] / "data" / "matrix" / "cells.json"


def override(project: Path, old: str | re.Pattern[str], new: str) -> None:
    """The user's templates/digest.mjml.j2: the shipped one with ``old`` replaced."""
    if isinstance(old, re.Pattern):
        text, count = old.subn(new, SHIPPED)
    else:
        count = SHIPPED.count(old)
        text = SHIPPED.replace(old, new)
    assert count, f"the shipped template no longer contains {old!r}"
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "digest.mjml.j2").write_text(text, encoding="utf-8")


def run(runner: CliRunner, project: Path, *args: str) -> Any:
    return runner.invoke(
        main, ["check", "--matrix", "--config", str(project / "digest.toml"), *args]
    )


def failures(output: str) -> set[tuple[str, str]]:
    """(cell, rule) of every failing JUnit test case."""
    suite = ET.fromstring(output)
    return {
        tuple(case.get("name", "").split(": ", 1))  # type: ignore[misc]
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }


# --- the sample passes; each mistake fails with its cell and rule --------------------------


def test_the_sample_passes_the_matrix(runner: CliRunner, project: Path) -> None:
    result = run(runner, project)
    assert result.exit_code == 0, result.output
    assert re.search(r"^passed: \d+ cells: 0 errors", result.output, re.MULTILINE)


def test_every_rule_runs_on_every_cell_in_junit(runner: CliRunner, project: Path) -> None:
    result = run(runner, project, "--format", "junit")
    assert result.exit_code == 0, result.output
    suite = ET.fromstring(result.output)
    names = [c.name for c in cells(load_config(project / "digest.toml"))]
    rules = [RENDER_RULE, *rule_names(), *MATRIX_RULES]
    cases = [case.get("name") for case in suite.iter("testcase")]
    assert cases == [f"{cell}: {rule}" for cell in names for rule in rules]
    assert suite.get("tests") == str(len(names) * len(rules)) and suite.get("failures") == "0"


def test_a_template_that_drops_the_alt_text_fails(runner: CliRunner, project: Path) -> None:
    override(project, ' alt="{{ entry.image_alt or entry.post.title }}"', "")
    result = run(runner, project, "--format", "junit")
    assert result.exit_code == 1
    failed = failures(result.output)
    # every cell whose posts carry a thumbnail, and not those whose posts carry none
    for cell in ("one-post", "over-budget", "long-words", "several/thumbnails=banner"):
        assert (cell, "images") in failed and (cell, "alt-text") in failed
    assert not {c for c, _ in failed} & {"empty", "bare-post", "several/thumbnails=none"}
    text = run(runner, project, "--cell", "one-post").output
    assert "one-post: error: [images] image has no alt attribute" in text
    assert (
        "one-post: error: [alt-text] the image of 'How our team runs a weekly retrospective'"
        in text
    )


def test_a_template_whose_alt_text_is_blank_fails_the_alt_text_rule(
    runner: CliRunner, project: Path
) -> None:
    # alt="" passes the images rule (a decorative image), but the fixture's image has a description
    override(project, 'alt="{{ entry.image_alt or entry.post.title }}"', 'alt=""')
    result = run(runner, project, "--format", "junit")
    assert result.exit_code == 1
    failed = failures(result.output)
    assert ("one-post", "alt-text") in failed and ("one-post", "images") not in failed


def test_a_template_that_escapes_twice_or_not_at_all_fails(
    runner: CliRunner, project: Path
) -> None:
    override(project, "{{ entry.excerpt }}", "{{ entry.excerpt | e | forceescape }}")
    result = run(runner, project, "--format", "junit", "--cell", "one-post", "--cell", "html-chars")
    failed = failures(result.output)
    assert ("html-chars", "escaping") in failed and ("one-post", "escaping") not in failed
    text = run(runner, project, "--cell", "html-chars").output
    assert "html-chars: error: [escaping] text is escaped twice: the reader sees '&lt;'" in text
    # unescaped: the title's <script> and "5 < 6" break the MJML, or its <b> becomes markup
    override(
        project,
        "{{ entry.post.title }}</a></{{ heading }}>",
        "{{ entry.post.title | safe }}</a></{{ heading }}>",
    )
    result = run(runner, project, "--format", "junit", "--cell", "one-post", "--cell", "html-chars")
    failed = failures(result.output)
    assert {rule for cell, rule in failed if cell == "html-chars"} & {"render", "escaping"}
    assert not {cell for cell, _ in failed} - {"html-chars"}


def test_markup_from_a_post_is_found_by_the_escaping_rule(project: Path) -> None:
    config = load_config(project / "digest.toml")
    [cell] = [c for c in cells(config) if c.name == "html-chars"]
    digest, rendered = matrix_module._build(cell)  # type: ignore[misc]
    assert matrix_module.fixture_findings(digest, rendered.html) == []
    escaped = "&lt;b&gt;tags&lt;/b&gt;"
    assert escaped in rendered.html
    broken = rendered.html.replace(escaped, "<b>tags</b>")
    [finding] = matrix_module.fixture_findings(digest, broken)
    assert finding.rule == "escaping" and "<b>tags</b> is an element" in finding.message


def test_a_broken_template_is_a_render_failure_per_cell(runner: CliRunner, project: Path) -> None:
    override(project, "{% endfor %}", "{% endfor")
    result = run(runner, project)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(r"^one-post: error: \[render\] .*digest\.mjml\.j2:\d+", result.output, re.M)


def test_strict_fails_on_warnings(runner: CliRunner, project: Path) -> None:
    # the empty digest has no preheader to show: a warning
    assert run(runner, project, "--cell", "empty").exit_code == 0
    result = run(runner, project, "--cell", "empty", "--strict", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["passed"] is False and report["strict"] is True
    [cell] = report["cells"]
    assert cell["name"] == "empty" and cell["summary"]["warning"] >= 1
    assert {f["rule"] for f in cell["findings"] if f["severity"] == "warning"} == {"preheader"}


# --- the cells ---------------------------------------------------------------------------


def test_cells_come_from_the_fixtures_and_the_configuration(project: Path) -> None:
    config = load_config(project / "digest.toml")
    names = [c.name for c in cells(config)]
    fixtures = json.loads(FIXTURES.read_text(encoding="utf-8"))
    plain = [c["name"] for c in fixtures["cells"] if not c.get("across")]
    assert names[: len(plain)] == plain
    assert {
        "several/thumbnails=banner",
        "several/thumbnails=side",
        "several/thumbnails=none",
    } <= set(names)
    assert {"several/edition=leadership", "several/edition=sustainability"} <= set(names)
    assert names[-1] == CURRENT
    # without editions in digest.toml, no edition cells
    bare = project / "bare.toml"
    bare.write_text('[site]\nurl = "https://example.org/"\n', encoding="utf-8")
    assert not any(
        n.startswith("several/edition=") for n in (c.name for c in cells(load_config(bare)))
    )


def test_a_new_thumbnail_layout_or_language_is_one_more_cell(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(project / "digest.toml")
    monkeypatch.setattr(
        matrix_module, "THUMBNAIL_LAYOUTS", (*matrix_module.THUMBNAIL_LAYOUTS, ("other", "none"))
    )
    monkeypatch.setattr(matrix_module, "shipped_languages", lambda: ("ar", "en-GB", "fr"))
    found = {c.name: c for c in cells(config)}
    assert found["several/thumbnails=other"].config.digest.thumbnails == "none"
    assert found["several/language=ar"].config.site.language == "ar"
    assert "several/language=en-GB" not in found  # the configured language is every cell's


def test_the_many_posts_cell_shows_the_collapsed_list(project: Path) -> None:
    config = load_config(project / "digest.toml")
    result = run_matrix(config, only=("over-budget", "one-post"))
    by_name = {c.name: c for c in result.cells}
    over, one = by_name["over-budget"], by_name["one-post"]
    assert "More this week" in over.html and "More this week" not in one.html
    assert over.html_bytes <= config.digest.size_budget_kb * 1000


def _read_more(language: str) -> str:
    """The shipped catalog's translation of "Read more", read from the .po file itself."""
    po = FIXTURES.parents[2] / "locale" / language / "LC_MESSAGES" / "digest.po"
    found = re.search(r'^msgid "Read more"\nmsgstr "(.+)"$', po.read_text("utf-8"), re.MULTILINE)
    assert found, f"{po} does not translate 'Read more'"
    return found.group(1)


def test_each_language_cell_speaks_its_language(project: Path) -> None:
    """Cells share compiled templates, but never one language's catalog with another."""
    config = load_config(project / "digest.toml")
    names = ("one-post", "several/language=fr", "several/language=de", "several/language=ar")
    by_name = {c.name: c for c in run_matrix(config, only=names).cells}
    assert "Read more" in by_name["one-post"].html
    for language in ("fr", "de", "ar"):
        html = by_name[f"several/language={language}"].html
        assert _read_more(language) in html, language
        assert "Read more" not in html, language


def test_synthetic_cells_are_the_same_on_every_run(project: Path) -> None:
    config = load_config(project / "digest.toml")
    names = ("one-post", "html-chars", "several/edition=leadership")
    first, second = run_matrix(config, only=names), run_matrix(config, only=names)
    assert [c.html for c in first.cells] == [c.html for c in second.cells]
    # the fixtures' own text, not the sample blog's posts
    assert "How our team runs a weekly retrospective" in first.cells[0].html
    assert "Leading Well" in first.cells[0].html  # the user's site and templates, though


def test_the_current_cell_is_skipped_without_a_posts_folder(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text(
        '[site]\nurl = "https://example.org/"\n[paths]\nposts = "nowhere"\n', encoding="utf-8"
    )
    result = run_matrix(load_config(tmp_path / "digest.toml"), only=(CURRENT,))
    [current] = result.cells
    assert current.skipped.startswith("no posts folder") and not result.failed()


def test_the_current_cell_of_a_feed_only_project_is_built(tmp_path: Path) -> None:
    """A project whose only source is a feed has no posts folder, and a current digest."""
    feed = REPO_ROOT / "posts" / "feeds" / "podcast.xml"
    (tmp_path / "digest.toml").write_text(
        '[site]\nurl = "https://example.org/"\n[selection]\nuntil = "2026-11-26"\n'
        f"[[sources]]\nfeed = {json.dumps(str(feed))}\n",
        encoding="utf-8",
    )
    result = run_matrix(load_config(tmp_path / "digest.toml"), only=(CURRENT,))
    [current] = result.cells
    assert not current.skipped, current.skipped
    assert "Episode 15: Teaching the rota to say thank you" in current.html


def test_the_matrix_writes_nothing_into_the_project(runner: CliRunner, project: Path) -> None:
    before = {p for p in project.rglob("*") if ".digest-cache" not in p.parts}
    assert run(runner, project).exit_code == 0
    after = {p for p in project.rglob("*") if ".digest-cache" not in p.parts}
    assert after == before and not (project / "dist").exists()


def test_fixtures_that_name_unknown_posts_are_refused(tmp_path: Path) -> None:
    data = json.loads(FIXTURES.read_text(encoding="utf-8"))
    data["cells"].append({"name": "x", "posts": ["missing"]})
    path = tmp_path / "cells.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DigestError, match="unknown posts: missing"):
        load_fixtures(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--browser", "."], "--cell, --browser, --report and --compare go with --matrix"),
        ([], "Missing argument 'PATH'"),
        (["--matrix", "."], "drop PATH"),
        (["--matrix", "--compare", "."], "add --browser"),
        (["--matrix", "--cell", "nope"], "unknown cell 'nope'; choose from: empty, one-post"),
    ],
)
def test_usage_errors(runner: CliRunner, project: Path, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["check", "--config", str(project / "digest.toml"), *args])
    assert result.exit_code == 2 and message in result.output


def test_a_url_written_as_prose_in_both_parts_is_not_a_text_only_link() -> None:
    url = "https://docs.example.org/guides/" + "a" * 88
    html = (
        f"<html lang='en'><head><title>t</title></head><body><p>See {url} today.</p></body></html>"
    )
    report = check(EmailParts(html=html, text=f"See {url} today.\n", subject="t"))
    assert [f for f in report.findings if f.rule == "parity"] == []
    # a URL in the text part that the HTML does not show at all is still reported
    report = check(EmailParts(html=html.replace(url, "it"), text=f"See {url}.\n", subject="t"))
    assert any(f.message == "link in the text part only" for f in report.findings)


# --- reports -----------------------------------------------------------------------------


def test_the_html_report_escapes_and_refuses_the_project_folder(
    runner: CliRunner, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run(runner, project, "--cell", "html-chars", "--report", str(out))
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "html-chars" in page and "<script>" not in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "digest-check-matrix"
    assert [c["name"] for c in manifest["cells"]] == ["html-chars"]
    # the page's verdict follows --strict: the empty cell's missing preheader is a warning
    strict = run(runner, project, "--cell", "empty", "--strict", "--report", str(out))
    assert strict.exit_code == 1
    assert "<h1>digest check --matrix: FAILED</h1>" in (out / "index.html").read_text("utf-8")
    refused = run(runner, project, "--cell", "empty", "--report", str(project))
    assert refused.exit_code == 2  # a flag's value: a usage error, naming the flag
    assert "refusing to write the matrix report" in refused.output
    assert "project folder" in refused.output and "choose another --report" in refused.output


# --- comparing screenshots: hostile base reports --------------------------------------------


def _png(size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    if box:
        ImageDraw.Draw(image).rectangle(box, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _base(folder: Path, screenshots: dict[str, str], files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = {
        "format": "digest-check-matrix",
        "version": 1,
        "cells": [{"name": "one-post", "screenshots": screenshots}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_difference_counts_changed_pixels_and_paints_them_red() -> None:
    from PIL import Image, ImageChops

    old = Image.open(io.BytesIO(_png((100, 100)))).convert("RGB")
    new = Image.open(io.BytesIO(_png((100, 100), (0, 0, 9, 9)))).convert("RGB")  # 10x10 changed
    percent, image = difference(Image, ImageChops, old, new)
    assert percent == pytest.approx(1.0)
    shown = Image.open(io.BytesIO(image)).convert("RGB")
    assert shown.getpixel((5, 5)) == (220, 0, 0) and shown.getpixel((50, 50)) != (220, 0, 0)
    # a taller new shot: the added rows count as changed
    taller = Image.open(io.BytesIO(_png((100, 200)))).convert("RGB")
    assert difference(Image, ImageChops, old, taller)[0] == pytest.approx(50.0)


def test_compare_reads_only_plain_names_inside_the_base(tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(_png((10, 10)))
    base = _base(tmp_path / "base", {"375-light": "../outside.png"}, {})
    with pytest.raises(DigestError, match=r"not a plain \.png name inside the report"):
        read_base(base)
    linked = _base(tmp_path / "linked", {"375-light": "shot.png"}, {})
    (linked / "shot.png").symlink_to(outside)
    assert read_base(linked) == {}
    fine = _base(tmp_path / "fine", {"375-light": "shot.png"}, {"shot.png": _png((10, 10))})
    assert read_base(fine) == {"one-post": {"375-light": (fine / "shot.png").resolve()}}
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(DigestError, match="cannot read the base report"):
        read_base(tmp_path / "junk")


def test_compare_refuses_a_huge_image(tmp_path: Path) -> None:
    base = _base(tmp_path / "base", {"375-light": "big.png"}, {"big.png": _png((5000, 10))})
    with pytest.raises(DigestError, match="5000x10 px, larger than allowed"):
        compare(base, {"one-post": {"375-light": _png((10, 10))}})


# --- the browser ------------------------------------------------------------------------------


def test_a_missing_playwright_is_one_clear_error(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with (
        pytest.raises(BrowserError, match=r"pip install 'digest-newsletter\[browser\]'"),
        chromium(),
    ):
        pass
    result = run(runner, project, "--cell", "empty", "--browser")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "error: --browser needs Playwright, which is not installed; "
        "install it with: pip install 'digest-newsletter[browser]'"
    ]


def test_a_missing_chromium_is_one_clear_error(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DIGEST_CHROMIUM", str(tmp_path / "no-chromium"))
    result = run(runner, project, "--cell", "empty", "--browser")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("error: Chromium at ") and "DIGEST_CHROMIUM" in result.output


needs_browser = pytest.mark.skipif(
    not (os.environ.get("DIGEST_CHROMIUM") or __import__("shutil").which("chromium")),
    reason="Chromium is not installed",
)


@needs_browser
def test_the_sample_passes_in_the_browser(runner: CliRunner, project: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    result = run(runner, project, "--browser", "--format", "junit")
    assert result.exit_code == 0, result.output
    cases = {c.get("name") for c in ET.fromstring(result.output).iter("testcase")}
    assert {f"long-words: {rule}" for rule in BROWSER_RULES} <= cases


@needs_browser
def test_a_layout_that_overflows_on_a_phone_fails(runner: CliRunner, project: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    # a title that may not wrap: the long-words cell's title runs off a phone's screen
    override(
        project,
        '<{{ heading }} style="font-family:{{ heading_font }};font-size:20px;line-height:1.3;">',
        '<{{ heading }} style="font-family:{{ heading_font }};font-size:20px;line-height:1.3;white-space:nowrap;">',
    )
    result = run(runner, project, "--browser", "--cell", "long-words", "--cell", "bare-post")
    assert result.exit_code == 1
    assert re.search(
        r"^long-words: error: \[browser-overflow\] the page scrolls sideways at 375 px.*\(375 px, light\)$",
        result.output,
        re.MULTILINE,
    ), result.output
    assert "bare-post: error" not in result.output  # its short title still fits


@needs_browser
def test_a_broken_dark_scheme_fails(runner: CliRunner, project: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    # the dark styles deleted: the page says it supports dark, but stays light
    override(
        project, re.compile(r"@media \(prefers-color-scheme: dark\) \{.*?\n      \}\n", re.S), ""
    )
    result = run(runner, project, "--browser", "--cell", "one-post", "--format", "junit")
    assert result.exit_code == 1
    assert ("one-post", "browser-dark") in failures(result.output)
    # dark text on the dark card: every width fails on contrast in the dark scheme only
    override(project, "color: {{ c.dark_text }} !important", "color: #202830 !important")
    result = run(runner, project, "--browser", "--cell", "one-post")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "[browser-contrast]" in line]
    assert [line.rsplit("(", 1)[1] for line in lines] == [
        "375 px, dark)",
        "600 px, dark)",
        "1024 px, dark)",
    ]
    assert all(line.startswith("one-post: error: [browser-contrast]") for line in lines)


@needs_browser
def test_report_and_compare_show_what_changed(
    runner: CliRunner, project: Path, tmp_path: Path
) -> None:
    pytest.importorskip("PIL")
    base, new = tmp_path / "base", tmp_path / "new"
    assert (
        run(runner, project, "--browser", "--cell", "one-post", "--report", str(base)).exit_code
        == 0
    )
    shots = json.loads((base / "manifest.json").read_text(encoding="utf-8"))["cells"][0][
        "screenshots"
    ]
    assert sorted(shots) == sorted(f"{w}-{s}" for w in (375, 600, 1024) for s in ("light", "dark"))
    assert all((base / name).read_bytes().startswith(b"\x89PNG") for name in shots.values())
    override(
        project, "font-size:20px;line-height:1.3;", "font-size:30px;line-height:1.3;"
    )  # bigger titles
    result = run(
        runner,
        project,
        "--browser",
        "--cell",
        "one-post",
        "--compare",
        str(base),
        "--report",
        str(new),
        "-v",
    )
    assert result.exit_code == 0, result.output
    changed = re.findall(r"one-post: info: \[pixels\] ([\d.]+)% of pixels changed", result.output)
    assert len(changed) == 6 and all(float(p) > 0 for p in changed)
    page = (new / "index.html").read_text(encoding="utf-8")
    assert "one-post-375-light-diff.png" in page and (new / "one-post-375-light-diff.png").is_file()


# --- the GitHub Actions example ---------------------------------------------------------------

TEMPLATE_WORKFLOW = Path(__file__).resolve().parents[1] / "docs" / "examples" / "template-check.yml"


def template_workflow_problems(workflow: dict[Any, Any], workdir: Path) -> list[str]:
    """Check a workflow that runs the matrix on template changes and uploads its report."""
    from .test_scheduling import invocations, shell_commands

    problems: list[str] = []
    triggers = workflow.get("on", workflow.get(True)) or {}
    paths = (triggers.get("pull_request") or {}).get("paths") or []
    for wanted in ("templates/**", "digest.toml"):
        if wanted not in paths:
            problems.append(f"workflow: pull_request.paths does not list {wanted!r}")
    if (workflow.get("permissions") or {}).get("contents") != "read":
        problems.append("workflow: a check needs permissions.contents: read, nothing more")
    steps = [s for job in (workflow.get("jobs") or {}).values() for s in job.get("steps", [])]
    report_dirs: list[str] = []
    installs_extra = installs_chromium = False
    for index, step in enumerate(steps):
        run = str(step.get("run", ""))
        where = f"workflow step {step.get('name', index + 1)!r}"
        installs_extra |= "digest-newsletter[browser]" in run
        installs_chromium |= "chromium" in run and "apt-get install" in run
        found, parse_problems = invocations(shell_commands(run), workdir, where)
        problems += parse_problems
        for invocation in found:
            params = invocation.params
            if invocation.command == "check" and params.get("matrix"):
                if not params.get("browser"):
                    problems.append(f"{where}: check --matrix without --browser")
                if params.get("report_dir") is None:
                    problems.append(f"{where}: check --matrix without --report DIR")
                else:
                    report_dirs.append(str(params["report_dir"]))
    if not report_dirs:
        problems.append("workflow: no `digest check --matrix` step")
    if not installs_extra:
        problems.append("workflow: the [browser] extra is not installed")
    if not installs_chromium:
        problems.append("workflow: Chromium is not installed")
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    if not uploads:
        problems.append("workflow: the report is not uploaded")
    for step in uploads:
        if "always()" not in str(step.get("if", "")):
            problems.append(
                "workflow: the upload needs `if: always()` (a failed check needs it most)"
            )
        uploaded = str((step.get("with") or {}).get("path", ""))
        if not any(Path(d).as_posix().rstrip("/") in uploaded for d in report_dirs):
            problems.append(
                f"workflow: the upload does not include the report folder {report_dirs}"
            )
    return problems


def test_the_template_check_workflow_runs_real_commands(tmp_path: Path) -> None:
    import yaml

    workflow = yaml.safe_load(TEMPLATE_WORKFLOW.read_text(encoding="utf-8"))
    assert template_workflow_problems(workflow, tmp_path) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('      - "templates/**"\n', "", "does not list 'templates/**'"),
        ("digest check --matrix --browser", "digest check --matrix", "without --browser"),
        ("--report template-report ", "", "without --report DIR"),
        ("        if: always()\n", "", "needs `if: always()`"),
        ("--format junit", "--format xml", "--format xml -o template-check.xml: "),
        ("--matrix", "--matrx", "--matrx"),
        ("contents: read", "contents: write", "permissions.contents: read"),
    ],
)
def test_a_broken_template_workflow_is_reported(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    import yaml

    text = TEMPLATE_WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    problems = template_workflow_problems(yaml.safe_load(text.replace(old, new, 1)), tmp_path)
    assert any(expected in p for p in problems), problems


def test_the_readme_points_at_the_template_workflow() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Checking templates: `digest check --matrix`")[1].split("\n## ")[0]
    assert "docs/examples/template-check.yml" in section
