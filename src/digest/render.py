"""Digest → email parts: Jinja2 → MJML → mjml-python → premailer, and a text part.

The only user of mjml-python and premailer. Each step's failure becomes a
:class:`~digest.errors.RenderError` or :class:`~digest.errors.TemplateError`
naming the template (and line), never a bare ``ValueError``.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup, escape

from . import theme
from .errors import RenderError, TemplateError
from .models import Digest, Entry, Rendered, Section
from .templates import make_environment

if TYPE_CHECKING:
    from lxml import etree
    from premailer import Premailer

log = logging.getLogger("digest")

HTML_TEMPLATE = "digest.mjml.j2"
TEXT_TEMPLATE = "digest.txt.j2"

# Colours chosen for at least 4.5:1 contrast in both schemes (WCAG AA body text).
PALETTE = theme.PALETTE

# Invisible filler after the preheader, so that inbox previews do not run on
# into the body text (zero-width non-joiners and no-break spaces).
PREHEADER_PADDING = Markup("&#847;&zwnj;&nbsp;" * 90)

_DOCTYPE = re.compile(r"^\s*<!doctype html>", re.IGNORECASE)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def without_controls(text: str) -> str:
    """``text`` without the control characters ``_CONTROLS`` matches.

    Checked first on the UTF-8 bytes (a control character is its own byte
    there, and every other character's bytes are 0x80 or above): three times
    quicker than the regex on a digest, which nearly never has one.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded.translate(None, _CONTROL_BYTES)) == len(encoded):
        return text
    return _CONTROLS.sub("", text)


_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_TRAILING = re.compile(r"[ \t]+\n")

# MJML's own style blocks: its resets (``table, td { border-collapse … }``, ``img``, ``p``, …)
# and its column and full-width media queries. Clients that need them read them from the
# head, where they stay; inlined (premailer's default), the resets alone were copied onto
# every table and cell, about 10 KB of a three-week digest (and most of premailer's time).
# Only blocks made entirely of MJML's own rules are matched: the template's CSS is inlined.
_MJML_STYLE = re.compile(
    r'<style type="text/css">(?='
    r"\s*#outlook a \{ padding: 0; \}\s*"
    r"body \{[^{}<]*\}\s*table, td \{[^{}<]*\}\s*img \{[^{}<]*\}\s*p \{[^{}<]*\}\s*</style>"
    r"|\s*@media only screen and \((?:min|max)-width:\d+px\) \{"
    r"(?:\s*(?:table|td)?\.mj-[\w-]+ \{[^{}<]*\})+\s*\}\s*</style>)"
)


def _render_template(env: jinja2.Environment, name: str, digest: Digest) -> str:
    brand = digest.brand
    colors = theme.palette_with(
        {
            "accent": brand.accent,
            "link": brand.link,
            "dark_accent": brand.dark_accent,
            "dark_link": brand.dark_link,
        }
    )
    return render_template(
        env, name, digest=digest, colors=colors, preheader_padding=PREHEADER_PADDING
    )


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render template ``name``; Jinja's errors become TemplateError with file and line."""
    try:
        return str(env.get_template(name).render(**context))
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}", where=name) from None
    except jinja2.TemplateSyntaxError as exc:
        place = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TemplateError(f"template syntax error: {exc.message}", where=place) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}", where=_template_place(exc, name)) from None
    except RecursionError:
        raise TemplateError(
            "template error: templates include or extend each other without end", where=name
        ) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # A filter or expression failing on a value (a division by zero, a bad index):
        # the template's fault, so name its line rather than report an internal error.
        raise TemplateError(
            f"template error: {type(exc).__name__}: {exc}", where=_template_place(exc, name)
        ) from None


def _template_place(exc: BaseException, name: str) -> str:
    """``file:line`` of the innermost template frame of ``exc``, else the template's name.

    Jinja rewrites tracebacks so that frames of compiled templates carry the
    template's file name and line number; the innermost one is where it failed
    (an included or extended template included).
    """
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        filename = frame.filename
        if filename.endswith(".j2") or filename == "<template>":
            shown = filename if filename != "<template>" else name
            return f"{shown}:{frame.lineno}"
    return name


