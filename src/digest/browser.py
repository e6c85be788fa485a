"""Laying a digest out in a real browser: Chromium under Playwright, offline.

Used by ``digest check --matrix --browser`` and by the project's own browser
tests (``tests/browser.py`` imports these probes), so both look at a digest
the same way. Playwright and Pillow are the optional ``[browser]`` extra; the
browser is the system's Chromium (``$DIGEST_CHROMIUM`` or ``chromium`` on
PATH), never one Playwright downloads. A missing extra or browser is one
:class:`BrowserError` naming what to install, never a traceback.

No network: every request other than the digest itself is answered locally
(images with a generated PNG), so layouts see real image sizes and nothing
leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .errors import DigestError

INSTALL_HINT = "pip install 'digest-newsletter[browser]'"
CHROMIUM_HINT = "install Chromium (e.g. sudo apt-get install chromium) or set DIGEST_CHROMIUM"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

WIDTHS = (375, 600, 1024)  # a phone, the email's own width, a desktop
SCHEMES = ("light", "dark")
PHONE_WIDTH = 375
COLUMN_MAX = 600.5  # the email's content column, with half a pixel for rounding
MIN_TEXT_PX = 14  # smallest readable text on a phone
MIN_CONTRAST = 4.5  # WCAG AA for body text
DARK_BACKGROUND_MAX = 0.05  # relative luminance of a page that reads as dark


class BrowserError(DigestError):
    """The browser could not be used: the extra is not installed, or Chromium is missing."""


def chromium_path() -> str | None:
    """DIGEST_CHROMIUM, else Chromium on PATH (Debian's ``chromium``)."""
    return (
        os.environ.get("DIGEST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def png(width: int, height: int, rgb: tuple[int, int, int] = (120, 150, 170)) -> bytes:
    """A solid-colour PNG, made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PLACEHOLDER = png(1200, 630)


def offline(route: Any) -> None:
    """Serve images locally; refuse every other network request."""
    request = route.request
    if request.url.startswith(("file://", "about:", "data:")):
        route.continue_()
    elif request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=PLACEHOLDER)
    else:
        route.abort()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's ``Browser``), closed on leaving."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserError(
            f"--browser needs Playwright, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    path = chromium_path()
    if path is None:
        raise BrowserError(f"--browser needs Chromium, which was not found: {CHROMIUM_HINT}")
    manager = sync_playwright()
    try:
        playwright = manager.start()
    except PlaywrightError as exc:
        raise BrowserError(f"Playwright could not start: {_first_line(exc)}") from None
    try:
        try:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            raise BrowserError(
                f"Chromium at {path} could not be started: {_first_line(exc)}; {CHROMIUM_HINT}"
            ) from None
        try:
            yield browser
        except PlaywrightError as exc:  # the browser died or refused a page mid-run
            raise BrowserError(f"Chromium failed: {_first_line(exc)}") from None
        finally:
            browser.close()
    finally:
        manager.__exit__(None, None, None)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- what a page looks like --------------------------------------------------------------

LAYOUT_JS = """() => {
  const rect = (e) => e.getBoundingClientRect();
  const cards = [...document.querySelectorAll('.card')].filter(e => rect(e).height > 0);
  const titles = [...document.querySelectorAll('.post-title h3')];
  const images = [...document.querySelectorAll('img')].map(img => {
      const column = img.closest('[class*="mj-column-per-"]') || img.parentElement;
      return {src: img.src, width: rect(img).width, column: rect(column).width,
              natural: img.naturalWidth};
  });
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('[style*="display:none"]')) continue;
    if (rect(el).width === 0) continue;
    texts.push({text: node.textContent.trim().slice(0, 40),
                size: parseFloat(getComputedStyle(el).fontSize)});
  }
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => rect(e).right > window.innerWidth + 0.5 && rect(e).width > 0)
    .filter(e => !e.closest('[style*="display:none"]'))
    .slice(-3)
    .map(e => ({tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40),
                right: rect(e).right}));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    cards: cards.map(c => ({left: rect(c).left, width: rect(c).width, top: rect(c).top})),
    titles: titles.map(t => ({left: rect(t).left, top: rect(t).top, width: rect(t).width})),
    images, texts, wide,
  };
}"""

COLOURS_JS = """() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('[style*="display:none"]')) continue;
    if (el.getBoundingClientRect().width === 0) continue;
    out.push({text: node.textContent.trim().slice(0, 30), tag: el.tagName,
              link: !!el.closest('a'), color: parse(getComputedStyle(el).color).slice(0, 3),
              background: background(el)});
  }
  const meta = document.querySelector('meta[name="color-scheme"]');
  return {texts: out, page: background(document.body), declared: meta ? meta.content : ''};
}"""


def luminance(rgb: Sequence[float]) -> float:
    """WCAG relative luminance of an sRGB colour (channels 0 to 255)."""

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing the browser saw wrong, with the rule it breaks."""

    rule: str
    message: str


