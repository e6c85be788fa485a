"""digest check: every rule passes on the sample digest and fails on a broken fixture."""

import hashlib
import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import tinycss2
from click.testing import CliRunner

from digest.checks import (
    CheckOptions,
    EmailParts,
    Report,
    check,
    parts_from_manifest,
    rule_names,
    support_table,
)
from digest.checks.css import CSS_MAX_CHARS
from digest.cli import main
from digest.config import Config
from digest.manifest import Manifest
from digest.output import write_build
from digest.pipeline import build
from digest.sizes import GMAIL_CLIP_BYTES, KB

UNSUB = "https://leadingwell.example.org/newsletter/unsubscribe"


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> EmailParts:
    from .conftest import sample_config_in

    config = sample_config_in(tmp_path_factory.mktemp("good")).but(until=date(2026, 11, 26))
    result = build(config, write=False)
    parts = parts_from_manifest(
        result.rendered.html, result.rendered.text, Manifest.from_digest(result.digest)
    )
    assert len(parts.posts) == 8 and parts.subject == result.rendered.subject
    return parts


def run(parts: EmailParts, **options: object) -> Report:
    return check(parts, CheckOptions(unsubscribe_url=UNSUB, **options))  # type: ignore[arg-type]


def rule_findings(report: Report, rule: str, severity: str | None = None) -> list[str]:
    return [
        f.message
        for f in report.findings
        if f.rule == rule and (severity is None or f.severity == severity)
    ]


def test_sample_digest_passes_strict(good: EmailParts) -> None:
    report = run(good)
    problems = [str(f) for f in report.findings if f.severity != "info"]
    assert problems == []
    assert not report.failed(strict=True)


def html_sub(parts: EmailParts, old: str, new: str, count: int = 1) -> EmailParts:
    assert old in parts.html, old
    return replace(parts, html=parts.html.replace(old, new, count))


def test_size_over_clip_limit_and_budget(good: EmailParts) -> None:
    padding = "<!--" + "x" * 110_000 + "-->"
    clipped = run(html_sub(good, "</body>", padding + "</body>"))
    assert any("Gmail clips" in m for m in rule_findings(clipped, "size", "error"))
    over_budget = run(good, budget_bytes=20 * KB)
    [warning] = rule_findings(over_budget, "size", "warning")
    assert warning.endswith("over the 20 KB budget (Gmail clips messages over about 102 KB)")
    assert not rule_findings(run(good), "size", "warning")
    # one unit everywhere: the clip, the budget and the sizes printed are all 1,000-byte KB
    size = len(good.html.encode())
    assert f"HTML is {size / 1000:.1f} KB" in rule_findings(run(good), "size", "info")
    assert GMAIL_CLIP_BYTES == 102 * 1000
    just_over = html_sub(good, "</body>", "<!--" + "x" * (GMAIL_CLIP_BYTES - size) + "--></body>")
    assert rule_findings(run(just_over), "size", "error")
    just_under = html_sub(
        good, "</body>", "<!--" + "x" * (GMAIL_CLIP_BYTES - size - 8) + "--></body>"
    )
    assert not rule_findings(run(just_under), "size", "error")


def test_subject_length(good: EmailParts) -> None:
    long = run(replace(good, subject="A" * 79))
    assert "the subject is 79 characters" in rule_findings(long, "subject", "warning")[0]
    assert rule_findings(run(replace(good, subject="  ")), "subject", "error") == [
        "the subject is empty"
    ]
    assert rule_findings(run(good), "subject") == []