def warm_up() -> None:
    """Get the MJML and CSS-inlining engines ready now rather than at first use.

    Importing them and compiling cssutils' tokeniser take ~0.25 s; the
    pipeline calls this while worker processes are loading posts, so that
    time overlaps with the parsing instead of adding to it.
    """
    mjml_to_html(_WARM_UP_MJML, template="(warm-up)")


_WARM_UP_MJML = (
    "<mjml><mj-head><mj-style>.x a { color: #000; } @media (prefers-color-scheme: dark) "
    "{ .x { color: #fff !important; } }</mj-style></mj-head><mj-body><mj-section><mj-column>"
    '<mj-text css-class="x"><a href="https://example.org/">x</a></mj-text>'
    "</mj-column></mj-section></mj-body></mjml>"
)


# mjml-python writes some characters of an attribute value as Rust escapes: a no-break
# space in alt="…" or aria-label="…" comes out as the literal text "\u{a0}", and so do
# thin spaces, combining marks (Arabic harakat, Thai vowels, accents typed as e + ◌́),
# bidi and other format characters. Character references pass through untouched.
# (<mj-title> counts: its text becomes the aria-label of the body's wrapper.)
# (No group around the delimiters: the scan then jumps from one "=" or "<" to the next.)
_ATTRIBUTE_VALUE = re.compile(r'="([^"]*)"|<mj-title>(.*?)</mj-title>', re.DOTALL)
_ESCAPED_BY_MJML = frozenset({"Zs", "Zl", "Zp", "Mn", "Mc", "Me", "Cf", "Co", "Cn"})


def _mangled(char: str) -> bool:
    """Would mjml-python write ``char`` as a Rust escape inside an attribute value?"""
    return char != " " and unicodedata.category(char) in _ESCAPED_BY_MJML


def _reference(char: str) -> str:
    return f"&#x{ord(char):x};" if _mangled(char) else char


def protect_attributes(mjml: str) -> str:
    """``mjml`` with the characters mjml-python would mangle in attribute values written
    as character references (``&#xa0;``), which every HTML reader decodes the same way.

    Text between tags is left alone (the compiler keeps it intact); in the
    autoescaped MJML a ``"`` only ever delimits an attribute value.
    """
    if mjml.isascii():
        return mjml
    # Most documents hold non-ASCII letters and punctuation only, none of which is mangled:
    # looking at each distinct one is far cheaper than finding every attribute value.
    if not _any_mangled(mjml):
        return mjml
    # A no-break space in a date or a byline is text: change nothing unless a value has one.
    parts = _ATTRIBUTE_VALUE.split(mjml)  # text, value or None, title or None, text, …
    if not _any_mangled("".join(filter(None, parts[1::3])) + "".join(filter(None, parts[2::3]))):
        return mjml
    return _ATTRIBUTE_VALUE.sub(_protect, mjml)


def _any_mangled(text: str) -> bool:
    # the distinct non-ASCII characters: what is left once the ASCII runs are cut out
    return not text.isascii() and any(map(_mangled, set(_ASCII_RUNS.sub("", text))))


_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _protect(match: re.Match[str]) -> str:
    whole, value = match.group(0), match.group(1) or match.group(2) or ""
    if value.isascii():  # nearly every value (styles, classes, links): nothing to look at
        return whole
    start, end = match.span(1) if match.group(1) is not None else match.span(2)
    start, end = start - match.start(), end - match.start()
    return whole[:start] + _NON_ASCII.sub(lambda m: _reference(m.group(0)), value) + whole[end:]


def mjml_to_html(mjml: str, *, template: str = HTML_TEMPLATE) -> str:
    """MJML → HTML with class-based CSS inlined; keeps the media queries working.

    Premailer's defaults break MJML output (they strip ``!important`` from
    media queries, drop style blocks and may fetch stylesheets), hence the
    settings; it also drops the doctype, which is put back.
    """
    return inline_css(compile_mjml(mjml, template=template), template=template)


def compile_mjml(mjml: str, *, template: str = HTML_TEMPLATE) -> str:
    """MJML → HTML (mjml-python alone: about a tenth of a render's time)."""
    from mjml import mjml2html

    try:
        # fonts={}: no web-font <link>/@import (Gmail and Yahoo drop them; they track readers)
        return str(mjml2html(protect_attributes(mjml), disable_comments=True, fonts={}))
    except ValueError as exc:
        raise RenderError(f"MJML could not be rendered: {exc}", where=template) from None


