"""The sample digest in a real browser: responsive layout, images, text size, dark mode.

Runs Debian's Chromium through Playwright at phone, small-tablet and desktop
widths. Screenshots land in $DIGEST_TEST_ARTIFACTS (default: the system temp folder's
digest-test-artifacts/) for people to look at.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest.config import Config
from digest.output import write_build
from digest.pipeline import build

from .browser import ARTIFACTS, COLOURS_JS, LAYOUT_JS, contrast, luminance, offline

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a test dependency"
)

WIDTHS = (375, 600, 1024)


@pytest.fixture(scope="module")
def digest_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import sample_config_in

    out = tmp_path_factory.mktemp("dist")
    config: Config = sample_config_in(out).but(until=date(2026, 11, 26), out_dir=out)
    result = build(config, write=False)
    write_build(out, result.digest, result.rendered)
    return out / "digest.html"


def open_page(browser: Any, html: Path, width: int, scheme: str = "light") -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.route("**/*", offline)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_layout_at_each_width(browser: Any, digest_html: Path, width: int) -> None:
    page = open_page(browser, digest_html, width)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digest-{width}-light.png"), full_page=True)
    layout = page.evaluate(LAYOUT_JS)
    page.close()

    assert layout["scrollWidth"] <= layout["innerWidth"], "horizontal overflow"
    assert len(layout["titles"]) == 5
    cards = layout["cards"]
    assert cards, "post cards rendered"
    assert max(c["width"] for c in cards) <= 600.5, "content column wider than 600 px"
    if width == 375:
        # one column: every card spans the screen and titles are stacked, never side by side
        assert all(abs(c["width"] - width) <= 1 for c in cards)
        lefts = {round(t["left"]) for t in layout["titles"]}
        assert len(lefts) == 1
        tops = [t["top"] for t in layout["titles"]]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)
        small = [t for t in layout["texts"] if t["size"] < 14]
        assert small == [], f"text under 14 px on a phone: {small[:3]}"
    if width == 1024:
        centre = sum(c["left"] + c["width"] / 2 for c in cards) / len(cards)
        assert abs(centre - width / 2) <= 2, "content column is centred"
    images = layout["images"]
    assert len(images) == 2, "two sample posts have thumbnails"
    for image in images:
        assert image["natural"] == 1200, "thumbnail loaded"
        assert image["width"] <= image["column"] + 0.5, f"image wider than its column: {image}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_link_contrast_in_both_schemes(
    browser: Any, digest_html: Path, scheme: str
) -> None:
    page = open_page(browser, digest_html, 600, scheme)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digest-600-{scheme}.png"), full_page=True)
    samples = page.evaluate(COLOURS_JS)["texts"]
    page.close()
    assert len(samples) > 20
    assert any(s["link"] for s in samples)
    low = [
        (s["text"], round(contrast(tuple(s["color"]), tuple(s["background"])), 2))
        for s in samples
        if contrast(tuple(s["color"]), tuple(s["background"])) < 4.5
    ]
    assert low == [], f"text below 4.5:1 contrast in {scheme} mode: {low[:5]}"
    page_background = samples[0]["background"]
    if scheme == "dark":
        assert luminance(tuple(page_background)) < 0.05, "dark scheme has a dark background"
    else:
        assert luminance(tuple(page_background)) > 0.8