def test_preheader_present_matching_and_padded(good: EmailParts) -> None:
    html = re.sub(r'<div style="display:none;[^"]*">[^<]*</div>', "", good.html, count=1)
    missing = run(replace(good, html=html, preheader=""))
    assert "no preheader" in rule_findings(missing, "preheader", "warning")[0]
    unpadded = re.sub("[\u034f\u200c\u00a0]", "", good.html)
    assert any(
        "not padded" in m for m in rule_findings(run(replace(good, html=unpadded)), "preheader")
    )
    assert rule_findings(run(good), "preheader") == []


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("javascript:alert(1)", "unsafe"),
        ("/2026/11/26/relative/", "is relative"),
        ("//leadingwell.example.org/x/", "protocol-relative"),
        ("", "empty href"),
        ("https://leadingwell.example.org/posts/source.md", "Markdown source"),
        ("ftp://leadingwell.example.org/file", "unsafe"),
    ],
)
def test_links_must_be_absolute_and_safe(good: EmailParts, href: str, expected: str) -> None:
    bad = html_sub(
        good,
        'href="https://leadingwell.example.org/2026/11/25/review-the-quiet-rota/"',
        f'href="{href}"',
    )
    messages = rule_findings(run(bad), "links", "error")
    assert any(expected in m for m in messages), messages
    assert rule_findings(run(good), "links") == []


def test_images_absolute_https_with_alt(good: EmailParts) -> None:
    bad = html_sub(
        good,
        'src="https://leadingwell.example.org/images/reviews/the-quiet-rota.jpg"',
        'src="/images/x.jpg"',
    )
    assert any("not an absolute https URL" in m for m in rule_findings(run(bad), "images", "error"))
    plain_http = html_sub(good, 'src="https://', 'src="http://')
    assert rule_findings(run(plain_http), "images", "error")
    no_alt = replace(good, html=re.sub(r'<img alt="[^"]*"', "<img", good.html, count=1))
    assert any("no alt attribute" in m for m in rule_findings(run(no_alt), "images", "error"))
    assert rule_findings(run(good), "images") == []


def test_parity_between_parts_and_manifest(good: EmailParts) -> None:
    url = "https://leadingwell.example.org/2026/11/23/missed-appointments-are-a-map/"
    text_only = replace(good, text=good.text.replace(f"Read more: {url}", "Read more: (gone)"))
    messages = rule_findings(run(text_only), "parity", "error")
    assert f"post title is in the text part, but not its link {url}" in messages
    assert "link in the HTML part only" in messages
    # the same link escaped differently is named as such, not as a missing post
    escaped = url.replace("missed-appointments", "missed%2Dappointments")
    differ = replace(good, text=good.text.replace(url, escaped))
    messages = rule_findings(run(differ), "parity", "error")
    assert messages == [
        f"post link is escaped differently in the text part: {escaped} there, {url} in the manifest",
        f"link is escaped differently in the two parts: {url} in the HTML part, "
        f"{escaped} in the text part",
    ]
    gone = replace(
        good,
        text=good.text.replace(f"Read more: {url}", "").replace(
            "Missed appointments are a map", ""
        ),
    )
    assert any(
        m.startswith("post is missing from the text part (neither its title nor")
        for m in rule_findings(run(gone), "parity", "error")
    )
    extra = replace(good, text=good.text + "\nSee also https://elsewhere.example/x\n")
    assert "link in the text part only" in rule_findings(run(extra), "parity", "error")
    renamed = replace(
        good, text=good.text.replace("Missed appointments are a map", "Something else")
    )
    assert (
        "post title is missing from the text part, though its link is there "
        "(the title written differently there?)"
    ) in rule_findings(run(renamed), "parity", "error")
    assert rule_findings(run(good), "parity") == []


def test_unsubscribe_link_or_placeholder(good: EmailParts) -> None:
    html = re.sub(
        r'<a href="https://leadingwell.example.org/newsletter/unsubscribe"[^>]*>Unsubscribe</a>',
        "",
        good.html,
    )
    text = good.text.replace(f"Unsubscribe: {UNSUB}\n", "")
    none = check(replace(good, html=html, text=text), CheckOptions())
    assert len(rule_findings(none, "unsubscribe", "error")) == 2
    html_placeholder = html.replace("</body>", '<a href="*|UNSUB|*">Leave</a></body>')
    with_placeholder = check(
        replace(good, html=html_placeholder, text=text + "Leave: *|UNSUB|*\n"), CheckOptions()
    )
    assert rule_findings(with_placeholder, "unsubscribe") == []
    assert rule_findings(run(good), "unsubscribe") == []


