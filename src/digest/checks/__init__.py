"""Inbox checks: look at a rendered digest the way mail clients and readers will.

``check`` takes the finished parts (HTML, text, subject, preheader, and the
posts the manifest says it carries) and returns a :class:`Report` of findings,
each with a rule id and a severity:

- **error**: the email is broken for some readers (clipped, a dead or unsafe
  link, a missing unsubscribe link, template residue, a post missing from one
  part). ``digest check`` exits 1.
- **warning**: it works but should be fixed (a long subject, CSS that a major
  client ignores in the base styles). ``--strict`` fails on these too.
- **info**: worth knowing, not worth failing (partial support in a client,
  enhancements inside ``@media`` that a client skips).

Each rule lives in the module named for what it looks at and registers
itself (``registry``); the modules are imported here in report order.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence

import lxml.html

from ..manifest import Manifest

# Each rule module registers its rules when imported: import them in report order.
for _module in ("content", "links", "site", "css", "a11y", "clients"):
    importlib.import_module(f"{__name__}.{_module}")

from .css import GRACEFUL, support_table  # noqa: E402
from .links import canonical, loose_url  # noqa: E402
from .model import CheckInput, CheckOptions, EmailParts, Finding, PostRef, Report, Severity  # noqa: E402
from .registry import Rule, registered  # noqa: E402
from .report import as_junit, summary_line  # noqa: E402

__all__ = [
    "GRACEFUL",
    "CheckInput",
    "CheckOptions",
    "EmailParts",
    "Finding",
    "PostRef",
    "Report",
    "Rule",
    "Severity",
    "as_junit",
    "canonical",
    "cheap_findings",
    "check",
    "clear_caches",
    "loose_url",
    "parts_from_manifest",
    "rule_names",
    "summary_line",
    "support_table",
]


def clear_caches() -> None:
    """Forget what the rules cache by content across documents (for tests)."""
    from . import clients, css

    css.clear_caches()
    clients.clear_caches()


def rule_names() -> tuple[str, ...]:
    return tuple(r.name for r in registered())


def _input(parts: EmailParts, options: CheckOptions | None) -> CheckInput:
    from ..exporters import preferences_placeholders, unsubscribe_placeholders

    options = options or CheckOptions()
    return CheckInput(
        parts=parts,
        options=options,
        placeholders=unsubscribe_placeholders() + options.extra_placeholders,
        service_tags=preferences_placeholders(),
    )


def check(parts: EmailParts, options: CheckOptions | None = None) -> Report:
    """Run every rule over ``parts``; findings come in rule order, then document order."""
    inp = _input(parts, options)
    findings = [finding for r in registered() for finding in r.run(inp)]
    return Report(findings=tuple(findings), html_bytes=inp.size)


def cheap_findings(parts: EmailParts, options: CheckOptions | None = None) -> list[Finding]:
    """The rules cheap enough for every build (see ``preflight``)."""
    inp = _input(parts, options)
    return [finding for r in registered() if r.cheap for finding in r.run(inp)]


def parts_from_manifest(html: str, text: str, manifest: Manifest | None) -> EmailParts:
    """EmailParts from files on disk; subject falls back to the HTML <title>."""
    posts: Sequence[PostRef] = ()
    subject = preheader = ""
    if manifest is not None:
        subject, preheader = manifest.subject, manifest.preheader
        posts = tuple(PostRef(title=p.title, url=p.url) for p in manifest.posts)
    if not subject:
        found = re.search(r"<title>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
        subject = (
            lxml.html.fromstring(found.group(1)).text_content()
            if found and found.group(1).strip()
            else ""
        )
    return EmailParts(
        html=html, text=text, subject=subject, preheader=preheader, posts=tuple(posts)
    )
