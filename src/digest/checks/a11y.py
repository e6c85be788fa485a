"""Rules for every reader: accessibility (language, title, headings, link names) and dark mode."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from .links import canonical, visible_text, where_of
from .model import CheckInput, Finding
from .registry import rule

GENERIC_LINK_TEXT = {"read more", "more", "click here", "here", "link", "continue reading"}
ALT_MAX_WORDS = 25  # longer alt text suggests text baked into the image
MOSTLY_IMAGES_TEXT = 200  # characters of visible text below which an email is mostly images


@rule("accessibility")
def accessibility(inp: CheckInput) -> Iterator[Finding]:
    doc = inp.doc
    lang = (doc.get("lang") or "").strip()
    if not lang or lang == "und":
        yield Finding(
            rule="accessibility", severity="error", message="<html> has no lang attribute"
        )
    title = doc.find(".//title")
    if title is None or not (title.text or "").strip():
        yield Finding(rule="accessibility", severity="error", message="the document has no <title>")
    for table in doc.iter("table"):
        if table.get("role") != "presentation" and table.find(".//th") is None:
            yield Finding(
                rule="accessibility",
                severity="warning",
                message='layout table without role="presentation": '
                "screen readers announce it as data",
                where=where_of(table)[:60],
            )
    names: dict[str, set[str]] = {}
    for anchor in doc.iter("a"):
        label = (anchor.get("aria-label") or " ".join(anchor.text_content().split())).strip()
        if not label and anchor.find(".//img[@alt]") is not None:
            label = " ".join(img.get("alt", "") for img in anchor.iter("img")).strip()
        if not label:
            yield Finding(
                rule="accessibility",
                severity="error",
                message="link has no accessible name",
                where=anchor.get("href", "")[:80],
            )
            continue
        names.setdefault(label.casefold(), set()).add(canonical(anchor.get("href", "")))
    for label, targets in sorted(names.items()):
        if len(targets) > 1 and label.rstrip(" .\u2026\u2192\u00bb\u203a") in GENERIC_LINK_TEXT:
            yield Finding(
                rule="accessibility",
                severity="error",
                message=f"{len(targets)} links share the name {label!r} "
                "but go to different places; "
                "give each a unique accessible name (aria-label)",
            )
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    if not levels:
        yield Finding(
            rule="accessibility",
            severity="warning",
            message="no headings: screen-reader users cannot skim",
        )
    else:
        if levels[0] != 1:
            yield Finding(
                rule="accessibility",
                severity="warning",
                message=f"the first heading is h{levels[0]}, not h1",
            )
        for before, after in itertools.pairwise(levels):
            if after > before + 1:
                yield Finding(
                    rule="accessibility",
                    severity="warning",
                    message=f"heading level jumps from h{before} to h{after}",
                )
                break
    text_length = len(visible_text(doc))
    images = list(doc.iter("img"))
    for image in images:
        alt = (image.get("alt") or "").strip()
        if len(alt.split()) > ALT_MAX_WORDS:
            yield Finding(
                rule="accessibility",
                severity="warning",
                message="image alt text is over 25 words: is text baked into the image?",
                where=(image.get("src") or "")[:80],
            )
    if images and text_length < MOSTLY_IMAGES_TEXT:
        yield Finding(
            rule="accessibility",
            severity="warning",
            message="the email is mostly images: text in images is lost when images are blocked",
        )


@rule("dark-mode")
def dark_mode(inp: CheckInput) -> Iterator[Finding]:
    doc, html = inp.doc, inp.parts.html
    metas = {(m.get("name") or "").lower() for m in doc.iter("meta")}
    if "color-scheme" not in metas:
        yield Finding(
            rule="dark-mode",
            severity="warning",
            message='no <meta name="color-scheme">: clients may invert colours unpredictably',
        )
    if "supported-color-schemes" not in metas:
        yield Finding(
            rule="dark-mode",
            severity="info",
            message='no <meta name="supported-color-schemes"> (Apple Mail)',
        )
    if "prefers-color-scheme" not in html:
        yield Finding(
            rule="dark-mode",
            severity="warning",
            message="no @media (prefers-color-scheme: dark) styles",
        )
