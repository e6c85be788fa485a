"""Rules for what particular clients do to an email: Outlook's image widths, images with
nothing to say when blocked, text contrast in both colour schemes, iOS data detectors,
and the postal address US law asks of commercial email.

The contrast rule reads the colours the way a client would, as far as static
analysis allows: inline styles (premailer has inlined the class rules), ``bgcolor``
attributes, and the ``<style>`` rules, those inside ``@media (prefers-color-scheme:
dark)`` for the dark scheme. It cannot see images behind text or a client's own
colour inversion; the browser tests measure the rendered result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tinycss2
from lxml.etree import _Element

from ..theme import RGB, TEXT_CONTRAST, contrast, hex_of, parse_colour
from .css import CSS_MAX_CHARS, CSS_MAX_DEPTH, css_depth
from .links import where_of
from .model import CheckInput, Finding
from .registry import rule

PIXELS = re.compile(r"\d+(?:px)?")
FORMAT_DETECTION = ("telephone=no", "date=no", "address=no", "email=no")
CONTRAST_FLOOR = 3.0  # below this, unreadable for many: an error; below 4.5, a warning
MAX_RULES = 2000  # style rules the contrast rule applies: bounds the work a hostile <style> causes
MAX_TEXTS = 5000  # text-bearing elements it looks at


@rule("image-widths")
def image_widths(inp: CheckInput) -> Iterator[Finding]:
    """Outlook for Windows sizes images by their width attribute, read as pixels of the file."""
    for image in inp.doc.iter("img"):
        width = (image.get("width") or "").strip()
        src = (image.get("src") or "")[:80]
        if width.endswith("%"):
            yield Finding(
                rule="image-widths",
                severity="error",
                message=f'image has width="{width}": Outlook for Windows reads a percentage '
                "as a share of the image file's own width, so a large file breaks the layout; "
                "give a width in pixels",
                where=src,
            )
        elif not width or not PIXELS.fullmatch(width):
            yield Finding(
                rule="image-widths",
                severity="warning",
                message="image has no width attribute in pixels: Outlook for Windows shows it "
                "at the file's own size",
                where=src,
            )


def _tracking_pixel(image: _Element) -> bool:
    return (image.get("width") or "").strip() in {"0", "1"} or (
        image.get("height") or ""
    ).strip() in {"0", "1"}


@rule("image-links")
def image_links(inp: CheckInput) -> Iterator[Finding]:
    """With images blocked, an image with empty alt text is an unexplained gap, and readers
    expect a post's picture to open the post."""
    for image in inp.doc.iter("img"):
        if _tracking_pixel(image):
            continue
        src = (image.get("src") or "")[:80]
        alt = image.get("alt")
        if alt is not None and not alt.strip():
            yield Finding(
                rule="image-links",
                severity="warning",
                message='image has alt="": with images blocked the reader sees an unexplained '
                "gap; describe it (a post's title will do)",
                where=src,
            )
        if not any(a.tag == "a" and a.get("href") for a in image.iterancestors()):
            yield Finding(
                rule="image-links",
                severity="warning",
                message="image is not a link: readers tap a post's picture to open the post",
                where=src,
            )


@rule("data-detectors")
def data_detectors(inp: CheckInput) -> Iterator[Finding]:
    """iOS Mail turns dates, addresses and numbers into links of its own unless told not to."""
    metas = [m for m in inp.doc.iter("meta") if (m.get("name") or "").lower() == "format-detection"]
    content = ",".join((m.get("content") or "").replace(" ", "").lower() for m in metas)
    missing = [item for item in FORMAT_DETECTION if item not in content]
    if missing:
        yield Finding(
            rule="data-detectors",
            severity="warning",
            message='no <meta name="format-detection" content="'
            + ",".join(FORMAT_DETECTION)
            + '">'
            + (f" (missing {', '.join(missing)})" if metas else "")
            + ": iOS Mail turns dates and numbers into links",
        )
    if "x-apple-data-detectors" not in inp.parts.html:
        yield Finding(
            rule="data-detectors",
            severity="info",
            message="no a[x-apple-data-detectors] reset: links iOS still makes take its blue",
        )


@rule("postal-address")
def postal_address(inp: CheckInput) -> Iterator[Finding]:
    """US CAN-SPAM asks commercial email for the sender's valid postal address."""
    marked = [
        e
        for e in inp.doc.iter()
        if isinstance(e.tag, str)
        and "postal-address" in (e.get("class") or "").split()
        and " ".join(e.text_content().split())
    ]
    configured = inp.options.postal_address.strip()
    text = " ".join(inp.doc.text_content().split())
    if marked or (configured and configured.splitlines()[0].strip() in text):
        return
    yield Finding(
        rule="postal-address",
        severity="warning",
        message="no postal address in the footer: US law (CAN-SPAM) asks commercial email "
        "for one; set [email] postal_address",
    )


