"""Feeds as sources: RSS, Atom, JSON Feed, WordPress WXR exports and WordPress REST lists.

:func:`parse_feed` (bytes, e.g. fetched over HTTP) and :func:`parse_feed_file` (a
path; a WXR export is streamed) detect the kind from the content and turn each
item into the same :class:`~digest.models.Post` a Markdown post becomes:

- ``source`` is the item's id (RSS guid, Atom id, JSON Feed id, WXR post id, REST
  id), else its link; ``feed`` is the feed as the user gave it;
- the title has its entities and markup decoded; an item without one (a microblog
  post) is titled with the first words of its text, as feed readers do;
- ``url`` is the item's link made absolute (against ``xml:base``, the feed's own
  link or address, or ``[site] url``), with ``utm_*`` parameters removed; a link
  that is not http(s) (``javascript:``) is never used;
- ``date`` is published, else updated; a date without an offset is in the site
  time zone, as in frontmatter;
- ``excerpt`` and ``body`` keep the item's summary and content as HTML, each cut
  to :data:`CONTENT_CHARS`: :func:`digest.excerpts.make_excerpt` turns them into
  text (:mod:`.feed_html`) for the selected posts only.

Items that are not published (a WXR or REST status other than ``publish``, or a
password) are left out, their ids in ``drafts``; WXR attachments, pages and menu
items and REST pages are not posts. A broken item is one :class:`Problem` naming
the feed and the item; a broken feed one :class:`~digest.errors.FeedError`.

Feeds are untrusted: the input is capped in size (:data:`MAX_FEED_BYTES`,
:data:`MAX_WXR_BYTES` streamed), the items in number (:data:`MAX_ITEMS`) and
every string in length; XML entities are never expanded and nothing is fetched.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..config import Config
from ..dates import MAX_DATE_CHARS, parse_date_string, shown, to_site_time
from ..errors import FeedError
from ..fields import text_field, unique
from ..front_matter import Skip
from ..models import Post, Problem
from .feed_html import html_text, title_from_text
from .feedload import FeedLoad as FeedLoad

log = logging.getLogger("digest")

KINDS = ("rss", "atom", "jsonfeed", "wxr", "wp-rest")

# A feed read whole (RSS, Atom, JSON) is at most this big; a WXR export, streamed, this.
MAX_FEED_BYTES = 50_000_000
MAX_WXR_BYTES = 1_000_000_000
# Items read from one feed; the rest are left out with a warning.
MAX_ITEMS = 20_000
# How much of an item's summary and content is kept: an excerpt is its first few
# dozen words (see digest.excerpts.SOURCE_CHARS), and a 100 MB export must not be
# held in memory.
CONTENT_CHARS = 10_000
# Longest title, name, category, id or address kept; longer ones are cut (ids, links: the
# item is skipped, since a cut address is a wrong one).
TEXT_CHARS = 1_000
URL_CHARS = 4_000
# Terms (categories, tags) kept per item.
MAX_TERMS = 100
# How much of the start of a file is looked at to tell its kind.
SNIFF_BYTES = 65_536


@dataclass(slots=True)
class RawItem:
    """One item as a parser found it, before it is checked and normalised.

    ``title`` may hold entities and (``title_html``) markup; ``summary`` and
    ``content`` are HTML; dates are datetimes (aware or naive) or the text the
    feed wrote; ``base`` is the address the item's relative links are relative to.
    """

    index: int
    id: str = ""
    title: str = ""
    title_html: bool = False
    link: str = ""
    published: datetime | str | None = None
    updated: datetime | str | None = None
    author: str = ""
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    content: str = ""
    image: str = ""
    image_alt: str = ""
    base: str = ""
    published_item: bool = True  # False: a draft, pending, private or protected item
    # A featured image to look up once the whole export is read (WXR ``_thumbnail_id``):
    # no image is taken from the content meanwhile.
    thumbnail: str = ""


@dataclass(slots=True)
class Collector:
    """Turns :class:`RawItem` records into posts, drafts and problems for one feed."""

    feed: str
    config: Config
    base: str  # the feed's own address (its link, or where it came from), "" if unknown
    posts: list[Post] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    oldest: datetime | None = None
    seen: int = 0  # items offered as posts (kept, left out as drafts, or reported)
    sources: set[str] = field(default_factory=set)  # the posts' ids, to catch a repeated one

    def full(self) -> bool:
        """True once :data:`MAX_ITEMS` items were offered (the rest are not read)."""
        return self.seen >= MAX_ITEMS

    def overflow(self) -> None:
        """Report that the feed has more items than are read."""
        self.warn(f"more than {MAX_ITEMS:,} items: only the first {MAX_ITEMS:,} are read")

    def warn(self, message: str, item: RawItem | None = None) -> None:
        self.problems.append(Problem(where=self.where(item), message=message))

    def where(self, item: RawItem | None) -> str:
        if item is None:
            return self.feed
        label = f"item {item.index}"
        if item.id:
            label += f" {shown(item.id, 60)}"
        return f"{self.feed} ({label})"

    def add(self, item: RawItem) -> None:
        """Check and normalise one item; a bad one becomes a problem, never an exception."""
        self.seen += 1
        try:
            when = item_date(item, self.config)
        except Skip as skip:
            if item.published_item:
                self.warn(skip.message, item)
            else:
                self.drafts.append(item.id or item.link)
            return
        if when is not None and (self.oldest is None or when < self.oldest):
            self.oldest = when
        if not item.published_item:
            self.drafts.append(item.id or item.link)
            return
        try:
            post = self._post(item, when)
        except Skip as skip:
            self.warn(skip.message, item)
            return
        except Exception as exc:  # one odd item must never stop a build: report it
            log.debug("unexpected failure while reading a feed item", exc_info=exc)
            self.warn(f"unusable item ({type(exc).__name__}): skipped", item)
            return
        if post.source in self.sources:
            # one id, one post: the ledger and the manifest know a feed item by its id
            self.warn("the same id as an item before it: left out", item)
            return
        self.sources.add(post.source)
        self.posts.append(post)

    def _post(self, item: RawItem, when: datetime | None) -> Post:
        if when is None:
            raise Skip("no date (published or updated): skipped")
        base = self.base or self.config.site.url
        if item.base:
            base = urljoin(base, item.base) if _absolute(base) else item.base
        url = item_url(item, base)
        title = _title(item)
        if not title:
            title = title_from_text(item.summary) or title_from_text(item.content)
        if not title:
            raise Skip("no title and no text: skipped")
        categories = [_term(c) for c in item.categories[:MAX_TERMS]]
        tags = [_term(t) for t in item.tags[:MAX_TERMS]]
        if self.config.selection.tags_as_categories:
            categories += tags
        image = clean_url(item.image, base) if item.image else None
        if image is None and item.content and not item.thumbnail:
            image = first_img(item.content, base)
        return Post(
            source=cut(item.id, URL_CHARS) or url,
            feed=self.feed,
            title=title,
            date=when,
            url=url,
            author=text_field(cut(item.author, TEXT_CHARS), "author", entities=True),
            categories=unique([c for c in categories if c]),
            tags=unique([t for t in tags if t]),
            excerpt=cut(item.summary, CONTENT_CHARS) or None,
            image=image,
            image_alt=text_field(cut(item.image_alt, TEXT_CHARS), "image alt", entities=True)
            if image
            else "",
            body=cut(item.content, CONTENT_CHARS),
        )

    def result(self, kind: str, title: str) -> FeedLoad:
        posts = sorted(self.posts, key=lambda p: (-p.date.timestamp(), p.source))
        return FeedLoad(
            kind=kind,
            title=text_field(cut(title, TEXT_CHARS), "feed title", entities=True),
            posts=tuple(posts),
            problems=tuple(self.problems),
            drafts=tuple(self.drafts),
            oldest=self.oldest,
        )


def cut(text: str | None, limit: int) -> str:
    """``text`` at most ``limit`` characters ("" for None)."""
    if not text:
        return ""
    return text if len(text) <= limit else text[:limit]


def _title(item: RawItem) -> str:
    """The item's title as one line of text: markup removed when the feed says it is HTML
    (WordPress titles are; ``<`` in a plain-text title is a character), entities decoded."""
    raw = cut(item.title, TEXT_CHARS * 4)
    if item.title_html and "<" in raw:
        raw = html_text(raw)
    return cut(text_field(raw, "title", entities=True), TEXT_CHARS)


def _term(name: str) -> str:
    return text_field(cut(name, TEXT_CHARS), "category", entities=True)


# --- dates -------------------------------------------------------------------------------


def parse_feed_date(text: str) -> datetime:
    """A date as feeds write it: RFC 822 (RSS, WXR ``pubDate``), RFC 3339/ISO 8601 (Atom,
    JSON Feed, REST), or a frontmatter-like date. Naive when the text has no offset.

    Raises :class:`ValueError` with a message fit for the user.
    """
    text = text.strip()
    if len(text) > MAX_DATE_CHARS:
        raise ValueError(f"date {shown(text)} is too long to be a date")
    if text[:1].isdigit():
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return parse_date_string(text)
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(
            f"date {shown(text)} is not an RFC 822 date (Tue, 18 Jan 2011 07:40:14 +0000) "
            "or an ISO date (2011-01-18T07:40:14Z)"
        ) from None


def item_date(item: RawItem, config: Config) -> datetime | None:
    """Published, else updated, as an aware datetime in the site time zone; None if the
    item has neither. Raises :class:`Skip` naming a date that cannot be read."""
    for value in (item.published, item.updated):
        if value is None or value == "":
            continue
        try:
            parsed = parse_feed_date(value) if isinstance(value, str) else value
            return to_site_time(parsed, config.site.tz)
        except ValueError as exc:
            raise Skip(f"{exc}: skipped") from None
    return None


# --- links -------------------------------------------------------------------------------


def _without_utm(parts: SplitResult) -> str:
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_")
    ]
    return urlunsplit(parts._replace(query=urlencode(kept)))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An absolute http(s) address with an ASCII host name and no spaces: most links in a feed,
# accepted without taking them apart (anything else goes through urlsplit).
_PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.-]{0,252}[a-z0-9])?(?::(\d{1,5}))?(?:[/?#][^\s\\]*)?",
    re.IGNORECASE,
)
_HTTP = frozenset({"http", "https"})


def clean_url(link: str, base: str) -> str | None:
    """``link`` made absolute against ``base``, without ``utm_*`` parameters; None unless
    the result is an http(s) address (``javascript:``, ``data:``, a relative link with no
    base)."""
    link = link.strip()
    if not link or len(link) > URL_CHARS or _CONTROL.search(link):
        return None
    if link.startswith("//"):
        link = "https:" + link
    elif link[:1] == "/" and _absolute(base) and "/." not in link:
        link = _origin(base) + link  # the usual relative link, without urljoin's cost
    plain = _PLAIN_URL.fullmatch(link)
    if plain and int(plain.group(1) or 0) <= 65535 and "utm_" not in link.lower():
        return link  # an ordinary absolute address: nothing to resolve, check or remove
    try:
        parts = urlsplit(link)
        if not parts.scheme:
            if not _absolute(base):
                return None
            link = _join(base, link)
            parts = urlsplit(link)
        if parts.scheme.lower() not in _HTTP or not parts.hostname:
            return None
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    return _without_utm(parts) if "utm_" in parts.query.lower() else link


@functools.lru_cache(maxsize=64)
def _origin(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def _join(base: str, link: str) -> str:
    """``urljoin`` with a fast path for the common root-relative link (``/wp-content/…``)."""
    if link[:1] == "/" and link[1:2] != "/" and "/." not in link:
        return _origin(base) + link
    return urljoin(base, link)


@functools.lru_cache(maxsize=64)
def _absolute(base: str) -> bool:
    """True for an absolute http(s) address, something relative links can be resolved against."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return False
    return parts.scheme.lower() in _HTTP and bool(parts.netloc)


