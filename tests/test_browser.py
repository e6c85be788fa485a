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
    assert len(layout["titles"]) == 8
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
    images = [i for i in layout["images"] if not i["src"].endswith("/logo.png")]
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


# --- every block a digest can show, in both schemes (issue 13) ---------------------------------


def _write_variant(out: Path, digest: Any) -> Path:
    from digest.render import render

    rendered = render(digest)
    path = out / "digest.html"
    path.write_text(rendered.html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def every_block(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample with every optional block: contents, intro, a section's over-the-limit
    list, the collapsed "More this week" list, banner and side thumbnails, logo, footer
    address and preferences; and an empty digest ("No new posts")."""
    from dataclasses import replace

    from digest.pipeline import plan
    from digest.render import collapse

    from .conftest import sample_config_in

    root = tmp_path_factory.mktemp("blocks")
    config = sample_config_in(root).but(until=date(2026, 11, 26), window_days=14, contents="true")
    limited = replace(config, sections=tuple(replace(s, limit=1) for s in config.sections))
    variants: dict[str, Path] = {}
    full = collapse(plan(limited).digest, 1)
    assert full.more and any(s.more for s in full.sections) and full.contents and full.intro
    for name, digest in (
        ("banner", full),
        ("side", replace(full, thumbnails="side")),
        ("no-logo", replace(full, brand=replace(full.brand, logo=""))),
        ("empty", plan(config.but(until=date(2026, 8, 1))).digest),
    ):
        folder = root / name
        folder.mkdir()
        variants[name] = _write_variant(folder, digest)
    return variants


@pytest.mark.parametrize("variant", ["banner", "side", "no-logo", "empty"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_block_reaches_contrast_in_both_schemes(
    browser: Any, every_block: dict[str, Path], variant: str, scheme: str
) -> None:
    page = open_page(browser, every_block[variant], 600, scheme)
    samples = page.evaluate(COLOURS_JS)["texts"]
    page.close()
    assert len(samples) > (5 if variant == "empty" else 40)
    low = [
        (s["text"], s["color"], s["background"], round(contrast(s["color"], s["background"]), 2))
        for s in samples
        if contrast(tuple(s["color"]), tuple(s["background"])) < 4.5
    ]
    assert low == [], f"text below 4.5:1 in {scheme} mode ({variant}): {low[:5]}"


LINES_JS = """(patterns) => {
  // For every match of each pattern in the visible text, the lines its characters sit on.
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('[style*="display:none"]') || el.getBoundingClientRect().width === 0) continue;
    for (const source of patterns) {
      const re = new RegExp(source, 'g');
      let m;
      while ((m = re.exec(node.textContent)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        out.push({text: m[0], lines: tops.size});
      }
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def many_bylines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Posts whose author names grow a letter at a time, so that at 375 px some date
    reaches the end of a line wherever the line breaks fall; and excerpts that end at
    every position of a line."""
    from digest.config import load_config

    root = tmp_path_factory.mktemp("bylines")
    posts = root / "posts"
    posts.mkdir()
    words = ["care", "team", "ward", "rota", "shift", "plan", "audit", "nurse", "staff", "night"]
    for number in range(24):
        author = "Alexandra " + "Q" * number + " Smith"
        body = " ".join(
            words[(number + i) % len(words)] + "x" * (i % 3) for i in range(40 + number)
        )
        (posts / f"2026-11-{2 + number:02d}-post-{number}.md").write_text(
            f"---\ntitle: Post {number}\nauthor: {author}\ncategories: [Notes]\n---\n{body}\n",
            encoding="utf-8",
        )
    config = load_config(
        None,
        overrides={
            "posts_dir": posts,
            "base_url": "https://blog.example.org/",
            "out_dir": root / "out",
            "until": date(2026, 11, 26),
            "window_days": 28,
            "excerpt_words": 30,
            "size_budget_kb": 500,
        },
        cwd=root,
    )
    result = build(config, write=False)
    path = root / "digest.html"
    path.write_text(result.rendered.html, encoding="utf-8")
    return path


def test_dates_and_the_excerpt_marker_stay_on_one_line_at_375(
    browser: Any, many_bylines: Path
) -> None:
    page = open_page(browser, many_bylines, 375)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "digest-375-bylines.png"), full_page=True)
    found = page.evaluate(
        LINES_JS,
        [
            r"\d{1,2}[\s\u00a0]+(?:November|October)[\s\u00a0]+2026",  # en-GB
            r"(?:November|October)[\s\u00a0]+\d{1,2},[\s\u00a0]+2026",  # en (CLDR)
            r"\S+[\s\u00a0]+\[…\]",
        ],
    )
    page.close()
    dates = [f for f in found if "2026" in f["text"]]
    markers = [f for f in found if "[…]" in f["text"]]
    assert len(dates) >= 24 and len(markers) >= 20
    broken = [f["text"] for f in found if f["lines"] != 1]
    assert broken == [], f"split across lines at 375 px: {broken[:5]}"


@pytest.mark.parametrize("width", [375, 1024])
def test_side_thumbnails_sit_beside_the_excerpt_on_desktop_and_above_on_phones(
    browser: Any, every_block: dict[str, Path], width: int
) -> None:
    page = open_page(browser, every_block["side"], width)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('img.side')].map(img => {
             const card = img.closest('.card');
             const title = card.querySelector('.post-title h3').getBoundingClientRect();
             const r = img.getBoundingClientRect();
             return {img: {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                           width: r.width, height: r.height},
                     title: {left: title.left, top: title.top}};
           })"""
    )
    page.close()
    assert boxes, "side thumbnails rendered"
    for box in boxes:
        assert round(box["img"]["width"]) == 120 and round(box["img"]["height"]) == 63
        if width == 1024:
            assert box["img"]["right"] <= box["title"]["left"], "beside the text"
            assert abs(box["img"]["top"] - box["title"]["top"]) < 12
        else:
            assert box["img"]["bottom"] <= box["title"]["top"], "above the text"
