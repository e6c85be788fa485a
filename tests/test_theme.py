"""[theme], the masthead's issue line, "In this issue", thumbnails layouts, the footer,
and the check rules that catch issue 13's defects."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path

import lxml.html
import pytest

from digest import ledger
from digest.checks import CheckOptions, EmailParts, check
from digest.compose import CONTENTS_AUTO, window_words
from digest.config import Config, load_config
from digest.errors import ConfigError
from digest.models import DateWindow
from digest.pipeline import build, plan, rebuild
from digest.render import render
from digest.theme import contrast, nearest_passing, parse_colour, worst_contrast

from .conftest import WritePost

UNTIL = date(2026, 11, 26)


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- colours -----------------------------------------------------------------------------------


def test_contrast_matches_wcag_reference_values() -> None:
    """Values from WCAG 2's definition: black on white is 21:1; #767676 is the lightest
    grey with 4.5:1 on white, #777777 just misses it."""
    white, black = (255, 255, 255), (0, 0, 0)
    assert contrast(black, white) == pytest.approx(21.0)
    assert contrast(white, white) == pytest.approx(1.0)
    assert contrast((0x76, 0x76, 0x76), white) >= 4.5 > contrast((0x77, 0x77, 0x77), white)
    assert parse_colour("#abc") == (0xAA, 0xBB, 0xCC)
    assert parse_colour("rgb(26, 32, 39)") == (26, 32, 39)
    assert parse_colour("transparent") is None