# Premailer's settings for MJML's output. Premailer's defaults break it: they strip
# ``!important`` from media queries, drop style blocks and may fetch stylesheets.
_PREMAILER_SETTINGS: dict[str, object] = {
    "keep_style_tags": True,
    "strip_important": False,
    "allow_network": False,
    "remove_classes": False,
    "disable_validation": True,
    # Keep MJML's pixel width and height attributes: premailer would copy
    # img{width:100%} into width="100%", which Outlook for Windows reads as a
    # share of the image file's own width (a 1200 px image breaks the layout).
    "disable_basic_attributes": ["width", "height"],
    "cssutils_logging_level": logging.CRITICAL,
}


def inline_css(html: str, *, template: str = HTML_TEMPLATE) -> str:
    """The template's class-based CSS inlined by premailer (MJML's own blocks left in the head).

    Byte for byte what ``Premailer(html, **settings).transform()`` writes, with
    less work: the style rules of a stylesheet are read once per process, rules
    that cannot match this document are not searched for (the dark-mode rules
    for Outlook.com's ``[data-ogsc]`` match nothing premailer sees).
    """
    from lxml import etree

    html = _MJML_STYLE.sub('<style type="text/css" data-premailer="ignore">', html)
    try:
        stripped = html.strip()
        tree = etree.fromstring(stripped, etree.HTMLParser()).getroottree()
        _premailer_class()(tree.getroot(), **_PREMAILER_SETTINGS).transform()
        # as premailer's own serialisation: the root element, or the whole tree
        # when the document opens with exactly lxml's doctype
        doctype = tree.docinfo.doctype
        root = tree if stripped.startswith(doctype) else tree.getroot()
        inlined = etree.tostring(root, method="html", pretty_print=True, encoding="utf-8")
    except Exception as exc:  # premailer raises many unrelated types on bad CSS
        raise RenderError(f"CSS inlining failed: {exc}", where=template) from None
    text = bytes(inlined).decode("utf-8")
    if not _DOCTYPE.match(text):
        text = "<!doctype html>\n" + text
    return text if text.endswith("\n") else text + "\n"


def _premailer_class() -> type[Premailer]:
    """``Premailer`` that reads each stylesheet's rules once and skips hopeless selectors.

    Built on first use: importing premailer (and cssutils) is deferred until a
    render needs it.
    """
    global _INLINER
    if _INLINER is not None:
        return _INLINER
    from premailer import Premailer

    class Inliner(Premailer):  # type: ignore[misc]  # premailer is untyped
        def __init__(self, root: etree._Element, **settings: object) -> None:
            super().__init__(root, **settings)
            self._facts = _DocumentFacts(root.getroottree())

        def _parse_style_rules(
            self, css_body: str, ruleset_index: int
        ) -> tuple[list[tuple[object, str, str]], list[object]]:
            rules, leftover = _style_rules(css_body, ruleset_index)
            return [r for r in rules if self._facts.may_match(r[1])], list(leftover)

    _INLINER = Inliner
    return Inliner


_INLINER: type[Premailer] | None = None


class _DocumentFacts:
    """What a document has that selectors ask for: its class names and attribute names.

    Premailer searches the whole document for every rule's selector (an XPath
    each, about 0.15 ms on a digest); a selector naming a class or an
    attribute that no element has cannot match, so it need not be searched.
    """

    def __init__(self, tree: etree._ElementTree) -> None:
        self._tree = tree
        self._classes: set[str] | None = None
        self._attributes: dict[str, bool] = {}

    def may_match(self, selector: str) -> bool:
        """False only when ``selector`` (as premailer will search it) certainly matches nothing."""
        classes, attributes = _requirements(_searched_selector(selector))
        if classes:
            if self._classes is None:
                self._classes = {
                    name for value in self._tree.xpath("//@class") for name in value.split()
                }
            if not classes <= self._classes:
                return False
        return all(self._has_attribute(name) for name in attributes)

    def _has_attribute(self, name: str) -> bool:
        if name not in self._attributes:
            # a name test (the attribute axis: 4x faster than //*[@name]) where the name is
            # a plain one, else compare names
            test = f"//@{name}" if _PLAIN_NAME.fullmatch(name) else "//@*[name()=$n]"
            self._attributes[name] = bool(self._tree.xpath(f"boolean({test})", n=name))
        return self._attributes[name]


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _searched_selector(selector: str) -> str:
    """The selector premailer searches for a rule: without a pseudo-class it drops."""
    import premailer

    if ":" not in selector:
        return selector
    base, pseudo = selector.split(":", 1)
    pseudo = ":" + pseudo
    if pseudo in premailer.premailer.FILTER_PSEUDOSELECTORS or pseudo.startswith(":nth-child"):
        return selector
    return base


