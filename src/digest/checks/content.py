"""Rules on the envelope: the size Gmail clips at, the subject line, the preheader."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.etree import _Element

from ..sizes import GMAIL_CLIPS, KB, kb
from .model import CheckInput, Finding
from .registry import rule

PREHEADER_MAX = 150  # inboxes show about 90 to 140 characters of it
PREHEADER_MIN_FILLER = 30  # with fewer invisible characters, body text leaks into the preview
PREHEADER_FILLER = re.compile(r"[\u034f\u200c\u00a0\u200b\u2007\u00ad\s]")


@rule("size")  # not cheap: the build reports size itself, with what it collapsed
def size(inp: CheckInput) -> Iterator[Finding]:
    options, size = inp.options, inp.size
    if size > options.clip_bytes:
        yield Finding(
            rule="size",
            severity="error",
            message=f"HTML is {kb(size)}: {GMAIL_CLIPS}, hiding the rest and the unsubscribe link",
        )
    elif size > options.budget_bytes:
        yield Finding(
            rule="size",
            severity="warning",
            message=f"HTML is {kb(size)}, over the {options.budget_bytes / KB:g} KB budget "
            f"({GMAIL_CLIPS})",
        )
    else:
        yield Finding(rule="size", severity="info", message=f"HTML is {kb(size)}")


@rule("subject", cheap=True)
def subject(inp: CheckInput) -> Iterator[Finding]:
    parts, options = inp.parts, inp.options
    text = parts.subject.strip()
    if not text:
        yield Finding(rule="subject", severity="error", message="the subject is empty")
    elif len(text) > options.subject_max:
        yield Finding(
            rule="subject",
            severity="warning",
            message=f"the subject is {len(text)} characters; inboxes cut it after about "
            f"{options.subject_max}",
            where=text,
        )
    if "\n" in parts.subject or "\r" in parts.subject:
        yield Finding(rule="subject", severity="error", message="the subject contains a line break")


def _hidden(element: _Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or element.get("hidden") is not None


@rule("preheader")
def preheader(inp: CheckInput) -> Iterator[Finding]:
    parts, doc = inp.parts, inp.doc
    body = doc.find("body")
    first = next(iter(body.iterchildren()), None) if body is not None else None
    hidden = first is not None and first.tag == "div" and _hidden(first)
    text = first.text_content() if hidden and first is not None else ""
    visible = PREHEADER_FILLER.sub(" ", text).strip()
    if not parts.preheader and not visible:
        yield Finding(
            rule="preheader",
            severity="warning",
            message="no preheader: inboxes will preview the first body text instead",
        )
        return
    if not hidden:
        yield Finding(
            rule="preheader",
            severity="warning",
            message="the preheader is not a hidden block at the start of the body",
        )
        return
    expected = " ".join(parts.preheader.split())
    if expected and " ".join(visible.split()) != expected:
        yield Finding(
            rule="preheader",
            severity="warning",
            message="the hidden preheader differs from the manifest's",
            where=visible[:80],
        )
    if len(visible) > PREHEADER_MAX:
        yield Finding(
            rule="preheader",
            severity="warning",
            message=f"the preheader is {len(visible)} characters; inboxes show about 90 to 140",
        )
    filler = len(PREHEADER_FILLER.findall(text)) - text.count(" ")
    if filler < PREHEADER_MIN_FILLER:
        yield Finding(
            rule="preheader",
            severity="warning",
            message="the preheader is not padded: body text will leak into the inbox preview",
        )
