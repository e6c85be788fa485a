"""RSS (0.9x, 1.0, 2.0) and Atom (0.3, 1.0) with feedparser.

feedparser reads the broken feeds real servers send (a newline before
``<?xml``, undefined entities, bad encodings) with a lenient parser when the
strict one fails, and says so in ``bozo_exception``: we keep what it recovered
and report one problem naming what was wrong. It is given bytes, never a
string (a string may be taken for an address to fetch), and its own HTML
sanitising and link rewriting are off: our excerpts sanitise with nh3, and only
the item links, which feedparser resolves against ``xml:base`` and the feed's
address, need to be absolute.
"""

from __future__ import annotations

import html
import io
from typing import Any

import feedparser

from .feedload import FeedLoad
from .feeds import Collector, RawItem, each_item, first_text, utc

# What feedparser flags that is no fault of the feed's XML: a missing or generic
# Content-Type (a file has none), an encoding the HTTP header and the XML disagree on.
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)

# Where images hide in RSS extensions: gravatars are the author's face, not the post's.
_NOT_IMAGES = ("gravatar.com/avatar",)


def parse_xml_feed(
    data: bytes, kind: str, collector: Collector, content_type: str | None = None
) -> FeedLoad:
    headers = {"content-location": collector.base} if collector.base else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    info = parsed.get("feed", {})
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN):
        collector.warn(_bozo_message(parsed.get("bozo_exception"), len(parsed.entries)))
    feed_link = info.get("link") or ""
    if feed_link:
        collector.base = _absolute(feed_link, collector.base) or collector.base

    # An empty link (href="") is resolved by feedparser to the feed's base: an address of
    # the feed, not of the item, so it counts as no link (the item's id may stand in).
    not_items = {collector.base, feed_link, *(link.get("href") for link in info.get("links") or ())}
    not_items |= {(info.get(key) or {}).get("base") for key in ("title_detail", "subtitle_detail")}
    not_items.discard(None)
    not_items.discard("")

    def make(index: int, entry: Any) -> RawItem:
        item = _item(index, entry, collector.base)
        if item.link in not_items:
            item.link = ""
        return item

    each_item(parsed.entries, collector, make)
    if kind == "rss" and parsed.get("version", "").startswith("atom"):
        kind = "atom"
    return collector.result(kind, info.get("title") or "")


def _absolute(link: str, base: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, link) if base else link


def _bozo_message(exc: object, count: int) -> str:
    """One line saying what was wrong with a feed feedparser had to recover."""
    if exc is None:
        detail = "unknown problem"
    else:
        get_message = getattr(exc, "getMessage", None)
        detail = str(get_message() if callable(get_message) else exc)
        line = getattr(exc, "getLineNumber", None)
        if callable(line) and line():
            detail += f", line {line()}"
    detail = " ".join(detail.split())[:200]
    return (
        f"not well-formed XML ({detail}): read leniently, {count} item"
        f"{'s' if count != 1 else ''} recovered; tell the feed's owner"
    )


def _item(index: int, entry: Any, base: str) -> RawItem:
    content = entry.get("content") or []
    content_html = _as_html(content[0]) if content else ""
    summary = _as_html(entry.get("summary_detail") or {})
    if summary and summary == content_html:
        summary = ""  # feedparser copies content into summary when there is none
    title_detail = entry.get("title_detail") or {}
    author_detail = entry.get("author_detail") or {}
    terms = [t.get("label") or t.get("term") or "" for t in entry.get("tags") or ()]
    image, alt = _image(entry)
    return RawItem(
        index=index,
        id=first_text(entry.get("id")),
        title=entry.get("title") or "",
        title_html="html" in (title_detail.get("type") or ""),
        link=first_text(entry.get("feedburner_origlink"), entry.get("link")),
        published=first_text(entry.get("published")) or utc(entry.get("published_parsed")),
        # dict.get: feedparser's own get() answers "updated" with "published" (and warns)
        updated=first_text(dict.get(entry, "updated")) or utc(dict.get(entry, "updated_parsed")),
        author=first_text(author_detail.get("name"), _name_only(entry.get("author"))),
        categories=[t for t in terms if isinstance(t, str)],
        summary=summary,
        content=content_html,
        image=image,
        image_alt=alt,
        base=_item_base(entry, base),
    )


def _as_html(detail: Any) -> str:
    """A feedparser text construct as HTML: Atom ``type="text"`` is plain text, whose ``<``
    is a character, not a tag."""
    value = detail.get("value") or ""
    if value and (detail.get("type") or "") == "text/plain":
        return html.escape(value, quote=False)
    return str(value)


def _item_base(entry: Any, base: str) -> str:
    """The base for an item's relative links: its ``xml:base`` as feedparser resolved it."""
    for detail in (entry.get("summary_detail"), *(entry.get("content") or ())):
        if detail and detail.get("base"):
            return str(detail["base"])
    return base


def _name_only(author: object) -> str:
    """An RSS ``<author>`` is an email address with the name in brackets, if any."""
    if not isinstance(author, str) or "@" not in author:
        return author if isinstance(author, str) else ""
    return ""


def _image(entry: Any) -> tuple[str, str]:
    """(image, alt) from media:thumbnail, media:content or an image enclosure."""
    candidates: list[str] = []
    for thumb in entry.get("media_thumbnail") or ():
        candidates.append(thumb.get("url") or "")
    for media in entry.get("media_content") or ():
        medium = media.get("medium") or ""
        mime = media.get("type") or ""
        if medium == "image" or mime.startswith("image/"):
            candidates.append(media.get("url") or "")
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            candidates.append(link.get("href") or "")
    for url in candidates:
        if url and not any(part in url for part in _NOT_IMAGES):
            return url, ""
    return "", ""
