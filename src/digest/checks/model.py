"""The records the inbox checks pass around: what is checked, with what, and what was found."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import lxml.html
from lxml.etree import _Element

from ..sizes import DEFAULT_BUDGET_KB, GMAIL_CLIP_BYTES, KB

Severity = Literal["error", "warning", "info"]


SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


SUBJECT_MAX = 78  # RFC 5322's recommended line length; most inboxes cut earlier


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    where: str = ""

    def __str__(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"{self.severity}: [{self.rule}] {self.message}{place}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PostRef:
    """A post the digest claims to carry (from ``digest.json``)."""

    title: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailParts:
    """A rendered digest as found on disk or in memory: what the checks look at."""

    html: str
    text: str
    subject: str
    preheader: str = ""
    posts: tuple[PostRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    allow_features: tuple[str, ...] = ()  # caniemail slugs to treat as graceful too
    budget_bytes: int = DEFAULT_BUDGET_KB * KB
    clip_bytes: int = GMAIL_CLIP_BYTES
    subject_max: int = SUBJECT_MAX
    unsubscribe_url: str = ""
    extra_placeholders: tuple[str, ...] = ()
    site: str = ""  # a built site folder, sitemap or feed (path or URL) to find each post in
    base_url: str = ""  # the site's base URL, to map post URLs into a built site folder
    postal_address: str = ""  # [email] postal_address, which the footer should carry


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    findings: tuple[Finding, ...]
    html_bytes: int

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, *, strict: bool = False) -> bool:
        return self.count("error") > 0 or (strict and self.count("warning") > 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "html_bytes": self.html_bytes,
            "summary": {s: self.count(s) for s in SEVERITIES},
            "findings": [
                {"rule": f.rule, "severity": f.severity, "message": f.message, "where": f.where}
                for f in self.findings
            ],
        }


@dataclass(frozen=True, kw_only=True)
class CheckInput:
    """One rule's input: the parts, the options, and the HTML parsed once for every rule."""

    parts: EmailParts
    options: CheckOptions
    placeholders: tuple[str, ...] = ()
    # Other tags a service fills in (its preferences link): fine in a link, not an unsubscribe.
    service_tags: tuple[str, ...] = ()

    @cached_property
    def data(self) -> bytes:
        return self.parts.html.encode("utf-8")

    @cached_property
    def doc(self) -> _Element:
        return lxml.html.document_fromstring(self.data)

    @property
    def size(self) -> int:
        return len(self.data)
