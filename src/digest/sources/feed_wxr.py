"""WordPress exports (WXR 1.0-1.2), streamed with lxml's ``iterparse``.

An export holds a whole site (a big one is hundreds of megabytes): posts,
pages, attachments, menu items, comments. It is read one ``<item>`` at a time
and each item is cleared once read, so memory holds one item plus what is
kept of each post (its summary and content cut to
:data:`~digest.sources.feeds.CONTENT_CHARS`).

The parser never expands entities (``resolve_entities=False``: no "billion
laughs", no file read through an external entity), never touches the network
and keeps libxml2's limits on text size (``huge_tree`` off). An export that
breaks off (a truncated download) keeps the posts read so far and reports
where it broke.
"""

from __future__ import annotations

from dataclasses import replace
from typing import IO, Any

from lxml import etree

from ..errors import FeedError
from . import feeds
from .feed_json import NOT_POST_TYPES
from .feeds import CONTENT_CHARS, TEXT_CHARS, Collector, FeedLoad, RawItem, cut

# WXR 1.0-1.2 namespaces: http://wordpress.org/export/1.2/ (and https:// from WordPress.com)
_WP = ("http://wordpress.org/export/", "https://wordpress.org/export/")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_NEVER = "0000-00-00 00:00:00"


def _split(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an lxml tag."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class _State:
    """What the stream has told so far beyond the items: the site, its authors, and the
    attachments that featured images point to."""

    def __init__(self) -> None:
        self.title = ""
        self.link = ""
        self.authors: dict[str, str] = {}
        self.attachments: dict[str, tuple[str, str]] = {}  # post id → (url, alt)
        self.thumbnails: list[tuple[str, str]] = []  # (post source, attachment id)


def parse_wxr(handle: IO[bytes], collector: Collector) -> FeedLoad:
    state = _State()
    parser = etree.iterparse(
        handle,
        events=("end",),
        tag=("item", "{*}author", "title", "link", "{*}base_blog_url"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
    )
    index = 0
    try:
        for _event, elem in parser:
            parent = elem.getparent()
            if elem.tag == "item":
                index += 1
                if collector.full():
                    collector.overflow()
                    break
                _item(elem, index, collector, state)
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:  # free the items already read
                    del parent[0]
            elif parent is not None and parent.tag == "channel":
                _channel(elem, collector, state)
    except etree.XMLSyntaxError as exc:
        if index == 0 and not collector.posts:
            raise FeedError(
                f"not a readable WordPress export: {_message(exc)}", where=collector.feed
            ) from None
        collector.warn(f"the export breaks off: {_message(exc)}; the items before it are read")
    return _with_thumbnails(collector.result("wxr", state.title), state)


def _message(exc: etree.XMLSyntaxError) -> str:
    text = " ".join(str(exc.msg or exc).split())[:200]
    return f"{text} (line {exc.lineno})" if exc.lineno else text


def _channel(elem: Any, collector: Collector, state: _State) -> None:
    ns, local = _split(elem.tag)
    text = cut(elem.text, TEXT_CHARS).strip()
    if local == "title" and not ns:
        state.title = text
    elif local in {"link", "base_blog_url"} and text and not state.link:
        from .feeds import clean_url

        state.link = clean_url(text, collector.base) or ""
        if state.link:
            collector.base = state.link
    elif local == "author" and ns.startswith(_WP) and len(state.authors) < feeds.MAX_ITEMS:
        fields = {_split(child.tag)[1]: cut(child.text, TEXT_CHARS) for child in elem}
        login = fields.get("author_login", "").strip()
        name = fields.get("author_display_name", "").strip()
        if login and name:
            state.authors[login] = name
    elem.clear(keep_tail=False)


def _item(elem: Any, index: int, collector: Collector, state: _State) -> None:
    raw = RawItem(index=index)
    wp: dict[str, str] = {}
    meta: dict[str, str] = {}
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == _CONTENT:
            raw.content = cut(child.text, CONTENT_CHARS)
            continue
        ns, local = _split(tag)
        if not ns:
            _rss_field(raw, local, child)
        elif ns.startswith(_WP):
            if local == "encoded":  # excerpt:encoded
                raw.summary = cut(child.text, CONTENT_CHARS)
            elif local == "postmeta":
                _postmeta(child, meta)
            elif local != "comment":
                wp[local] = cut(child.text, TEXT_CHARS).strip()
        elif tag == _CREATOR:
            login = cut(child.text, TEXT_CHARS).strip()
            raw.author = state.authors.get(login, login)
    kind = wp.get("post_type", "post") or "post"
    post_id = wp.get("post_id", "")
    if kind == "attachment":
        if post_id and len(state.attachments) < feeds.MAX_ITEMS:
            url = wp.get("attachment_url", "")
            state.attachments[post_id] = (url, meta.get("_wp_attachment_image_alt", ""))
        collector.seen += 1
        return
    if kind in NOT_POST_TYPES:
        collector.seen += 1
        return
    # the post id, unique in an export (guids are not: content copied between sites keeps
    # the guid of the site it came from)
    raw.id = post_id or raw.id
    gmt = wp.get("post_date_gmt", "")
    if gmt and gmt != _NEVER:
        raw.published = gmt + "+00:00"
    elif not raw.published:
        local_date = wp.get("post_date", "")
        raw.published = local_date if local_date and local_date != _NEVER else None
    status = wp.get("status", "publish")
    raw.published_item = status == "publish" and not wp.get("post_password")
    collector.add(raw)
    thumbnail = meta.get("_thumbnail_id", "").strip()
    if thumbnail and raw.published_item and collector.posts:
        state.thumbnails.append((collector.posts[-1].source, thumbnail))


def _rss_field(raw: RawItem, local: str, child: Any) -> None:
    text = child.text or ""
    if local == "title":
        raw.title = cut(text, TEXT_CHARS * 4)
    elif local == "link":
        raw.link = cut(text, TEXT_CHARS * 4).strip()
    elif local == "guid":
        raw.id = cut(text, TEXT_CHARS * 4).strip()
    elif local == "pubDate":
        raw.published = cut(text, TEXT_CHARS).strip() or None
    elif local == "category":
        domain = child.get("domain")
        if domain == "category":
            raw.categories.append(cut(text, TEXT_CHARS))
        elif domain == "post_tag":
            raw.tags.append(cut(text, TEXT_CHARS))
    elif local == "description" and not raw.summary:
        raw.summary = cut(text, CONTENT_CHARS)


def _postmeta(elem: Any, meta: dict[str, str]) -> None:
    key = value = ""
    for child in elem:
        local = _split(child.tag)[1] if isinstance(child.tag, str) else ""
        if local == "meta_key":
            key = cut(child.text, TEXT_CHARS).strip()
        elif local == "meta_value":
            value = cut(child.text, TEXT_CHARS)
    if key in {"_thumbnail_id", "_wp_attachment_image_alt"}:
        meta[key] = value


def _with_thumbnails(load: FeedLoad, state: _State) -> FeedLoad:
    """Posts with their featured image (``_thumbnail_id`` → the attachment's URL); the
    attachment may come after the post in the export, so this waits for the end."""
    if not state.thumbnails:
        return load
    from .feeds import clean_url

    wanted = dict(state.thumbnails)
    posts = []
    for post in load.posts:
        found = state.attachments.get(wanted.get(post.source, ""))
        url = clean_url(found[0], state.link or post.url) if found else None
        if url:
            post = replace(post, image=url, image_alt=" ".join(found[1].split()) if found else "")
        posts.append(post)
    return replace(load, posts=tuple(posts))