@functools.lru_cache(maxsize=256)
def _requirements(selector: str) -> tuple[frozenset[str], frozenset[str]]:
    """Class names and attribute names an element must carry somewhere for ``selector``
    to match (as cssselect translates it); none known when it does not parse as one
    selector. Only what every match needs is listed: a negation's insides are not.
    """
    from cssselect import SelectorError, parse
    from cssselect.parser import Attrib, Class, CombinedSelector, Function, Hash, Negation, Pseudo

    try:
        parsed = parse(selector)
    except SelectorError:
        return frozenset(), frozenset()
    if len(parsed) != 1:
        return frozenset(), frozenset()
    classes: set[str] = set()
    attributes: set[str] = set()
    pending: list[object] = [parsed[0].parsed_tree]
    while pending:
        node = pending.pop()
        if isinstance(node, CombinedSelector):
            pending += [node.selector, node.subselector]
        elif isinstance(node, Class):
            classes.add(node.class_name)
            pending.append(node.selector)
        elif isinstance(node, Attrib):
            if node.namespace is None and node.operator != "!=":
                attributes.add(node.attrib)
            pending.append(node.selector)
        elif isinstance(node, Hash | Pseudo | Function | Negation):
            pending.append(node.selector)  # the element they qualify must match
    return frozenset(classes), frozenset(attributes)


@functools.lru_cache(maxsize=32)
def _style_rules(
    css_body: str, ruleset_index: int
) -> tuple[tuple[tuple[object, str, str], ...], tuple[object, ...]]:
    """Premailer's reading of one stylesheet: (specificity, selector, declarations) rules.

    The same few stylesheets (the template's, per palette) come back on every
    render; reading one costs about a millisecond of cssutils serialising.
    """
    from premailer import Premailer

    rules, leftover = Premailer("", **_PREMAILER_SETTINGS)._parse_style_rules(
        css_body, ruleset_index
    )
    return tuple(rules), tuple(leftover)


def tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    text = text.replace("\r\n", "\n")
    if " \n" in text or "\t\n" in text:  # a search for either is 20x quicker than the regex's
        text = _TRAILING.sub("\n", text)
    text = _BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


def render(
    digest: Digest, templates_dir: Path | None = None, *, env: jinja2.Environment | None = None
) -> Rendered:
    """Render both parts of the email for ``digest`` (``env``: reuse compiled templates)."""
    return _render(digest, env or make_environment(templates_dir, digest.language))[0]


def _mjml_of(digest: Digest, env: jinja2.Environment) -> str:
    # Control characters have no place in an email, and one makes MJML refuse the
    # whole document: whatever field carried it (the loader drops them from what it
    # reads, but a Post can come from anywhere), they go here, before either part.
    return without_controls(_render_template(env, HTML_TEMPLATE, digest))


def _render(digest: Digest, env: jinja2.Environment) -> tuple[Rendered, str]:
    """The rendered parts, and the HTML as MJML made it (before inlining: for estimates)."""
    mjml = _mjml_of(digest, env)
    compiled = compile_mjml(mjml)
    html = inline_css(compiled)
    text = tidy_text(without_controls(_render_template(env, TEXT_TEMPLATE, digest)))
    rendered = Rendered(
        html=html, text=text, mjml=mjml, subject=digest.subject, preheader=digest.preheader
    )
    return rendered, compiled


def collapse(digest: Digest, count: int) -> Digest:
    """``digest`` with its last ``count`` full entries moved to the title-and-link list."""
    full = [e for section in digest.sections for e in section.entries]
    keep = set(map(id, full[: max(0, len(full) - count)]))
    sections: list[Section] = []
    moved: list[Entry] = []
    for section in digest.sections:
        kept = tuple(e for e in section.entries if id(e) in keep)
        moved += (e for e in section.entries if id(e) not in keep)
        if kept:
            sections.append(replace(section, entries=kept))
        else:  # a section with no full entry left: its over-the-limit links move too
            moved += section.more
    return replace(digest, sections=tuple(sections), more=(*moved, *digest.more))


