"""Digest → email parts: Jinja2 → MJML → mjml-python → premailer, and a text part.

The only user of mjml-python and premailer. Each step's failure becomes a
:class:`~digest.errors.RenderError` or :class:`~digest.errors.TemplateError`
naming the template (and line), never a bare ``ValueError``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

import jinja2
from markupsafe import Markup

from .errors import RenderError, TemplateError
from .models import Digest, Entry, Rendered, Section
from .templates import make_environment

HTML_TEMPLATE = "digest.mjml.j2"
TEXT_TEMPLATE = "digest.txt.j2"

# Colours chosen for at least 4.5:1 contrast in both schemes (WCAG AA body text).
PALETTE = {
    "page": "#f3f5f7",
    "card": "#ffffff",
    "text": "#1f2933",
    "heading": "#102a43",
    "muted": "#52606d",
    "link": "#0b5fa5",
    "rule": "#e4e7eb",
    "dark_page": "#0f1419",
    "dark_card": "#1a2027",
    "dark_text": "#e4e7eb",
    "dark_heading": "#f5f7fa",
    "dark_muted": "#a3adb8",
    "dark_link": "#7cc4fa",
    "dark_rule": "#2c3540",
}

# Invisible filler after the preheader, so that inbox previews do not run on
# into the body text (zero-width non-joiners and no-break spaces).
PREHEADER_PADDING = Markup("&#847;&zwnj;&nbsp;" * 90)

_DOCTYPE = re.compile(r"^\s*<!doctype html>", re.IGNORECASE)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
    return render_template(
        env, name, digest=digest, colors=PALETTE, preheader_padding=PREHEADER_PADDING
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


def mjml_to_html(mjml: str, *, template: str = HTML_TEMPLATE) -> str:
    """MJML → HTML with class-based CSS inlined; keeps the media queries working.

    Premailer's defaults break MJML output (they strip ``!important`` from
    media queries, drop style blocks and may fetch stylesheets), hence the
    settings; it also drops the doctype, which is put back.
    """
    from mjml import mjml2html
    from premailer import Premailer

    try:
        # fonts={}: no web-font <link>/@import (Gmail and Yahoo drop them; they track readers)
        html = mjml2html(mjml, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError(f"MJML could not be rendered: {exc}", where=template) from None
    html = _MJML_STYLE.sub('<style type="text/css" data-premailer="ignore">', html)
    try:
        inlined = Premailer(
            html,
            keep_style_tags=True,
            strip_important=False,
            allow_network=False,
            remove_classes=False,
            disable_validation=True,
            cssutils_logging_level=logging.CRITICAL,
        ).transform()
    except Exception as exc:  # premailer raises many unrelated types on bad CSS
        raise RenderError(f"CSS inlining failed: {exc}", where=template) from None
    inlined = str(inlined)
    if not _DOCTYPE.match(inlined):
        inlined = "<!doctype html>\n" + inlined
    return inlined if inlined.endswith("\n") else inlined + "\n"


def tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    text = _TRAILING.sub("\n", text.replace("\r\n", "\n"))
    text = _BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


def render(
    digest: Digest, templates_dir: Path | None = None, *, env: jinja2.Environment | None = None
) -> Rendered:
    """Render both parts of the email for ``digest`` (``env``: reuse compiled templates)."""
    env = env or make_environment(templates_dir)
    # Control characters have no place in an email, and one makes MJML refuse the
    # whole document: whatever field carried it (the loader drops them from what it
    # reads, but a Post can come from anywhere), they go here, before either part.
    mjml = _CONTROLS.sub("", _render_template(env, HTML_TEMPLATE, digest))
    html = mjml_to_html(mjml)
    text = tidy_text(_CONTROLS.sub("", _render_template(env, TEXT_TEMPLATE, digest)))
    return Rendered(
        html=html, text=text, mjml=mjml, subject=digest.subject, preheader=digest.preheader
    )


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
    digest: Digest, templates_dir: Path | None, budget_bytes: int
) -> tuple[Digest, Rendered]:
    """Render; if the HTML is over budget, collapse the fewest later posts that fit it.

    Gmail clips messages over about 102 KB (see ``sizes``) and hides the rest, unsubscribe
    link included, behind "[Message clipped]". The size only grows with the
    number of full entries, so the search is a bisection, started from an
    estimate (the bytes one collapsed post saves, from the full and the
    all-collapsed renders): usually three or four renders in all. Returns
    the digest actually rendered.
    """
    env = make_environment(templates_dir)
    rendered = render(digest, env=env)
    if rendered.html_bytes <= budget_bytes:
        return digest, rendered
    full = sum(len(s.entries) for s in digest.sections)
    smallest = collapse(digest, full)
    smallest_rendered = render(smallest, env=env)
    if smallest_rendered.html_bytes > budget_bytes or full == 1:
        return smallest, smallest_rendered
    tried: dict[int, tuple[Digest, Rendered]] = {full: (smallest, smallest_rendered)}

    def fits(count: int) -> bool:
        if count not in tried:
            candidate = collapse(digest, count)
            tried[count] = (candidate, render(candidate, env=env))
        return tried[count][1].html_bytes <= budget_bytes

    saving = max(1, (rendered.html_bytes - smallest_rendered.html_bytes) // full)
    low, high = 1, full  # collapsing `high` fits; the answer is in [low, high]
    probe = min(full, max(1, -(-(rendered.html_bytes - budget_bytes) // saving)))
    for _ in range(2):  # the estimate is usually right or off by one: walk from it
        if not low <= probe <= high or low == high:
            break
        if fits(probe):
            high, probe = probe, probe - 1
        else:
            low, probe = probe + 1, probe + 1
    while low < high:  # otherwise bisect what is left
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    fits(high)
    return tried[high]
