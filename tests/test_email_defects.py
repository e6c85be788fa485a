"""The defects of issue 13 that can be seen in the HTML itself (the browser tests measure
the rest): Outlook's image widths, thumbnails, data detectors, Outlook's fonts, dates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import lxml.html
import pytest

from digest.compose import same_name
from digest.config import Config
from digest.pipeline import build
from digest.render import mjml_to_html

UNTIL = date(2026, 11, 26)
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from .conftest import sample_config_in

    config: Config = sample_config_in(tmp_path_factory.mktemp("sample")).but(until=UNTIL)
    return build(config, write=False)


def test_premailer_keeps_pixel_width_attributes() -> None:
    """MJML writes width="552"; premailer used to copy img{width:100%} over it."""
    html = mjml_to_html(
        "<mjml><mj-body><mj-section><mj-column>"
        '<mj-image src="https://example.org/a.png" alt="A" width="300px" height="158px" />'
        "</mj-column></mj-section></mj-body></mjml>"
    )
    image = lxml.html.document_fromstring(html).find(".//img")
    assert image is not None
    assert image.get("width") == "300"
    assert image.get("height") == "158"


def test_every_image_has_a_pixel_width_attribute(sample) -> None:  # type: ignore[no-untyped-def]
    doc = lxml.html.document_fromstring(sample.rendered.html)
    images = list(doc.iter("img"))
    assert len(images) == 3, "the logo and two thumbnails"
    for image in images:
        assert re.fullmatch(r"\d+", image.get("width") or ""), lxml.html.tostring(image)
        assert int(image.get("width")) <= 552


def test_thumbnails_link_to_their_post_with_the_title_as_alt_text(sample) -> None:  # type: ignore[no-untyped-def]
    doc = lxml.html.document_fromstring(sample.rendered.html)
    with_images = [e for e in sample.digest.full_entries if e.image]
    assert len(with_images) == 2
    for entry in with_images:
        image = doc.xpath("//img[@src=$src]", src=entry.image)[0]
        link = next(a for a in image.iterancestors("a"))
        assert link.get("href") == entry.href
        assert image.get("alt") == (entry.image_alt or entry.post.title)
        assert image.get("alt").strip()
        assert re.fullmatch(r"\d+", image.get("height") or ""), "height keeps crops alike"


def test_ios_data_detectors_are_switched_off(sample) -> None:  # type: ignore[no-untyped-def]
    html = sample.rendered.html
    doc = lxml.html.document_fromstring(html)
    meta = doc.xpath('//meta[@name="format-detection"]')
    assert meta and meta[0].get("content") == "telephone=no,date=no,address=no,email=no"
    styles = " ".join(s.text or "" for s in doc.iter("style"))
    assert re.search(r"a\[x-apple-data-detectors\]\s*\{[^}]*color:\s*inherit\s*!important", styles)


def test_outlook_gets_a_windows_font_and_headings_carry_their_own(sample) -> None:  # type: ignore[no-untyped-def]
    html = sample.rendered.html
    mso = re.findall(r"<!--\[if mso\]>(.*?)<!\[endif\]-->", html, re.DOTALL)
    styles = [block for block in mso if "<style" in block]
    assert styles, "an Outlook-only style block"
    assert re.search(r"font-family:\s*'Segoe UI', Arial", styles[0])
    doc = lxml.html.document_fromstring(html)
    headings = list(doc.iter("h1", "h2", "h3"))
    assert len(headings) > 5
    for heading in headings:
        assert "font-family" in (heading.get("style") or ""), lxml.html.tostring(heading)[:120]


def test_dates_and_the_excerpt_marker_cannot_break(sample) -> None:  # type: ignore[no-untyped-def]
    digest = sample.digest
    for entry in digest.entries:
        day = entry.post.day
        assert f"{day.day}{NBSP}{day:%B}{NBSP}{day.year}" in entry.byline, entry.byline
    ends = [e.excerpt for e in digest.full_entries if e.excerpt.endswith("[…]")]
    assert ends, "the sample has cut excerpts"
    assert all(text.endswith(f"{NBSP}[…]") for text in ends)
    assert digest.window_text == f"20\u201326{NBSP}November{NBSP}2026"
    # the text part keeps them together as well (wrapping breaks at ordinary spaces only)
    assert f"26{NBSP}November{NBSP}2026" in sample.rendered.text


def test_bylines_do_not_repeat_the_section(sample) -> None:  # type: ignore[no-untyped-def]
    named = 0
    for section in sample.digest.sections:
        for entry in section.entries:
            assert section.title.lower() not in entry.byline.lower(), (section.title, entry.byline)
            category = entry.post.categories[0]
            if same_name(category, section.title):  # a section of the category's name
                named += 1
                assert category not in entry.byline, (section.title, entry.byline)
    assert named >= 5, "the sample's Markdown posts sit in sections named for their category"


def test_the_sample_masthead_footer_and_text_part(sample) -> None:  # type: ignore[no-untyped-def]
    html, text = sample.rendered.html, sample.rendered.text
    doc = lxml.html.document_fromstring(html)
    h1 = doc.find(".//h1")
    assert h1 is not None and h1.find(".//img").get("alt") == "Leading Well"
    assert ("No. 1 · " in text and "No. 1 &#183; " in html) or "No. 1 · " in html
    first_link = next(doc.iter("a"))
    assert first_link.get("href") == "https://leadingwell.example.org/newsletter/latest/"
    assert first_link.text_content() == "View in browser"
    address = doc.xpath('//*[contains(@class, "postal-address")]')
    assert "1 Example Street" in address[0].text_content()
    assert "Leading Well, 1 Example Street\nLeeds LS1 1AA, United Kingdom\n" in text
    assert "Manage preferences: https://leadingwell.example.org/newsletter/preferences" in text
    assert doc.xpath('//a[@href="https://leadingwell.example.org/newsletter/preferences"]')


def test_builtin_template_has_no_english_left_outside_gettext() -> None:
    """New built-in strings go through gettext like the rest (the i18n helper's catalogs)."""
    source = (Path(__file__).resolve().parents[1] / "templates" / "digest.mjml.j2").read_text()
    for phrase in ("View in browser", "In this issue", "Manage preferences", "No. %(number)s"):
        assert f'_("{phrase}"' in source