@pytest.mark.parametrize("residue", ["{{ post.title }}", "{% endif %}", "TK", "Lorem ipsum dolor"])
def test_template_residue(good: EmailParts, residue: str) -> None:
    bad = html_sub(
        good, "Welcome to the Leading Well digest", f"{residue} Welcome to the Leading Well digest"
    )
    assert rule_findings(run(bad), "residue", "error")
    bad_text = replace(
        good, text=good.text.replace("Welcome to the Leading Well digest", f"{residue} Welcome")
    )
    assert rule_findings(run(bad_text), "residue", "error")
    assert rule_findings(run(good), "residue") == []


def test_css_support_reports_unsupported_features_with_clients(good: EmailParts) -> None:
    bad = html_sub(
        good,
        '<h1 style="',
        '<h1 style="display:flex;position:absolute;background-image:url(https://x.example/a.png);',
    )
    warnings = rule_findings(run(bad), "css-support", "warning")
    assert any(m.startswith("position is not supported by") and "Gmail" in m for m in warnings), (
        warnings
    )
    assert any("display:flex is not supported by Outlook (Windows)" in m for m in warnings), (
        warnings
    )
    allowed = run(bad, allow_features=("css-position", "css-display-flex", "css-background-image"))
    assert not rule_findings(allowed, "css-support", "warning")
    in_media = html_sub(
        good,
        "@media (prefers-color-scheme: dark) {",
        "@media (prefers-color-scheme: dark) { .x { position: absolute; }",
    )
    assert not rule_findings(run(in_media), "css-support", "warning")  # an enhancement only
    assert rule_findings(run(good), "css-support", "warning") == []


def test_support_table_is_derived_with_attribution() -> None:
    table = support_table()
    assert "MIT" in table["attribution"] and len(table["source_commit"]) == 40
    flex = table["features"]["css-display-flex"]
    assert "Outlook (Windows)" in flex["unsupported"]
    assert flex["detect"] == [{"kind": "property-value", "name": "display", "value": "flex"}]
    assert (
        (Path(__file__).parents[1] / "src/digest/data/caniemail-LICENSE.txt")
        .read_text()
        .startswith("MIT")
    )


def test_support_table_is_up_to_date_with_the_script(tmp_path: Path) -> None:
    from .conftest import REPO, SHARED

    if not (SHARED / "caniemail").is_dir():
        pytest.skip("../shared/caniemail is absent")
    import subprocess
    import sys

    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts/caniemail_table.py"),
            str(SHARED / "caniemail"),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    committed = (REPO / "src/digest/data/caniemail.json").read_text()
    assert (tmp_path / "caniemail.json").read_text() == committed


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h: h.replace('<html lang="en-GB"', "<html"), "<html> has no lang attribute"),
        (
            lambda h: re.sub(r"<title>.*?</title>", "<title></title>", h, flags=re.S),
            "the document has no <title>",
        ),
        (
            lambda h: h.replace('role="presentation"', ""),
            'layout table without role="presentation"',
        ),
        (
            lambda h: re.sub(r' aria-label="Read more: [^"]*"', "", h),
            "links share the name 'read more",
        ),
        (
            lambda h: h.replace("<h3", "<h5").replace("</h3>", "</h5>"),
            "heading level jumps from h2 to h5",
        ),
    ],
)
def test_accessibility_rules(good: EmailParts, mutate, expected: str) -> None:
    messages = rule_findings(run(replace(good, html=mutate(good.html))), "accessibility")
    assert any(expected in m for m in messages), messages
    assert rule_findings(run(good), "accessibility") == []


def test_text_baked_into_images(good: EmailParts) -> None:
    long_alt = " ".join(["word"] * 30)
    bad = replace(
        good, html=re.sub(r'<img alt="[^"]*"', f'<img alt="{long_alt}"', good.html, count=1)
    )
    assert any(
        "baked into the image" in m for m in rule_findings(run(bad), "accessibility", "warning")
    )