def item_url(item: RawItem, base: str) -> str:
    """The item's address; its id when that is an address and the link is missing or
    unusable (an RSS guid is a permalink unless it says otherwise). Raises :class:`Skip`."""
    url = clean_url(item.link, base) if item.link else None
    if url is None and item.id and "://" in item.id:
        url = clean_url(item.id, "")
    if url is not None:
        return url
    if item.link:
        reason = "is not an http(s) address"
        if not urlsplit(item.link.strip()).scheme and not _absolute(base):
            reason = "is relative and the feed gives no address to resolve it against"
        raise Skip(f"link {shown(item.link.strip(), 60)} {reason}: skipped")
    raise Skip("no link: skipped")


_IMG = re.compile(r"<img\b[^>]{0,2000}?\ssrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))", re.I)


def first_img(markup: str, base: str) -> str | None:
    """The first ``<img src>`` in an item's HTML, absolute, or None."""
    markup = markup[:CONTENT_CHARS]
    start = markup.find("<img")  # a plain search first: the pattern ignores case, and is slow
    if start < 0:
        start = markup.lower().find("<img")
        if start < 0:
            return None
    match = _IMG.search(markup, start)
    if not match:
        return None
    src = html.unescape(next(g for g in match.groups() if g is not None))
    return clean_url(src, base)