def layout_problems(layout: dict[str, Any], width: int) -> list[Problem]:
    """Overflow, column width, images wider than their column, and text size on a phone."""
    problems: list[Problem] = []
    if layout["scrollWidth"] > layout["innerWidth"]:
        culprit = layout.get("wide") or []
        shown = f" (e.g. <{culprit[-1]['tag'].lower()}> {culprit[-1]['text']!r})" if culprit else ""
        problems.append(
            Problem(
                rule="browser-overflow",
                message=f"the page scrolls sideways at {width} px: it is "
                f"{layout['scrollWidth']} px wide{shown}",
            )
        )
    cards = layout["cards"]
    if cards and max(c["width"] for c in cards) > COLUMN_MAX:
        problems.append(
            Problem(
                rule="browser-column",
                message=f"the content column is {max(c['width'] for c in cards):.0f} px wide at "
                f"{width} px, wider than 600 px",
            )
        )
    for image in layout["images"]:
        if image["width"] > image["column"] + 0.5:
            problems.append(
                Problem(
                    rule="browser-column",
                    message=f"an image is {image['width']:.0f} px wide in a "
                    f"{image['column']:.0f} px column at {width} px",
                )
            )
    if width <= PHONE_WIDTH:
        small = [t for t in layout["texts"] if t["size"] < MIN_TEXT_PX]
        if small:
            problems.append(
                Problem(
                    rule="browser-text-size",
                    message=f"{len(small)} text(s) under {MIN_TEXT_PX} px on a {width} px phone, "
                    f"e.g. {small[0]['text']!r} at {small[0]['size']:g} px",
                )
            )
    return problems


def colour_problems(colours: dict[str, Any], width: int, scheme: str) -> list[Problem]:
    """Every text's contrast against what is behind it; a dark page in the dark scheme."""
    problems: list[Problem] = []
    low = [
        (t["text"], contrast(t["color"], t["background"]))
        for t in colours["texts"]
        if len(t["color"]) >= 3 and contrast(t["color"], t["background"]) < MIN_CONTRAST
    ]
    if low:
        text, ratio = low[0]
        problems.append(
            Problem(
                rule="browser-contrast",
                message=f"{len(low)} text(s) below {MIN_CONTRAST}:1 contrast in the {scheme} "
                f"scheme at {width} px, e.g. {text!r} at {ratio:.2f}:1",
            )
        )
    promised = "dark" in str(colours.get("declared", "")).lower()
    if scheme == "dark" and promised and luminance(colours["page"]) > DARK_BACKGROUND_MAX:
        problems.append(
            Problem(
                rule="browser-dark",
                message=f"the page stays light in the dark scheme at {width} px although its "
                f'<meta name="color-scheme"> offers dark (background rgb{tuple(colours["page"])})',
            )
        )
    return problems


BROWSER_RULES = (
    "browser-overflow",
    "browser-column",
    "browser-text-size",
    "browser-contrast",
    "browser-dark",
)