# --- contrast ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    selector: str
    colour: RGB | None
    background: RGB | None
    important: bool
    order: int


def _declared(declarations: list[object]) -> tuple[RGB | None, RGB | None, bool]:
    colour = background = None
    important = False
    for decl in declarations:
        name = getattr(decl, "lower_name", "")
        if name not in {"color", "background-color", "background"}:
            continue
        value = tinycss2.serialize(getattr(decl, "value", [])).strip()
        parsed = parse_colour(value.split()[0] if name == "background" and value else value)
        if parsed is None:
            continue
        important = important or bool(getattr(decl, "important", False))
        if name == "color":
            colour = parsed
        else:
            background = parsed
    return colour, background, important


def _style_rules(doc: _Element, dark: bool) -> tuple[_Rule, ...]:
    """The colour rules of the document's <style> blocks: outside @media, and (``dark``)
    inside ``@media (prefers-color-scheme: dark)``."""
    return _sheet_rules(tuple(style.text or "" for style in doc.iter("style")), dark)


# Caches by content: the matrix renders one stylesheet into many documents, and a
# document repeats a few inline styles on hundreds of elements. Bounded, so hostile
# input costs memory no more than once per distinct text.
@lru_cache(maxsize=64)
def _sheet_rules(styles: tuple[str, ...], dark: bool) -> tuple[_Rule, ...]:
    found: list[_Rule] = []
    if sum(map(len, styles)) > CSS_MAX_CHARS:
        return ()  # over the bound css-support reports: inline styles only
    for css in styles:
        if css_depth(css) > CSS_MAX_DEPTH:
            continue
        sheet = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
        for node in sheet:
            if node.type == "qualified-rule":
                blocks = [(node.prelude, node.content)]
            elif node.type == "at-rule" and node.lower_at_keyword == "media" and node.content:
                query = tinycss2.serialize(node.prelude).lower().replace(" ", "")
                if not (dark and "prefers-color-scheme:dark" in query):
                    continue
                inner = tinycss2.parse_rule_list(
                    node.content, skip_whitespace=True, skip_comments=True
                )
                blocks = [(r.prelude, r.content) for r in inner if r.type == "qualified-rule"]
            else:
                continue
            for prelude, content in blocks:
                declarations = tinycss2.parse_declaration_list(
                    content or [], skip_whitespace=True, skip_comments=True
                )
                colour, background, important = _declared(declarations)
                if colour is None and background is None:
                    continue
                for selector in tinycss2.serialize(prelude).split(","):
                    if len(found) >= MAX_RULES:
                        return tuple(found)
                    found.append(_Rule(selector.strip(), colour, background, important, len(found)))
    return tuple(found)


@lru_cache(maxsize=4096)
def _specificity(selector: str) -> tuple[int, int, int]:
    ids = selector.count("#")
    classes = len(re.findall(r"\.[\w-]+|\[[^\]]*\]|:(?!:)[\w-]+", selector))
    types = len(re.findall(r"(?:^|[\s>+~])([a-zA-Z][\w-]*)", selector))
    return (ids, classes, types)


@lru_cache(maxsize=4096)
def _selector(selector: str) -> Any:
    """The compiled selector, or None where lxml cannot evaluate it (::pseudo, [data-ogsc] …)."""
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector

    try:
        return CSSSelector(selector)
    except (SelectorError, ValueError, TypeError):
        return None


def _matches(
    doc: _Element, rules: tuple[_Rule, ...], selected: dict[str, list[_Element]]
) -> dict[_Element, list[_Rule]]:
    """Each element's rules; ``selected`` keeps what each selector selects in ``doc``, so
    the light and the dark scheme evaluate the selectors they share once."""
    matched: dict[_Element, list[_Rule]] = {}
    for css_rule in rules:
        if css_rule.selector.startswith(":root"):
            continue
        if css_rule.selector not in selected:
            compiled = _selector(css_rule.selector)
            try:
                selected[css_rule.selector] = [] if compiled is None else compiled(doc)
            except (ValueError, TypeError):
                selected[css_rule.selector] = []
        for element in selected[css_rule.selector]:
            matched.setdefault(element, []).append(css_rule)
    return matched


def _inline(element: _Element) -> tuple[RGB | None, RGB | None, bool, bool]:
    return _inline_colours(element.get("style") or "", element.get("bgcolor") or "")