def test_a_low_contrast_colour_is_refused_with_its_ratio_and_a_passing_shade(
    tmp_path: Path,
) -> None:
    path = toml(
        tmp_path,
        """
        [theme]
        accent = "#7fa7d9"
        dark_link = "#2a4d7a"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    accent = re.search(
        r"\[theme\] accent: .*?has (\d\.\d\d):1 .*?passes is (#[0-9a-f]{6})", message
    )
    dark = re.search(
        r"\[theme\] dark_link: .*?has (\d\.\d\d):1 .*?passes is (#[0-9a-f]{6})", message
    )
    assert accent and dark, message
    backgrounds = [parse_colour("#ffffff"), parse_colour("#f3f5f7")]
    ratio = worst_contrast(parse_colour("#7fa7d9"), backgrounds)[0]  # type: ignore[arg-type]
    assert float(accent.group(1)) == pytest.approx(ratio, abs=0.01) and ratio < 4.5
    # the suggestions pass: written back into the file, it loads
    path.write_text(f'[theme]\naccent = "{accent.group(2)}"\ndark_link = "{dark.group(2)}"\n')
    config = load_config(path)
    assert config.theme.accent == accent.group(2)
    dark_grounds = [parse_colour("#0f1419"), parse_colour("#1a2027")]
    assert worst_contrast(parse_colour(dark.group(2)), dark_grounds)[0] >= 4.5  # type: ignore[arg-type]


def test_nearest_passing_shade_keeps_close_to_the_colour() -> None:
    white = (255, 255, 255)
    shade = nearest_passing((0x7F, 0xA7, 0xD9), [white])
    assert shade is not None and contrast(shade, white) >= 4.5
    assert contrast(shade, white) < 5.0, "the nearest shade, not black"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('logo = "http://example.org/logo.png"', "[theme] logo: expected an https URL"),
        ("logo_width = 900", "[theme] logo_width: expected a width in pixels from 16 to 552"),
        ('accent = "blue"', "[theme] accent: expected a colour like #0b5fa5"),
        ('heading_font = "Georgia; } body { color: red"', "[theme] heading_font: expected a font"),
    ],
)
def test_bad_theme_values_are_refused(tmp_path: Path, line: str, expected: str) -> None:
    path = toml(tmp_path, f"[theme]\n{line}\n")
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_config(path)


@pytest.mark.parametrize(
    ("value", "expected"), [("true", "banner"), ("false", "none"), ('"side"', "side")]
)
def test_thumbnails_accepts_layouts_and_the_old_switch(
    tmp_path: Path, value: str, expected: str
) -> None:
    assert load_config(toml(tmp_path, f"[digest]\nthumbnails = {value}\n")).digest.thumbnails == (
        expected
    )


def test_thumbnails_refuses_other_layouts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='thumbnails: expected "banner", "side" or "none"'):
        load_config(toml(tmp_path, '[digest]\nthumbnails = "left"\n'))


def test_window_in_words() -> None:
    def words(since: date, until: date) -> str:
        return window_words(DateWindow(since=since, until=until)).replace("\u00a0", " ")

    assert words(date(2026, 11, 19), date(2026, 11, 26)) in {
        "19\u201326 November 2026",
        "November 19\u201326, 2026",
    }
    spanning = words(date(2026, 10, 28), date(2026, 11, 3))
    assert " \u2013 " in spanning and "October" in spanning and "November" in spanning


# --- the email ---------------------------------------------------------------------------------


@pytest.fixture
def six_posts(write_post: WritePost, tmp_config) -> Config:  # type: ignore[no-untyped-def]
    for day in range(20, 26):
        write_post(
            f"2026-11-{day}-post-{day}.md",
            f"""
            ---
            title: Post {day}
            author: Ann
            categories: [News]
            image: https://blog.example.org/img/{day}.jpg
            ---
            Body of post {day}.
            """,
        )
    return tmp_config(until=UNTIL)  # type: ignore[no-any-return]


def test_contents_appear_above_five_posts_unless_switched_off(six_posts: Config) -> None:
    def titles_at_top(config: Config) -> bool:
        return "IN THIS ISSUE" in build(config, write=False).rendered.text

    assert len(plan(six_posts).digest.entries) == CONTENTS_AUTO + 1
    assert titles_at_top(six_posts)
    assert not titles_at_top(six_posts.but(contents="false"))
    assert not titles_at_top(six_posts.but(limit=CONTENTS_AUTO))
    assert titles_at_top(six_posts.but(limit=2, contents="true"))
    html = build(six_posts, write=False).rendered.html
    doc = lxml.html.document_fromstring(html)
    listed = [a.text_content() for a in doc.xpath("//ul//a")]
    assert listed == [f"Post {day}" for day in range(25, 19, -1)]


def test_the_issue_number_counts_this_editions_sent_issues(six_posts: Config) -> None:
    path = six_posts.paths.ledger
    for number, edition in enumerate(("digest", "weekly", "digest")):
        ledger.append(
            path,
            ledger.Issue(
                id=f"{edition}-2026-10-0{number + 1}",
                edition=edition,
                recorded="2026-10-01T09:00:00+00:00",
                since="2026-09-24",
                until=f"2026-10-0{number + 1}",
                subject="x",
                posts=(),
                html_sha256=f"{number}" * 64,
                text_sha256=f"{number}" * 64,
            ),
        )
    rendered = build(six_posts, write=False).rendered
    assert re.search(
        r"No\. 3 · 20\u201326\u00a0November\u00a02026|No\. 3 · November", rendered.text
    )
    assert "No. 3" in rendered.html


def test_rebuild_keeps_the_issue_number(six_posts: Config, tmp_path: Path) -> None:
    from digest.delivery import record

    out = tmp_path / "built"
    result = build(six_posts.but(out_dir=out), write=True)
    assert "No. 1" in result.rendered.text
    record(six_posts, out, via="mark-sent")
    again = build(six_posts, write=False)
    assert "No. 2" in again.rendered.text, "the next build is the next issue"
    issue = ledger.read(six_posts.paths.ledger)[0]
    rebuilt = rebuild(six_posts, issue.id, tmp_path / "rebuilt", write=False)
    assert rebuilt.rendered.text == result.rendered.text


def test_side_thumbnails_and_none(six_posts: Config) -> None:
    side = build(six_posts.but(thumbnails="side"), write=False).rendered.html
    doc = lxml.html.document_fromstring(side)
    images = doc.xpath("//img")
    assert len(images) == 6
    assert {(i.get("width"), i.get("height")) for i in images} == {("120", "63")}
    none = build(six_posts.but(thumbnails="none"), write=False).rendered.html
    assert "<img" not in none


def test_footer_reason_address_and_preferences_in_both_parts(six_posts: Config) -> None:
    config = six_posts.but(
        reason="You get this because you asked for {{ site_name }} news.",
        postal_address="Example Ltd\n1 Long Road\nSpringfield 12345",
        preferences_url="https://blog.example.org/prefs",
        unsubscribe_url="https://blog.example.org/unsubscribe",
        site_name="Site",
    )
    result = build(config, write=False)
    html, text = result.rendered.html, result.rendered.text
    assert "You get this because you asked for Site news." in html
    assert "You get this because you asked for Site news." in text
    assert "Example Ltd<br>1 Long Road<br>Springfield 12345" in html
    assert "Example Ltd\n1 Long Road\nSpringfield 12345\n" in text
    assert "https://blog.example.org/prefs" in text
    report = check(
        EmailParts(html=html, text=text, subject=result.rendered.subject),
        CheckOptions(postal_address=config.email.postal_address),
    )
    assert [f for f in report.findings if f.rule in {"parity", "postal-address"}] == []


# --- check rules: each fires on a bad template and is quiet on the sample -------------------------


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from .conftest import sample_config_in

    config = sample_config_in(tmp_path_factory.mktemp("s")).but(until=UNTIL)
    rendered = build(config, write=False).rendered
    return check(
        EmailParts(html=rendered.html, text=rendered.text, subject=rendered.subject),
        CheckOptions(postal_address=config.email.postal_address),
    )


BAD_TEMPLATE = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{{ digest.subject }}</mj-title>
    <mj-style>
      @media (prefers-color-scheme: dark) {
        .card, .card > table, .card > table > tbody > tr > td { background-color: #1a2027 !important; }
        .card div { color: #e4e7eb !important; }
      }
    </mj-style>
  </mj-head>
  <mj-body background-color="#f3f5f7">
    <mj-section css-class="card" background-color="#ffffff">
      <mj-column>
        <mj-text><h1>{{ digest.site_name }}</h1></mj-text>
        {% for entry in digest.entries %}
        <mj-text><img src="https://example.org/{{ loop.index }}.png" alt="" width="100%">
          <a href="{{ entry.href }}">{{ entry.post.title }}</a><br>
          <span style="color:#52606d">{{ entry.byline }}</span></mj-text>
        {% endfor %}
        <mj-text color="#b0b8c0">Pale footer <a href="https://example.org/unsubscribe">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


@pytest.fixture(scope="module")
def bad_report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from .conftest import sample_config_in

    root = tmp_path_factory.mktemp("bad")
    (root / "templates").mkdir()
    (root / "templates" / "digest.mjml.j2").write_text(BAD_TEMPLATE, encoding="utf-8")
    config = sample_config_in(root).but(until=UNTIL)
    digest = plan(config).digest
    rendered = render(replace(digest, postal_address=""), root / "templates")
    return check(EmailParts(html=rendered.html, text=rendered.text, subject=rendered.subject))


def messages(report, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{f.severity}: {f.message} {f.where}" for f in report.findings if f.rule == name]


def test_image_widths_rule(bad_report, sample_report) -> None:  # type: ignore[no-untyped-def]
    found = messages(bad_report, "image-widths")
    assert found and all(m.startswith('error: image has width="100%"') for m in found)
    assert messages(sample_report, "image-widths") == []


def test_image_links_rule(bad_report, sample_report) -> None:  # type: ignore[no-untyped-def]
    found = messages(bad_report, "image-links")
    assert any('alt=""' in m for m in found) and any("is not a link" in m for m in found)
    assert messages(sample_report, "image-links") == []


def test_contrast_rule_reads_both_schemes(bad_report, sample_report) -> None:  # type: ignore[no-untyped-def]
    found = messages(bad_report, "contrast")
    # the pale footer on the page in the light scheme; the byline the dark rules miss
    assert any("#b0b8c0 on #ffffff" in m and "light scheme" in m for m in found), found
    assert any(
        m.startswith("error: text #52606d on #1a2027 has 2.5:1 contrast in the dark scheme")
        for m in found
    ), found
    assert messages(sample_report, "contrast") == []


def test_data_detectors_rule(bad_report, sample_report) -> None:  # type: ignore[no-untyped-def]
    found = messages(bad_report, "data-detectors")
    assert any('no <meta name="format-detection"' in m for m in found)
    assert messages(sample_report, "data-detectors") == []


def test_postal_address_rule(bad_report, sample_report) -> None:  # type: ignore[no-untyped-def]
    assert messages(bad_report, "postal-address") == [
        "warning: no postal address in the footer: US law (CAN-SPAM) asks commercial email "
        "for one; set [email] postal_address "
    ]
    assert messages(sample_report, "postal-address") == []


def test_the_sample_passes_every_rule_strictly(sample_report) -> None:  # type: ignore[no-untyped-def]
    assert not sample_report.failed(strict=True), [
        str(f) for f in sample_report.findings if f.severity != "info"
    ]


# --- the preferences link in service exports ---------------------------------------------------


@pytest.mark.parametrize(
    ("service", "tag"),
    [
        ("mailchimp", "*|UPDATE_PROFILE|*"),
        ("sendgrid", "<%asm_preferences_raw_url%>"),
        ("sendgrid-singlesend", "{{{unsubscribe_preferences}}}"),
        ("listmonk", "{{ ManageURL }}"),
        ("postmark", None),
    ],
)
def test_exports_use_the_services_preferences_tag(
    tmp_path: Path, service: str, tag: str | None
) -> None:
    import json

    from digest.delivery import export

    from .exporthelp import build_project, service_parts

    config, out = build_project(tmp_path)
    prefs = config.email.preferences_url
    assert prefs
    export(config, out, [service])
    payload = json.loads((out / "export" / f"{service}.json").read_text(encoding="utf-8"))
    html, text = service_parts(service, payload)
    if tag is None:  # no tag of its own: the configured page stays linked
        assert f'href="{prefs}"' in html and prefs in text
    else:
        assert f'href="{tag}"' in html and prefs not in html
        assert tag in text and prefs not in text
