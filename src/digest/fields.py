"""Frontmatter values → clean text: titles, authors, categories, images, draft flags.

Real exports disagree on shapes (a string, a list, a mapping, YAML's yes/no),
and posts are untrusted: a value that is not text is a problem, never
``{'a': 1}`` in the email, and bidirectional controls are balanced and
isolated so they cannot reorder the text around them.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from .dates import kind_of
from .front_matter import Skip
from .models import category_key

_TRUE = frozenset({"true", "yes", "on", "1", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "n"})


def flag(value: Any) -> bool | None:
    """YAML 1.1 booleans, plus the strings people put in quotes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int):
        return bool(value)
    return None


def is_draft(meta: dict[str, Any]) -> bool:
    """``draft: true``/``yes``, or ``published: false`` as Jekyll writes it."""
    return flag(meta.get("draft")) is True or flag(meta.get("published")) is False


# Bidirectional formatting: embeddings and overrides (closed by PDF), isolates (closed by
# PDI), and the marks LRM, RLM and ALM.
_PDF, _PDI, _FSI = "\u202c", "\u2069", "\u2068"


_BIDI_CLOSER = {
    **dict.fromkeys("\u202a\u202b\u202d\u202e", _PDF),
    **dict.fromkeys("\u2066\u2067\u2068", _PDI),
}


_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def balance_bidi(text: str) -> str:
    """``text`` with every bidi embedding, override and isolate it opens closed again.

    Closers without an opener are dropped and openers left open are closed at
    the end, as the Unicode bidi algorithm pairs them (a PDI also closes the
    embeddings opened inside its isolate; a PDF cannot close across an isolate).
    """
    out: list[str] = []
    open_closers: list[str] = []
    for char in text:
        closer = _BIDI_CLOSER.get(char)
        if closer is not None:
            open_closers.append(closer)
        elif char == _PDF:
            if not open_closers or open_closers[-1] != _PDF:
                continue
            open_closers.pop()
        elif char == _PDI:
            if _PDI not in open_closers:
                continue
            while open_closers[-1] != _PDI:
                out.append(open_closers.pop())
            open_closers.pop()
        out.append(char)
    out.extend(reversed(open_closers))
    return "".join(out)


def isolate_bidi(text: str) -> str:
    """``text`` balanced and wrapped in FSI…PDI when it holds any bidi control; else as is.

    A title is shown among other text: in the subject beside the site name, in
    the HTML and plain-text parts beside bylines and links. An override left
    open (U+202E) would reverse everything after it, and even a balanced title
    or a lone RLM would pull neighbouring punctuation and numbers into its
    direction. Wrapped in a first-strong isolate, it cannot reorder anything
    around it, and it still reads correctly in its own direction.
    """
    if not _BIDI.search(text):
        return text
    return _FSI + balance_bidi(text) + _PDI


def strip_controls(text: str) -> str:
    """Without C0/C1 control characters (NUL, ESC, DEL…): nothing a reader should get."""
    return _CONTROLS.sub("", text)


def _clean_text(value: str) -> str:
    """Text as one line: spacing collapsed, case kept (the display form), controls gone and
    bidi formatting isolated (:func:`isolate_bidi`). Plain printable text takes the fast path.
    """
    text = " ".join(value.split())
    if text.isprintable():
        return text
    return isolate_bidi(strip_controls(text))


