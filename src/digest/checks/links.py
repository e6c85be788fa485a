"""Rules on what a reader clicks and sees: links, images, the two parts agreeing, unsubscribe."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml.etree import _Element

from ..i18n import translations_of
from ..links import is_safe_link
from ..models import UNSUBSCRIBE_STANDIN
from .model import CheckInput, Finding
from .registry import rule

IMAGE_MAX_WIDTH = 600  # px: wider than the email's column
RESIDUE = re.compile(r"\{\{|\{%|%\}|\}\}|\{#|#\}|\bTK\b|lorem ipsum", re.IGNORECASE)


def where_of(element: _Element) -> str:
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


@rule("links")
def links(inp: CheckInput) -> Iterator[Finding]:
    doc, placeholders = inp.doc, inp.placeholders + inp.service_tags
    for anchor in doc.iter("a"):
        problem = _link_problem(anchor.get("href"), placeholders)
        if problem:
            yield Finding(
                rule="links", severity="error", message=f"link {problem}", where=where_of(anchor)
            )


@rule("images")
def images(inp: CheckInput) -> Iterator[Finding]:
    doc = inp.doc
    for image in doc.iter("img"):
        src = (image.get("src") or "").strip()
        if not src:
            yield Finding(
                rule="images", severity="error", message="image has no src", where=where_of(image)
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
                where=where_of(image),
            )
        if image.get("alt") is None:
            yield Finding(
                rule="images",
                severity="error",
                message='image has no alt attribute (use alt="" for a decorative one)',
                where=src[:80],
            )
        width = image.get("width")
        if width and width.isdigit() and int(width) > IMAGE_MAX_WIDTH:
            yield Finding(
                rule="images",
                severity="warning",
                message=f"image is {width} px wide, wider than a 600 px email",
                where=src[:80],
            )


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


def loose_url(url: str) -> str:
    """``url`` with differences that do not change where it leads taken out.

    Percent-escapes decoded, HTML entities decoded, the scheme and host in lower
    case, the host's IDNA form decoded, a default port and a trailing slash
    dropped. Two URLs equal here but not as written are the same link escaped
    differently, which is worth naming as such.
    """
    import html as html_lib
    from urllib.parse import unquote

    parts = urlsplit(html_lib.unescape(url.strip()))
    host = (parts.hostname or "").lower()
    if host.startswith("xn--") or ".xn--" in host:
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    port = parts.port if parts.port not in {None, 80, 443} else None
    netloc = f"{host}:{port}" if port else host
    path = unquote(parts.path).rstrip("/")
    return urlunsplit(
        (parts.scheme.lower(), netloc, path, unquote(parts.query), unquote(parts.fragment))
    )


@rule("parity")
def parity(inp: CheckInput) -> Iterator[Finding]:
    parts, doc = inp.parts, inp.doc
    html_urls, text_urls = _html_urls(doc), _text_urls(parts.text)
    html_text = _normal_text(doc.text_content())
    plain = _normal_text(parts.text)
    explained: set[str] = set()  # links already reported with their real cause
    for post in parts.posts:
        url, title = canonical(post.url), _normal_text(post.title)
        for part, urls, text in (("HTML", html_urls, html_text), ("text", text_urls, plain)):
            if url not in urls:
                near = sorted(u for u in urls if loose_url(u) == loose_url(url))
                if near:
                    explained.update(near)
                    message = (
                        f"post link is escaped differently in the {part} part: {near[0]} "
                        f"there, {url} in the manifest"
                    )
                elif title in text:
                    message = f"post title is in the {part} part, but not its link {url}"
                else:
                    message = f"post is missing from the {part} part (neither its title nor {url})"
                yield Finding(rule="parity", severity="error", message=message, where=post.title)
            if title not in text and url in urls:
                message = (
                    f"post title is missing from the {part} part, though its link is there "
                    "(the title written differently there?)"
                )
                yield Finding(rule="parity", severity="error", message=message, where=post.title)
    html_only, text_only = html_urls - text_urls, text_urls - html_urls
    for url in sorted(html_only):
        twins = sorted(t for t in text_only if loose_url(t) == loose_url(url))
        if twins:
            text_only -= set(twins)
            yield Finding(
                rule="parity",
                severity="error",
                message=f"link is escaped differently in the two parts: {url} in the HTML part, "
                f"{twins[0]} in the text part",
                where=url,
            )
        elif url not in explained:
            yield Finding(
                rule="parity", severity="error", message="link in the HTML part only", where=url
            )
    # A URL written as prose (an excerpt quoting an address) is text in both parts, not a link.
    html_prose = _text_urls(doc.text_content())
    for url in sorted(text_only - html_prose):
        if url not in explained:
            yield Finding(
                rule="parity", severity="error", message="link in the text part only", where=url
            )


@rule("unsubscribe", cheap=True)
def unsubscribe(inp: CheckInput) -> Iterator[Finding]:
    parts, doc, options, placeholders = inp.parts, inp.doc, inp.options, inp.placeholders

    # the link's label in any shipped language ("Se désabonner", "إلغاء الاشتراك")
    unsubscribe_words = translations_of("Unsubscribe")

    def has(haystack: str, links: Iterable[tuple[str, str]]) -> bool:
        if any(p in haystack for p in placeholders):
            return True
        for href, label in links:
            if options.unsubscribe_url and canonical(href) == canonical(options.unsubscribe_url):
                return True
            if any(word in label.casefold() for word in unsubscribe_words) and (
                is_safe_link(href) or any(p in href for p in placeholders)
            ):
                return True
        return False

    html_links = [(a.get("href", ""), a.text_content()) for a in doc.iter("a")]
    text_links = [
        (m.group(0), parts.text[max(0, m.start() - 40) : m.start()])
        for m in _TEXT_URL.finditer(parts.text)
    ]
    if UNSUBSCRIBE_STANDIN in parts.html or UNSUBSCRIBE_STANDIN in parts.text:
        yield Finding(
            rule="unsubscribe",
            severity="info",
            message="the unsubscribe link is digest's stand-in (no [email] unsubscribe_url): "
            "exporters for services with their own unsubscribe tag fill it in; .eml, .mbox "
            "and `digest send` refuse it",
        )
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


def visible_text(doc: _Element) -> str:
    chunks = []
    for element in doc.iter():
        if element.tag in {"style", "script"} or not isinstance(element.tag, str):
            continue
        if element.text and element.getparent() is not None and element.tag != "head":
            chunks.append(element.text)
        if element.tail:
            chunks.append(element.tail)
    return " ".join(" ".join(chunks).split())


@rule("residue", cheap=True)
def residue(inp: CheckInput) -> Iterator[Finding]:
    parts, doc, placeholders = inp.parts, inp.doc, inp.placeholders + inp.service_tags
    for name, text in (
        ("HTML", visible_text(doc)),
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