# --- kind detection -------------------------------------------------------------------------

_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_SKIP_XML = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S | re.I)
_WXR_NS = re.compile(rb"""xmlns:\w+\s*=\s*["']https?://wordpress\.org/export/""")


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _sniffable(head: bytes) -> bytes:
    """The start of a document as UTF-8-like bytes for sniffing: UTF-16 (with its byte
    order mark, as the XML specification requires) is re-encoded."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "ignore").encode("utf-8", "ignore")
    return _strip_bom(head)


def _root_element(data: bytes) -> tuple[bytes, int] | None:
    """(root element name, its offset) of an XML document's start, or None."""
    pos = 0
    while True:
        match = _SKIP_XML.match(data, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    rest = data[pos:].lstrip()
    start = len(data) - len(rest)
    found = _ROOT.match(rest)
    return (found.group(1), start) if found else None


def detect_kind(data: bytes, content_type: str | None = None) -> str:
    """The kind of feed ``data`` starts with (one of :data:`KINDS`); only its start is
    read for XML. Raises :class:`FeedError` saying what it is instead."""
    return _detect(data, content_type)[0]


def _detect(data: bytes, content_type: str | None) -> tuple[str, Any]:
    """(kind, the parsed JSON for a JSON kind, else None): JSON is parsed once."""
    head = _sniffable(data[:SNIFF_BYTES]).lstrip()
    if not head:
        raise FeedError("empty: not a feed")
    if head[:1] in (b"{", b"["):
        value = _load_json(data)
        return json_kind(value), value
    return _xml_kind(head, content_type), None


def _xml_kind(head: bytes, content_type: str | None) -> str:
    if head[:1] != b"<":
        what = f" (served as {content_type})" if content_type else ""
        raise FeedError(f"neither XML nor JSON{what}: not a feed")
    root = _root_element(head)
    if b"<!ENTITY" in head[: root[1] if root else len(head)]:
        # what "billion laughs" and external-entity attacks are made of; no feed needs it
        raise FeedError(
            "declares its own XML entities (<!ENTITY> in its DOCTYPE): refused, since they "
            "can expand without bound or read local files"
        )
    name = root[0].lower() if root else b""
    local = name.rsplit(b":", 1)[-1]
    if local == b"rss":
        tag_end = head.find(b">", root[1] if root else 0)
        return "wxr" if _WXR_NS.search(head, 0, tag_end if tag_end > 0 else len(head)) else "rss"
    if local in {b"rdf", b"channel"}:
        return "rss"
    if local == b"feed":
        return "atom"
    if local == b"html" or b"<html" in head[:2000].lower():
        raise FeedError(
            "an HTML page, not a feed: give the feed's own address "
            '(the page\'s <link rel="alternate"> names it)'
        )
    shown_name = name.decode("ascii", "replace") or "?"
    raise FeedError(f"XML whose root element is <{shown_name}>, not RSS, Atom or WXR")


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(_strip_bom(data))
    except UnicodeDecodeError as exc:
        raise FeedError(f"JSON that is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise FeedError(f"not usable JSON ({type(exc).__name__})") from None


def json_kind(value: Any) -> str:
    """ "jsonfeed" or "wp-rest" for parsed JSON; raises :class:`FeedError` otherwise."""
    if isinstance(value, dict):
        version = value.get("version")
        if isinstance(version, str) and version.startswith(
            ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
        ):
            return "jsonfeed"
        if isinstance(value.get("code"), str) and isinstance(value.get("message"), str):
            raise FeedError(
                f"a WordPress REST error ({shown(value['code'])}: {shown(value['message'], 200)})"
            )
        if "items" in value and "version" not in value:
            raise FeedError("JSON with items but no JSON Feed version: not a JSON Feed")
        raise FeedError("JSON that is neither a JSON Feed nor a WordPress REST list of posts")
    if isinstance(value, list) and all(_rest_like(v) for v in value[:20]):
        return "wp-rest"
    raise FeedError("a JSON list that is not a WordPress REST list of posts")


def _rest_like(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "id" in value
        and isinstance(value.get("title", {}), dict)
        and ("link" in value or "guid" in value)
    )


# --- entry points ------------------------------------------------------------------------


def parse_feed(
    data: bytes, *, feed: str, config: Config, content_type: str | None = None
) -> FeedLoad:
    """Parse a whole feed held in memory (fetched, or read from a file)."""
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(
            f"{len(data) / 1e6:.1f} MB, larger than the {MAX_FEED_BYTES / 1e6:.0f} MB "
            "allowed for a feed",
            where=feed,
        )
    try:
        kind, value = _detect(data, content_type)
    except FeedError as exc:
        raise FeedError(exc.message, where=feed, hint=exc.hint) from None
    base = _feed_base(feed, config)
    if kind in {"rss", "atom"}:
        from .feed_xml import parse_xml_feed

        return parse_xml_feed(data, kind, Collector(feed, config, base), content_type)
    # the parsers import this module (for Collector and RawItem): imported here, not above
    if kind == "wxr":
        from .feed_wxr import parse_wxr

        return parse_wxr(BytesIO(data), Collector(feed, config, base))
    from .feed_json import parse_json_feed, parse_rest

    if kind == "jsonfeed":
        return parse_json_feed(value, Collector(feed, config, base))
    return parse_rest(value, Collector(feed, config, base))


def parse_feed_file(path: Path, *, feed: str, config: Config) -> FeedLoad:
    """Parse a feed file; a WXR export is streamed (bounded memory, up to
    :data:`MAX_WXR_BYTES`), any other kind read whole (up to :data:`MAX_FEED_BYTES`)."""
    try:
        with _open_regular(path, feed) as handle:
            head = handle.read(SNIFF_BYTES)
            json_like = _sniffable(head).lstrip()[:1] in (b"{", b"[")
            try:  # JSON is told apart once read whole: its start alone is no valid JSON
                kind = "" if json_like else detect_kind(head)
            except FeedError as exc:
                raise FeedError(exc.message, where=feed) from None
            size = os.fstat(handle.fileno()).st_size
            if kind == "wxr":
                if size > MAX_WXR_BYTES:
                    raise FeedError(
                        f"{size / 1e6:.0f} MB, larger than the {MAX_WXR_BYTES / 1e6:.0f} MB "
                        "allowed for a WordPress export",
                        where=feed,
                    )
                from .feed_wxr import parse_wxr

                handle.seek(0)
                return parse_wxr(handle, Collector(feed, config, _feed_base(feed, config)))
            if size > MAX_FEED_BYTES:
                raise FeedError(
                    f"{size / 1e6:.1f} MB, larger than the {MAX_FEED_BYTES / 1e6:.0f} MB "
                    "allowed for a feed",
                    where=feed,
                )
            data = head + handle.read(MAX_FEED_BYTES + 1 - len(head))
    except OSError as exc:
        raise FeedError(f"cannot read: {exc.strerror or exc}", where=feed) from None
    return parse_feed(data, feed=feed, config=config)


def _open_regular(path: Path, feed: str) -> IO[bytes]:
    """``path`` opened for reading, refusing what is not a regular file (a FIFO would
    block forever, a device could be endless)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FeedError("not a regular file: not read", where=feed)
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _feed_base(feed: str, config: Config) -> str:
    """The address a feed's relative links are relative to, before the feed names its
    own: the URL it came from, else the site's URL."""
    scheme = urlsplit(feed).scheme.lower() if "://" in feed else ""
    return feed if scheme in {"http", "https"} else config.site.url


def first_text(*values: object) -> str:
    """The first of ``values`` that is a non-blank string, else ""."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return ""


def each_item(
    items: Iterable[Any], collector: Collector, make: Callable[[int, Any], RawItem | None]
) -> None:
    """Offer ``make(index, raw)`` for each raw item to ``collector``, up to :data:`MAX_ITEMS`."""
    for index, raw in enumerate(items, 1):
        if collector.full():
            collector.overflow()
            return
        try:
            item = make(index, raw)
        except Skip as skip:
            collector.seen += 1
            collector.warn(skip.message, RawItem(index=index))
            continue
        if item is not None:
            collector.add(item)
        else:
            collector.seen += 1


def utc(value: Any) -> datetime | None:
    """A feedparser ``*_parsed`` time tuple (UTC) as an aware datetime, or None."""
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = tuple(value)[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None