def text_field(value: Any, field: str, *, entities: bool = False) -> str:
    """A frontmatter value meant as text (a title, a name, a category), as one clean line.

    Numbers and dates are taken as the text they were written as (``title:
    1984``, ``title: 2026-11-19``): YAML read them as values, the author meant
    words. Anything else (a mapping, a list, binary data, a yes/no that YAML
    made of ``title: Yes``) is a mistake to report, never text to print as
    ``{'a': 1}`` in an email: raises :class:`Skip`. With ``entities``, HTML
    character references (``&amp;``, as some exporters write titles) are decoded
    before the text is cleaned, so that ``&#x202E;`` is isolated like U+202E.
    """
    if isinstance(value, str):
        return _clean_text(html.unescape(value) if entities and "&" in value else value)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise Skip(
            f"{field} is {kind_of(value)}, not text: YAML reads yes/no/on/off/true/false "
            "that way; put it in quotes"
        )
    if isinstance(value, (int, date, time)) or (isinstance(value, float) and math.isfinite(value)):
        return _clean_text(str(value))
    raise Skip(f"{field} must be text, found {kind_of(value)}")


def terms(value: Any, field: str) -> list[str]:
    """Categories/tags as written: a string, a comma-separated string or a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in map(_clean_text, value.split(",")) if part]
    if isinstance(value, list) and all(type(v) is str for v in value):
        return [name for name in map(_clean_text, value) if name]  # the common case, kept cheap
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            nested = isinstance(item, (list, tuple))
            out.extend(terms(item, field) if nested else [text_field(item, field)])
        return [o for o in out if o]
    return [text_field(value, field)]


def unique(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(category_key(name), name)
    return tuple(seen.values())


_NAME_KEYS = ("name", "display_name", "title", "id")
# A Markdown link ([Rey Lejano](https://…)) or an HTML one (<a href="…">Rey Lejano</a>) in an
# author field: the site shows the name linked; an email shows the name.
_MD_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\s]{0,2000}(?:\s+\"[^\"\n]{0,300}\")?\)")
_HTML_LINK = re.compile(r"<a\s[^<>]{0,2000}>([^<>]{0,300})</a\s*>", re.IGNORECASE)
NO_NAMES: dict[str, str] = {}


def plain_name(text: str) -> str:
    """``text`` with Markdown and HTML links reduced to their text. Other markup stays, for
    the build to warn about (``preflight``): only a link has an obvious plain form."""
    if "[" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "<" in text:
        text = _HTML_LINK.sub(lambda link: html.unescape(link.group(1)), text)
    return text


def _person(value: Any, known: Mapping[str, str]) -> str:
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if value.get(key):
                if key == "id" and isinstance(value[key], str) and value[key].strip() in known:
                    return known[value[key].strip()]
                name = value[key]
                return text_field(
                    plain_name(name) if isinstance(name, str) else name, f"author {key}"
                )
        raise Skip("author is a mapping without a name: write author: {name: …} or a string")
    if isinstance(value, str):
        if value.strip() in known:
            return known[value.strip()]
        value = plain_name(value)  # before cleaning, which isolates bidi controls once
    return text_field(value, "author")


def authors(meta: dict[str, Any], known: Mapping[str, str] = NO_NAMES) -> str:
    """``author``/``authors`` as a byline: "A", "A and B", "A, B and C".

    A name may be a string, a mapping with a ``name`` (or a list of either); an
    id the site's author data defines (``known``, from :mod:`digest.sitedata`)
    is shown by its name, and links are reduced to their text.
    """
    raw = meta.get("authors", meta.get("author"))
    items = raw if isinstance(raw, list) else [raw] if raw else []
    people = [p for p in (_person(item, known) for item in items) if p]
    if len(people) <= 1:
        return people[0] if people else ""
    return ", ".join(people[:-1]) + " and " + people[-1]


def image_of(meta: dict[str, Any]) -> tuple[str | None, str]:
    """(image, alt) from ``image``/``thumbnail``/``cover``, a string or a mapping."""
    alt = meta.get("image_alt") or meta.get("alt") or ""
    for key in ("image", "thumbnail", "cover", "featured_image"):
        value = meta.get(key)
        if isinstance(value, dict):
            alt = value.get("alt") or alt
            value = value.get("image") or value.get("src") or value.get("url") or value.get("path")
        if isinstance(value, str) and value.strip():
            return value.strip(), text_field(alt, "image alt")
    return None, ""