@lru_cache(maxsize=4096)
def _inline_colours(style: str, bgcolor: str) -> tuple[RGB | None, RGB | None, bool, bool]:
    """The colours an inline ``style`` and ``bgcolor`` attribute give an element."""
    if not style:
        colour = None
        background = parse_colour(bgcolor)
        return colour, background, False, False
    declarations = tinycss2.parse_declaration_list(
        tinycss2.parse_component_value_list(style), skip_whitespace=True, skip_comments=True
    )
    colour, background, important = _declared(list(declarations))
    if background is None:
        background = parse_colour(bgcolor)
    return colour, background, important, important


def clear_caches() -> None:
    """Forget the colours cached by content (tests compare cold and warm runs)."""
    for cached in (_sheet_rules, _specificity, _selector, _inline_colours):
        cached.cache_clear()


def _own(element: _Element, matched: dict[_Element, list[_Rule]], want: str) -> RGB | None:
    """The colour (``want``: "colour" or "background") the cascade gives ``element`` itself."""
    colour, background, important, _ = _inline(element)
    inline = colour if want == "colour" else background
    best: tuple[tuple[int, ...], RGB] | None = None
    for css_rule in matched.get(element, []):
        value = css_rule.colour if want == "colour" else css_rule.background
        if value is None:
            continue
        # !important rules beat inline styles (unless those are !important too)
        rank = (int(css_rule.important), *_specificity(css_rule.selector), css_rule.order)
        if best is None or rank > best[0]:
            best = (rank, value)
    if best is not None and (inline is None or (best[0][0] and not important)):
        return best[1]
    return inline


def _hides(node: _Element) -> bool:
    """Whether ``node`` hides itself and what it holds."""
    style = (node.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or node.tag in {"head", "style", "title", "script"}


def _hidden(element: _Element) -> bool:
    return any(_hides(node) for node in (element, *element.iterancestors()))


def _lowest(
    doc: _Element, matched: dict[_Element, list[_Rule]], page: RGB
) -> Iterator[tuple[_Element, str, RGB, RGB]]:
    body = doc.find("body")
    if body is None:
        return
    colours: dict[_Element, RGB] = {}
    backgrounds: dict[_Element, RGB] = {}
    hidden: dict[_Element, bool] = {body: _hidden(body)}  # inherited, as colours are
    seen = 0
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        if element is not body:
            hidden[element] = hidden[parent] or _hides(element)
        colour = _own(element, matched, "colour")
        background = _own(element, matched, "background")
        colours[element] = (
            colour or colours.get(parent, (0, 0, 0))
            if parent is not None
            else (colour or (0, 0, 0))
        )
        backgrounds[element] = background or (
            backgrounds.get(parent, page) if parent is not None else page
        )
        text = (element.text or "").strip()
        if element.tag == "img" or (
            not text and not any((child.tail or "").strip() for child in element)
        ):
            continue
        seen += 1
        if seen > MAX_TEXTS or hidden[element]:
            continue
        yield element, text, colours[element], backgrounds[element]


@rule("contrast")
def contrast_rule(inp: CheckInput) -> Iterator[Finding]:
    """Every text at 4.5:1 against its background, in the light and the dark scheme."""
    doc = inp.doc
    body = doc.find("body")
    page = (255, 255, 255)
    selected: dict[str, list[_Element]] = {}
    for scheme, dark in (("light", False), ("dark", True)):
        rules = _style_rules(doc, dark)
        matched = _matches(doc, rules, selected)
        if dark and not any(r.background for rules_ in matched.values() for r in rules_):
            continue  # no dark styles: the client's own dark mode applies (see dark-mode)
        if body is not None:
            page = _own(body, matched, "background") or (255, 255, 255)
        reported: set[tuple[str, str]] = set()
        for element, text, colour, background in _lowest(doc, matched, page):
            ratio = contrast(colour, background)
            if ratio >= TEXT_CONTRAST:
                continue
            shown = " ".join((text or element.text_content()).split())[:40]
            key = (hex_of(colour), hex_of(background))
            if key in reported:
                continue
            reported.add(key)
            yield Finding(
                rule="contrast",
                severity="error" if ratio < CONTRAST_FLOOR else "warning",
                message=f"text {hex_of(colour)} on {hex_of(background)} has {ratio:.1f}:1 "
                f"contrast in the {scheme} scheme; text needs {TEXT_CONTRAST}:1",
                where=f"<{element.tag}> {shown!r}" if shown else where_of(element),
            )