def render_within_budget(
    digest: Digest,
    templates_dir: Path | None,
    budget_bytes: int,
    *,
    env: jinja2.Environment | None = None,
) -> tuple[Digest, Rendered]:
    """Render; if the HTML is over budget, collapse the fewest later posts that fit it.

    Gmail clips messages over about 102 KB (see ``sizes``) and hides the rest,
    unsubscribe link included, behind "[Message clipped]". Instead of
    searching by rendering, the one full render is measured: each post's
    share of the HTML, and what it costs as a title-and-link line (from the
    MJML of the digest with all but one post collapsed, compiled but not
    inlined: a tenth of a render). The estimate picks how many posts to
    collapse and one more render checks it; should the estimate fall short,
    one post more is collapsed per render until it fits (not seen in
    practice: the estimate is within about 100 bytes). Returns the digest
    actually rendered. ``env``: reuse compiled templates (the matrix renders many
    digests with one set).
    """
    env = env or make_environment(templates_dir, digest.language)
    rendered, compiled = _render(digest, env)
    full = len(digest.full_entries)
    if rendered.html_bytes <= budget_bytes or full == 0:
        return digest, rendered
    count = full
    if full > 1:
        count = _estimate_collapsed(digest, rendered.html, compiled, env, budget_bytes)
    while True:
        candidate = collapse(digest, count)
        result = render(candidate, env=env)
        if result.html_bytes <= budget_bytes or count >= full:
            return candidate, result
        log.debug("size budget: the estimate of %d collapsed posts fell short", count)
        count += 1


def _link_at(html: str, href: str) -> int:
    """Where the last link to ``href`` (as lxml or Jinja escapes it) starts, or -1."""
    escaped = href.replace("&", "&amp;").replace('"', "&quot;")
    return max(html.rfind(f'href="{form}"') for form in {escaped, str(escape(href))})


# The list's lines are measured before premailer styles their links, which adds a few
# dozen bytes to each: an estimate this close to the budget collapses one post more
# rather than render a third time.
ESTIMATE_MARGIN = 128


def _estimate_collapsed(
    digest: Digest, html: str, compiled: str, env: jinja2.Environment, budget_bytes: int
) -> int:
    """How many of the last full entries to collapse so that the HTML fits, by estimate.

    Sizes are bytes of UTF-8. A post's share of the full render is the HTML
    from the previous post's last link to its own (its section's title
    included when it opens the section). What the title-and-link list costs
    comes from the MJML of the digest with every post but the first
    collapsed: the list's heading and lines in all, and each line as the gap
    between its link and the next. Without links to measure by (a template
    that prints none), every post is taken to save the same.
    """
    full = digest.full_entries
    size = len(html.encode())
    listed = compile_mjml(_mjml_of(collapse(digest, len(full) - 1), env))
    links = [_link_at(html, e.href) for e in full]
    before = [_link_at(compiled, e.href) for e in full]
    lines = [_link_at(listed, e.href) for e in full[1:]]
    if min(links + before + lines) < 0 or any(
        found != sorted(found) for found in (links, before, lines)
    ):
        saving = max(1, (len(compiled.encode()) - len(listed.encode())) // (len(full) - 1))
        return min(len(full), -(-(size - budget_bytes) // saving))
    shares = [0, *(_bytes(html, a, b) for a, b in pairwise(links))]
    shares_before = [0, *(_bytes(compiled, a, b) for a, b in pairwise(before))]
    gaps = [0, *(_bytes(listed, a, b) for a, b in pairwise(lines))]
    # the list with every line: its heading and lines, as what the collapse added
    listing = len(listed.encode()) - len(compiled.encode()) + sum(shares_before)
    for count in range(1, len(full)):
        kept = len(full) - count  # entries 0 .. kept-1 stay full
        estimate = size - sum(shares[kept:]) + listing - sum(gaps[1:kept])
        if estimate + ESTIMATE_MARGIN <= budget_bytes:
            return count
    return len(full)


def _bytes(text: str, start: int, end: int) -> int:
    return len(text[start:end].encode())
