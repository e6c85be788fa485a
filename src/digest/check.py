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

Client support comes from a table derived from caniemail
(``scripts/caniemail_table.py``, MIT licence, see ``data/``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html
import tinycss2
from lxml.etree import _Element

from .links import is_safe_link

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

GMAIL_CLIP_BYTES = 102 * 1000  # Gmail hides everything past ~102 KB behind "[Message clipped]"
SUBJECT_MAX = 78  # RFC 5322's recommended line length; most inboxes cut earlier
PREHEADER_MAX = 150
RESIDUE = re.compile(r"\{\{|\{%|%\}|\}\}|\{#|#\}|\bTK\b|lorem ipsum", re.IGNORECASE)
GENERIC_LINK_TEXT = {"read more", "more", "click here", "here", "link", "continue reading"}
PREHEADER_FILLER = re.compile(r"[\u034f\u200c\u00a0\u200b\u2007\u00ad\s]")

# Unsubscribe placeholders of the mailing services digest exports to.
UNSUBSCRIBE_PLACEHOLDERS = (
    "*|UNSUB|*",
    "{{ UnsubscribeURL }}",
    "{{UnsubscribeURL}}",
    "%unsubscribe_url%",
    "%tag_unsubscribe_url%",
    "{{{ pm:unsubscribe }}}",
    "{{{pm:unsubscribe}}}",
    "<%asm_group_unsubscribe_raw_url%>",
    "{{{unsubscribe}}}",
    "{{ UnsubscribeURL . }}",
    "{{ unsubscribe_url }}",
    "{{amazonSESUnsubscribeUrl}}",
    "[unsubscribe]",
)


# Features whose absence in a client is itself the fallback: the email stays
# readable and its layout intact. MJML's output and digest's templates use
# them on purpose, so they are reported as notes rather than warnings.
GRACEFUL: dict[str, str] = {
    "css-opacity": "hides the preheader; mso-hide and max-height hide it elsewhere",
    "css-max-height": "hides the preheader; other properties hide it elsewhere",
    "css-overflow": "hides the preheader; other properties hide it elsewhere",
    "css-border-spacing": "a table reset; Outlook's tables have no spacing anyway",
    "css-outline": "an image reset (outline:none)",
    "css-word-spacing": "a body reset",
    "css-word-break": "lets long words wrap; without it they still show",
    "css-color-scheme": "a dark-mode hint; without it the client's own dark mode applies",
    "css-height": "height:auto keeps image proportions; the height attribute is the fallback",
    "css-border-radius": "rounded corners; square where unsupported",
    "html-aria-hidden": "hides decorative arrows from screen readers; harmless where stripped",
    "html-aria-label": "unique names for 'Read more' links; stripped, the visible text is read",
}


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
    budget_bytes: int = 90 * 1024
    clip_bytes: int = GMAIL_CLIP_BYTES
    subject_max: int = SUBJECT_MAX
    unsubscribe_url: str = ""
    extra_placeholders: tuple[str, ...] = ()


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


RULES = (
    "size",
    "subject",
    "preheader",
    "links",
    "images",
    "parity",
    "unsubscribe",
    "residue",
    "css-support",
    "accessibility",
    "dark-mode",
)


def check(parts: EmailParts, options: CheckOptions | None = None) -> Report:
    """Run every rule over ``parts``; findings come in rule order, then document order."""
    options = options or CheckOptions()
    data = parts.html.encode("utf-8")
    doc = lxml.html.document_fromstring(data)
    size = len(data)
    findings: list[Finding] = []
    findings += _size(size, options)
    findings += _subject(parts, options)
    findings += _preheader(parts, doc)
    findings += _links(doc, UNSUBSCRIBE_PLACEHOLDERS + options.extra_placeholders)
    findings += _images(doc)
    findings += _parity(parts, doc)
    findings += _unsubscribe(parts, doc, options)
    findings += _residue(parts, doc, UNSUBSCRIBE_PLACEHOLDERS + options.extra_placeholders)
    findings += _css_support(parts.html, doc, options)
    findings += _accessibility(doc)
    findings += _dark_mode(doc, parts.html)
    return Report(findings=tuple(findings), html_bytes=size)


# --- size, subject, preheader ----------------------------------------------------------------


def _size(size: int, options: CheckOptions) -> Iterator[Finding]:
    kb = size / 1024
    if size > options.clip_bytes:
        yield Finding(
            rule="size",
            severity="error",
            message=f"HTML is {kb:.1f} KB: Gmail clips messages over about 102 KB, "
            "hiding the rest and the unsubscribe link",
        )
    elif size > options.budget_bytes:
        yield Finding(
            rule="size",
            severity="warning",
            message=f"HTML is {kb:.1f} KB, over the {options.budget_bytes / 1024:.0f} KB budget "
            "(Gmail clips at about 102 KB)",
        )
    else:
        yield Finding(rule="size", severity="info", message=f"HTML is {kb:.1f} KB")


def _subject(parts: EmailParts, options: CheckOptions) -> Iterator[Finding]:
    subject = parts.subject.strip()
    if not subject:
        yield Finding(rule="subject", severity="error", message="the subject is empty")
    elif len(subject) > options.subject_max:
        yield Finding(
            rule="subject",
            severity="warning",
            message=f"the subject is {len(subject)} characters; inboxes cut it after about "
            f"{options.subject_max}",
            where=subject,
        )
    if "\n" in parts.subject or "\r" in parts.subject:
        yield Finding(rule="subject", severity="error", message="the subject contains a line break")


def _hidden(element: _Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or element.get("hidden") is not None


def _preheader(parts: EmailParts, doc: _Element) -> Iterator[Finding]:
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
    if filler < 30:
        yield Finding(
            rule="preheader",
            severity="warning",
            message="the preheader is not padded: body text will leak into the inbox preview",
        )


# --- links and images ------------------------------------------------------------------------


def _where(element: _Element) -> str:
    text = " ".join((element.text_content() or "").split())
    label = element.get("aria-label") or text or element.get("alt") or ""
    return f"<{element.tag}> {label[:60]!r}" if label else f"<{element.tag}>"


def _link_problem(href: str | None, placeholders: tuple[str, ...]) -> str | None:
    if href is None:
        return "has no href"
    href = href.strip()
    if not href:
        return "has an empty href"
    if any(p in href for p in placeholders):
        return None  # a mailing service fills it in
    if href.startswith("//"):
        return f"is protocol-relative ({href}); mail clients need https:"
    parts = urlsplit(href)
    if not parts.scheme:
        return f"is relative ({href}); an email has no page to resolve it against"
    if not is_safe_link(href):
        return f"uses a scheme mail clients block or that is unsafe ({href[:40]})"
    if parts.path.lower().endswith((".md", ".markdown", ".mdx")):
        return f"points at a Markdown source file ({href})"
    return None


def _links(doc: _Element, placeholders: tuple[str, ...]) -> Iterator[Finding]:
    for anchor in doc.iter("a"):
        problem = _link_problem(anchor.get("href"), placeholders)
        if problem:
            yield Finding(
                rule="links", severity="error", message=f"link {problem}", where=_where(anchor)
            )


def _images(doc: _Element) -> Iterator[Finding]:
    for image in doc.iter("img"):
        src = (image.get("src") or "").strip()
        if not src:
            yield Finding(
                rule="images", severity="error", message="image has no src", where=_where(image)
            )
        elif src.lower().startswith("data:"):
            yield Finding(
                rule="images",
                severity="error",
                message="image is embedded as a data: URI, which Gmail and Outlook do not show",
                where=src[:40],
            )
        elif not src.lower().startswith("https://") or not urlsplit(src).netloc:
            yield Finding(
                rule="images",
                severity="error",
                message=f"image is not an absolute https URL ({src[:80]})",
                where=_where(image),
            )
        if image.get("alt") is None:
            yield Finding(
                rule="images",
                severity="error",
                message='image has no alt attribute (use alt="" for a decorative one)',
                where=src[:80],
            )
        width = image.get("width")
        if width and width.isdigit() and int(width) > 600:
            yield Finding(
                rule="images",
                severity="warning",
                message=f"image is {width} px wide, wider than a 600 px email",
                where=src[:80],
            )


# --- parity, unsubscribe, residue ------------------------------------------------------------


def canonical(url: str) -> str:
    """A URL without tracking parameters, for comparing the two parts and the manifest."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


_TEXT_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"')\]]+")


def _html_urls(doc: _Element) -> set[str]:
    return {
        canonical(a.get("href", ""))
        for a in doc.iter("a")
        if urlsplit(a.get("href", "")).scheme in {"http", "https"}
    }


def _text_urls(text: str) -> set[str]:
    return {canonical(u.rstrip(".,;:")) for u in _TEXT_URL.findall(text) if u.startswith("http")}


def _normal_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def _parity(parts: EmailParts, doc: _Element) -> Iterator[Finding]:
    html_urls, text_urls = _html_urls(doc), _text_urls(parts.text)
    html_text = _normal_text(doc.text_content())
    plain = _normal_text(parts.text)
    for post in parts.posts:
        url, title = canonical(post.url), _normal_text(post.title)
        for part, urls, text in (("HTML", html_urls, html_text), ("text", text_urls, plain)):
            if url not in urls:
                yield Finding(
                    rule="parity",
                    severity="error",
                    message=f"post is missing from the {part} part",
                    where=post.title,
                )
            if title not in text:
                yield Finding(
                    rule="parity",
                    severity="error",
                    message=f"post title is missing from the {part} part",
                    where=post.title,
                )
    for url in sorted(html_urls - text_urls):
        yield Finding(
            rule="parity", severity="error", message="link in the HTML part only", where=url
        )
    for url in sorted(text_urls - html_urls):
        yield Finding(
            rule="parity", severity="error", message="link in the text part only", where=url
        )


def _unsubscribe(parts: EmailParts, doc: _Element, options: CheckOptions) -> Iterator[Finding]:
    placeholders = UNSUBSCRIBE_PLACEHOLDERS + options.extra_placeholders

    def has(haystack: str, links: Iterable[tuple[str, str]]) -> bool:
        if any(p in haystack for p in placeholders):
            return True
        for href, label in links:
            if options.unsubscribe_url and canonical(href) == canonical(options.unsubscribe_url):
                return True
            if "unsubscribe" in label.casefold() and (
                is_safe_link(href) or any(p in href for p in placeholders)
            ):
                return True
        return False

    html_links = [(a.get("href", ""), a.text_content()) for a in doc.iter("a")]
    text_links = [
        (m.group(0), parts.text[max(0, m.start() - 40) : m.start()])
        for m in _TEXT_URL.finditer(parts.text)
    ]
    if not has(parts.html, html_links):
        yield Finding(
            rule="unsubscribe",
            severity="error",
            message="the HTML part has no unsubscribe link or mailing-service placeholder",
        )
    if not has(parts.text, text_links):
        yield Finding(
            rule="unsubscribe",
            severity="error",
            message="the text part has no unsubscribe link or mailing-service placeholder",
        )


def _visible_text(doc: _Element) -> str:
    chunks = []
    for element in doc.iter():
        if element.tag in {"style", "script"} or not isinstance(element.tag, str):
            continue
        if element.text and element.getparent() is not None and element.tag != "head":
            chunks.append(element.text)
        if element.tail:
            chunks.append(element.tail)
    return " ".join(" ".join(chunks).split())


def _residue(parts: EmailParts, doc: _Element, placeholders: tuple[str, ...]) -> Iterator[Finding]:
    for name, text in (
        ("HTML", _visible_text(doc)),
        ("text", parts.text),
        ("subject", parts.subject),
    ):
        cleaned = text
        for p in placeholders:
            cleaned = cleaned.replace(p, "")
        for match in RESIDUE.finditer(cleaned):
            start = max(0, match.start() - 30)
            yield Finding(
                rule="residue",
                severity="error",
                message=f"unrendered template syntax or placeholder text {match.group(0)!r} "
                f"in the {name} part",
                where=cleaned[start : match.end() + 30].strip(),
            )


# --- CSS and HTML support --------------------------------------------------------------------


@cache
def support_table() -> dict[str, Any]:
    data = files("digest").joinpath("data", "caniemail.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(data)
    return table


# Bounds on the CSS the support check parses, so a hostile <style> cannot make it
# recurse without end or run for minutes: real email CSS nests a few blocks deep,
# and Gmail clips a whole email at about 100 KB.
CSS_MAX_DEPTH = 32
CSS_MAX_CHARS = 128 * 1024
_CSS_SKIPPED = re.compile(
    r"""/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""", re.DOTALL
)
_CSS_BRACKET = re.compile(r"[(\[{)\]}]")


def css_depth(css: str, limit: int = CSS_MAX_DEPTH) -> int:
    """How deeply ``css`` nests brackets, without parsing it: stops counting past ``limit``.

    Comments and strings are left out; an unclosed bracket counts as open to the
    end, as CSS parsers treat it.
    """
    depth = deepest = 0
    for match in _CSS_BRACKET.finditer(_CSS_SKIPPED.sub("", css)):
        if match.group() in "([{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth = max(depth - 1, 0)
    return deepest


@dataclass
class _Usage:
    """Every detectable feature the email uses, and whether any use is in its base styles.

    ``unread`` says which CSS was too deep or too much to parse, so the report can say so.
    """

    base: dict[tuple[str, ...], str] = field(default_factory=dict)
    enhancement: dict[tuple[str, ...], str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)
    chars: int = 0

    def readable(self, css: str, where: str) -> bool:
        """Whether ``css`` is within the depth and size bounds; if not, note it as unread."""
        if self.chars + len(css) > CSS_MAX_CHARS:
            if self.chars <= CSS_MAX_CHARS:
                self.unread.append(
                    f"more than {CSS_MAX_CHARS // 1024} KB of CSS: CSS support not checked "
                    f"from {where} on"
                )
            self.chars = CSS_MAX_CHARS + 1
            return False
        self.chars += len(css)
        if css_depth(css) > CSS_MAX_DEPTH:
            self.unread.append(
                f"CSS in {where} nests more than {CSS_MAX_DEPTH} blocks deep; not checked"
            )
            return False
        return True

    def add(self, key: tuple[str, ...], where: str, *, enhancement: bool) -> None:
        target = self.enhancement if enhancement else self.base
        target.setdefault(key, where)


def _declarations(tokens: list[Any], usage: _Usage, where: str, enhancement: bool) -> None:
    for decl in tinycss2.parse_declaration_list(tokens, skip_whitespace=True, skip_comments=True):
        if decl.type != "declaration":
            continue
        name = decl.lower_name
        usage.add(("property", name), where, enhancement=enhancement)
        value = tinycss2.serialize(decl.value).strip().lower()
        usage.add(("property-value", name, " ".join(value.split())), where, enhancement=enhancement)
        if decl.important:
            usage.add(("important",), where, enhancement=enhancement)
        _values(decl.value, usage, where, enhancement)


def _values(tokens: Iterable[Any], usage: _Usage, where: str, enhancement: bool) -> None:
    for token in tokens:
        if token.type == "function":
            usage.add(("function", token.lower_name), where, enhancement=enhancement)
            _values(token.arguments, usage, where, enhancement)
        elif token.type == "dimension":
            usage.add(("unit", token.lower_unit), where, enhancement=enhancement)
        elif token.type == "percentage":
            usage.add(("unit", "%"), where, enhancement=enhancement)
        elif token.type == "ident" and token.lower_value == "initial":
            usage.add(("keyword", "initial"), where, enhancement=enhancement)


_PSEUDO = re.compile(r"(::?[a-z-]+)")


def _rules(rules: Iterable[Any], usage: _Usage, enhancement: bool) -> None:
    for rule in rules:
        if rule.type == "at-rule":
            name = rule.lower_at_keyword
            usage.add(("at-rule", name), f"@{name}", enhancement=True)
            prelude = tinycss2.serialize(rule.prelude).lower()
            for feature in re.findall(r"\(\s*([-a-z]+)\s*[:)]", prelude):
                usage.add(
                    ("media-feature", feature), f"@{name} {prelude.strip()[:40]}", enhancement=True
                )
            if rule.content is not None and name in {"media", "supports"}:
                _rules(
                    tinycss2.parse_rule_list(
                        rule.content, skip_whitespace=True, skip_comments=True
                    ),
                    usage,
                    True,
                )
            elif rule.content is not None and name == "font-face":
                _declarations(rule.content, usage, "@font-face", True)
        elif rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            for pseudo in _PSEUDO.findall(re.sub(r"\[[^\]]*\]", "", selector)):
                usage.add(("pseudo", pseudo.lower()), selector[:60], enhancement=enhancement)
            _declarations(rule.content, usage, selector[:60], enhancement)


def _usage(html: str, doc: _Element) -> _Usage:
    usage = _Usage()
    for style in doc.iter("style"):
        if not usage.readable(style.text or "", f"<style> at line {style.sourceline}"):
            continue
        sheet = tinycss2.parse_stylesheet(
            style.text or "", skip_whitespace=True, skip_comments=True
        )
        _rules(sheet, usage, enhancement=False)
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        usage.add(("element", tag), f"<{tag}>", enhancement=False)
        if tag in {"input", "button"} and element.get("type"):
            usage.add(
                ("element", tag, element.get("type", "").lower()), f"<{tag}>", enhancement=False
            )
        for attribute in element.attrib:
            usage.add(("attribute", attribute.lower()), f"<{tag} {attribute}>", enhancement=False)
        style = element.get("style")
        if style and usage.readable(style, f"<{tag} style> at line {element.sourceline}"):
            _declarations(
                tinycss2.parse_component_value_list(style), usage, f"<{tag} style>", False
            )
        if tag == "a":
            href = (element.get("href") or "").strip()
            if href.startswith("#"):
                usage.add(("link-scheme", "#"), href, enhancement=False)
            elif href.lower().startswith("mailto:"):
                usage.add(("link-scheme", "mailto"), href[:40], enhancement=False)
        if tag == "meta" and (element.get("name") or "").lower() == "color-scheme":
            usage.add(("meta", "color-scheme"), "<meta name=color-scheme>", enhancement=True)
        if tag == "img":
            src = (element.get("src") or "").lower()
            if src.startswith("data:"):
                usage.add(("image-data-uri",), src[:30], enhancement=False)
            else:
                ext = urlsplit(src).path.rsplit(".", 1)[-1] if "." in urlsplit(src).path else ""
                if ext:
                    usage.add(("image-format", ext), src[:60], enhancement=False)
    return usage


def _detect_keys(spec: dict[str, str]) -> tuple[str, ...]:
    kind = spec["kind"]
    if kind in {"important", "image-data-uri"}:
        return (kind,)
    if kind == "property-value":
        return (kind, spec["name"], " ".join(spec["value"].lower().split()))
    if kind == "element" and "type" in spec:
        return (kind, spec["name"], spec["type"])
    return (kind, spec["name"])


def _css_support(html: str, doc: _Element, options: CheckOptions) -> Iterator[Finding]:
    usage = _usage(html, doc)
    for problem in usage.unread[:5]:
        yield Finding(rule="css-support", severity="warning", message=problem)
    graceful = set(GRACEFUL) | set(options.allow_features)
    for slug, feature in sorted(support_table()["features"].items()):
        base_where = enh_where = None
        for spec in feature["detect"]:
            key = _detect_keys(spec)
            base_where = base_where or usage.base.get(key)
            enh_where = enh_where or usage.enhancement.get(key)
        if base_where is None and enh_where is None:
            continue
        unsupported = feature["unsupported"]
        partial = [p["client"] for p in feature["partial"]]
        title = feature["title"]
        if unsupported and base_where is not None and slug in graceful:
            reason = GRACEFUL.get(slug, "allowed by configuration")
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is not supported by {', '.join(unsupported)}; {reason}",
                where=base_where,
            )
        elif unsupported and base_where is not None:
            yield Finding(
                rule="css-support",
                severity="warning",
                message=f"{title} is not supported by {', '.join(unsupported)} ({feature['url']})",
                where=base_where,
            )
        elif unsupported:
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is skipped by {', '.join(unsupported)}; "
                "used as an enhancement only",
                where=enh_where or "",
            )
        if partial:
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is only partly supported by {', '.join(partial)} "
                f"({feature['url']})",
                where=base_where or enh_where or "",
            )


# --- accessibility and dark mode -------------------------------------------------------------


def _accessibility(doc: _Element) -> Iterator[Finding]:
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
                where=_where(table)[:60],
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
    text_length = len(_visible_text(doc))
    images = list(doc.iter("img"))
    for image in images:
        alt = (image.get("alt") or "").strip()
        if len(alt.split()) > 25:
            yield Finding(
                rule="accessibility",
                severity="warning",
                message="image alt text is over 25 words: is text baked into the image?",
                where=(image.get("src") or "")[:80],
            )
    if images and text_length < 200:
        yield Finding(
            rule="accessibility",
            severity="warning",
            message="the email is mostly images: text in images is lost when images are blocked",
        )


def _dark_mode(doc: _Element, html: str) -> Iterator[Finding]:
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


def summary_line(report: Report) -> str:
    return (
        f"{report.count('error')} errors, {report.count('warning')} warnings, "
        f"{report.count('info')} notes; HTML {report.html_bytes / 1024:.1f} KB"
    )


def as_junit(report: Report, *, strict: bool = False, name: str = "digest check") -> str:
    """JUnit XML: one test case per rule, failing on errors (and warnings when strict)."""
    from xml.etree import ElementTree as ET

    failing = {"error", "warning"} if strict else {"error"}
    suite = ET.Element("testsuite", name=name, tests=str(len(RULES)))
    failures = 0
    for rule in RULES:
        case = ET.SubElement(suite, "testcase", classname="digest.check", name=rule)
        mine = [f for f in report.findings if f.rule == rule]
        bad = [f for f in mine if f.severity in failing]
        if bad:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=f"{len(bad)} problem(s)", type=bad[0].severity
            )
            failure.text = "\n".join(str(f) for f in bad)
        rest = [f for f in mine if f.severity not in failing]
        if rest:
            ET.SubElement(case, "system-out").text = "\n".join(str(f) for f in rest)
    suite.set("failures", str(failures))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def parts_from_manifest(html: str, text: str, manifest: dict[str, Any] | None) -> EmailParts:
    """EmailParts from files on disk; subject falls back to the HTML <title>."""
    posts: Sequence[PostRef] = ()
    subject = preheader = ""
    if manifest:
        subject = str(manifest.get("subject", ""))
        preheader = str(manifest.get("preheader", ""))
        posts = tuple(
            PostRef(title=str(p.get("title", "")), url=str(p.get("url", "")))
            for s in manifest.get("sections", [])
            for p in s.get("posts", [])
        )
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