def test_dark_mode_rule(good: EmailParts) -> None:
    bad = replace(
        good,
        html=re.sub(r'<meta name="color-scheme"[^>]*>', "", good.html).replace(
            "prefers-color-scheme", "x"
        ),
    )
    assert len(rule_findings(run(bad), "dark-mode", "warning")) == 2
    assert rule_findings(run(good), "dark-mode", "warning") == []


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path: Path, sample_config: Config) -> Path:
    config = sample_config.but(until=date(2026, 11, 26), out_dir=tmp_path / "dist")
    result = build(config, write=False)
    write_build(config.paths.out, result.digest, result.rendered)
    return config.paths.out


def edit_html(built: Path, old: str, new: str) -> None:
    """Change the built HTML as a build would have made it (the manifest's hash follows)."""
    html = built / "digest.html"
    html.write_text(html.read_text().replace(old, new, 1))
    data = json.loads((built / "digest.json").read_text())
    data["html_sha256"] = hashlib.sha256(html.read_bytes()).hexdigest()
    (built / "digest.json").write_text(json.dumps(data))


def test_check_command_passes_strict_on_the_sample(runner: CliRunner, built: Path) -> None:
    result = runner.invoke(main, ["check", "--strict", str(built)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("passed: 0 errors, 0 warnings")


def test_check_command_fails_with_a_clear_message(runner: CliRunner, built: Path) -> None:
    edit_html(
        built,
        'href="https://leadingwell.example.org/2026/11/25/review-the-quiet-rota/"',
        'href="javascript:alert(1)"',
    )
    result = runner.invoke(main, ["check", str(built)])
    assert result.exit_code == 1
    assert (
        "error: [links] link uses a scheme mail clients block or that is unsafe "
        "(javascript:alert(1))" in result.output
    )
    assert "FAILED: " in result.output


def test_strict_fails_on_warnings_only_when_asked(runner: CliRunner, built: Path) -> None:
    manifest_path = built / "digest.json"
    data = json.loads(manifest_path.read_text())
    data["subject"] = "S" * 90
    manifest_path.write_text(json.dumps(data))
    assert runner.invoke(main, ["check", str(built)]).exit_code == 0
    assert runner.invoke(main, ["check", "--strict", str(built)]).exit_code == 1


def test_json_and_junit_reports(runner: CliRunner, built: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", "--format", "json", str(built)])
    data = json.loads(result.output)
    assert data["passed"] is True and data["summary"]["error"] == 0
    assert {f["rule"] for f in data["findings"]} >= {"size", "css-support"}
    out = tmp_path / "reports" / "check.xml"
    result = runner.invoke(
        main, ["check", "--format", "junit", "-o", str(out), str(built / "digest.html")]
    )
    assert result.exit_code == 0
    suite = ET.parse(out).getroot()
    assert (
        suite.tag == "testsuite"
        and suite.get("failures") == "0"
        and int(suite.get("tests")) == len(rule_names())
    )
    edit_html(built, "<title>", "<title>{{ x }}")
    result = runner.invoke(main, ["check", "--format", "junit", str(built)])
    assert result.exit_code == 1
    failures = ET.fromstring(result.output).findall(".//failure")
    assert failures and "residue" in failures[0].text


def test_check_command_errors_for_a_missing_text_part(runner: CliRunner, built: Path) -> None:
    (built / "digest.txt").unlink()
    result = runner.invoke(main, ["check", str(built)])
    assert result.exit_code == 1
    assert "the text part digest.txt is missing" in result.output


# --- hostile CSS: bounded work, a clean finding ----------------------------------------------

DEEP = 5_000  # far past Python's recursion limit, within the size bound
DEEP_CSS = {
    "nested @media": "@media all {" * DEEP + "}" * DEEP,
    "nested @supports": "@supports (display: block) {" * 2_000 + "}" * 2_000,
    "brackets in a value": "p { margin: " + "(" * DEEP + ")" * DEEP + " }",
    "square brackets": "[" * DEEP + "]" * DEEP + " { color: red }",
    "nested functions": "p { width: " + "calc(" * DEEP + "1px" + ")" * DEEP + " }",
    "unclosed": "p { margin: " + "(" * DEEP,
}


@pytest.mark.parametrize("css", list(DEEP_CSS.values()), ids=list(DEEP_CSS))
def test_deeply_nested_css_is_a_finding_not_a_crash(good: EmailParts, css: str) -> None:
    hostile = html_sub(good, "</head>", f"<style>{css}</style></head>")
    report = run(hostile)
    warnings = rule_findings(report, "css-support", "warning")
    assert any(
        re.search(r"CSS in <style> at line \d+ nests more than 32 blocks deep", m) for m in warnings
    ), warnings
    # the rest of the email's CSS is still checked
    assert rule_findings(report, "css-support", "info") == rule_findings(
        run(good), "css-support", "info"
    )


def test_deeply_nested_css_in_a_style_attribute(good: EmailParts) -> None:
    nested = "calc(" * DEEP + "1px" + ")" * DEEP
    report = run(html_sub(good, '<h1 style="', f'<h1 style="width:{nested};'))
    assert any(
        re.search(r"CSS in <h1 style> at line \d+ nests more than 32", m)
        for m in rule_findings(report, "css-support", "warning")
    )


def test_brackets_in_css_strings_and_comments_do_not_count(good: EmailParts) -> None:
    css = 'p::before { content: "' + "(" * 100 + '" } /* ' + "{" * 100 + " */ p { color: red }"
    report = run(html_sub(good, "</head>", f"<style>{css}</style></head>"))
    assert not [m for m in rule_findings(report, "css-support") if "blocks deep" in m]
    assert any("::before" in f.where for f in report.findings if f.rule == "css-support")


def test_the_css_parsed_is_bounded_in_size(
    good: EmailParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    real = tinycss2.parse_stylesheet

    def counting(css: str, **kwargs: Any) -> Any:
        parsed.append(len(css))
        return real(css, **kwargs)

    monkeypatch.setattr(tinycss2, "parse_stylesheet", counting)
    sheet = "<style>" + "p { color: red }" * 2_000 + "</style>"  # 32 KB each
    report = run(html_sub(good, "</head>", sheet * 30 + "</head>"))  # 960 KB of CSS
    assert sum(parsed) <= CSS_MAX_CHARS
    warnings = rule_findings(report, "css-support", "warning")
    assert [m for m in warnings if m.startswith("more than 128 KB of CSS")] == [
        "more than 128 KB of CSS: CSS support not checked from <style> at line "
        f"{good.html[: good.html.index('</head>')].count(chr(10)) + 1} on"
    ], warnings


def test_check_command_reports_nested_css_in_one_line(runner: CliRunner, built: Path) -> None:
    html = built / "digest.html"
    sample = html.read_text()
    for depth, expected in ((DEEP, "nests more than 32 blocks deep"), (100_000, "128 KB of CSS")):
        css = "@media all {" * depth + "}" * depth
        html.write_text(sample.replace("</head>", f"<style>{css}</style></head>", 1))
        data = json.loads((built / "digest.json").read_text())
        if "html_sha256" in data:  # a manifest that records the parts' hashes: keep it consistent
            data["html_sha256"] = hashlib.sha256(html.read_bytes()).hexdigest()
            (built / "digest.json").write_text(json.dumps(data))
        result = runner.invoke(main, ["check", str(built)])
        assert "internal error" not in result.output and "Traceback" not in result.output
        found = [line for line in result.output.splitlines() if expected in line]
        assert len(found) == 1 and found[0].startswith("warning: [css-support] "), result.output
        strict = runner.invoke(main, ["check", "--strict", str(built)])
        assert strict.exit_code == 1 and "internal error" not in strict.output
