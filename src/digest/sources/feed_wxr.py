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
from .feedload import FeedLoad
from .feeds import CONTENT_CHARS, TEXT_CHARS, URL_CHARS, Collector, RawItem, cut

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
        self.channel_read = False


def parse_wxr(handle: IO[bytes], collector: Collector) -> FeedLoad:
    state = _State()
    parser = etree.iterparse(
        handle,
        events=("end",),
        tag=("item", "channel"),
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
            if elem.tag != "item":  # </channel>: an export without items still has a title
                if not state.channel_read:
                    _channel(elem, collector, state)
                continue
            parent = elem.getparent()
            if not state.channel_read and parent is not None:
                _channel(parent, collector, state)
            index += 1
            if collector.full():
                collector.overflow()
                break
            _item(elem, index, collector, state)
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:  # free what was read before this item
                del parent[0]
    except etree.XMLSyntaxError as exc:
        if index == 0 and not collector.posts:
            raise FeedError(
                f"not a readable WordPress export: {_message(exc)}", where=collector.feed
            ) from None
        collector.warn(f"the export breaks off: {_message(exc)}; the items before it are read")
    return _with_thumbnails(collector.result("wxr", state.title), state, collector)


def _message(exc: etree.XMLSyntaxError) -> str:
    text = " ".join(str(exc.msg or exc).split())[:200].rstrip(".")
    return f"{text} (line {exc.lineno})" if exc.lineno and "line" not in text else text


def _channel(channel: Any, collector: Collector, state: _State) -> None:
    """The site's title, address and authors, from the channel's children before the
    first item (read once, when that item ends: they are freed with it)."""
    state.channel_read = True
    for elem in channel:
        tag = elem.tag
        if tag == "item":
            break
        if not isinstance(tag, str):
            continue
        ns, local = _split(tag)
        if local == "title" and not ns:
            state.title = cut(elem.text, TEXT_CHARS).strip()
        elif local in {"link", "base_blog_url"} and not state.link:
            state.link = feeds.clean_url(cut(elem.text, TEXT_CHARS), collector.base) or ""
            if state.link:
                collector.base = state.link
        elif local == "author" and ns.startswith(_WP) and len(state.authors) < feeds.MAX_ITEMS:
            fields = {_split(c.tag)[1]: cut(c.text, TEXT_CHARS) for c in elem}
            login = fields.get("author_login", "").strip()
            name = fields.get("author_display_name", "").strip()
            if login and name:
                state.authors[login] = name


# An item child's tag → the field it holds ("title", "content", "wp:status", …; "" for one
# not read), worked out once per tag: an export repeats the same tags in every item.
_FIELDS: dict[object, str] = {}
_READ = frozenset(
    {
        "title",
        "link",
        "guid",
        "pubDate",
        "description",
        "category",
        "content",
        "excerpt",
        "creator",
        "wp:post_id",
        "wp:post_type",
        "wp:status",
        "wp:post_date",
        "wp:post_date_gmt",
        "wp:post_password",
        "wp:attachment_url",
        "wp:postmeta",
    }
)


def _field(tag: object) -> str:
    field = ""
    if isinstance(tag, str):  # not a comment or processing instruction
        ns, local = _split(tag)
        if not ns:
            field = local
        elif tag == _CONTENT:
            field = "content"
        elif tag == _CREATOR:
            field = "creator"
        elif ns.startswith(_WP):
            field = "excerpt" if local == "encoded" else "wp:" + local
        field = field if field in _READ else ""
    if len(_FIELDS) < 1000:  # a hostile export may invent any number of tags
        _FIELDS[tag] = field
    return field


# Items left as soon as their type is known (attachments are read for featured images).
_NOT_READ = NOT_POST_TYPES - {"attachment"}


def _item(elem: Any, index: int, collector: Collector, state: _State) -> None:
    found: dict[str, str] = {}
    categories: list[str] = []
    tags: list[str] = []
    meta: dict[str, str] = {}
    for child in elem:
        field = _FIELDS.get(child.tag)
        if field is None:
            field = _field(child.tag)
        if not field:
            continue
        if field == "category":
            domain = child.get("domain")
            if domain == "category":
                categories.append((child.text or "")[:TEXT_CHARS])
            elif domain == "post_tag":
                tags.append((child.text or "")[:TEXT_CHARS])
        elif field == "wp:postmeta":
            _postmeta(child, meta)
        else:
            text = child.text or ""
            found[field] = text
            if field == "wp:post_type" and text.strip() in _NOT_READ:
                return  # a page or menu item: the rest of it (menu metadata) is of no use
    kind = found.get("wp:post_type", "").strip() or "post"
    post_id = found.get("wp:post_id", "")[:TEXT_CHARS].strip()
    if kind == "attachment":
        if post_id and len(state.attachments) < feeds.MAX_ITEMS:
            url = found.get("wp:attachment_url", "")[:TEXT_CHARS].strip()
            state.attachments[post_id] = (url, meta.get("_wp_attachment_image_alt", ""))
        return
    if kind in NOT_POST_TYPES:  # not counted against MAX_ITEMS: nothing of them is kept
        return
    raw = _raw_item(index, found, post_id, state)
    raw.categories = categories
    raw.tags = tags
    raw.thumbnail = meta.get("_thumbnail_id", "").strip()
    before = len(collector.posts)
    collector.add(raw)
    if raw.thumbnail and len(collector.posts) > before:
        state.thumbnails.append((collector.posts[-1].source, raw.thumbnail))


def _raw_item(index: int, found: dict[str, str], post_id: str, state: _State) -> RawItem:
    def text(field: str, limit: int = TEXT_CHARS) -> str:
        return found.get(field, "")[:limit].strip()

    login = text("creator")
    published: str | None = text("pubDate") or None
    gmt = text("wp:post_date_gmt")
    if gmt and gmt != _NEVER:
        published = gmt + "+00:00"
    elif not published:
        local_date = text("wp:post_date")
        published = local_date if local_date and local_date != _NEVER else None
    status = text("wp:status") or "publish"
    return RawItem(
        index=index,
        # the post id, unique in an export (guids are not: content copied between sites
        # keeps the guid of the site it came from)
        id=post_id or text("guid", URL_CHARS),
        title=found.get("title", "")[: TEXT_CHARS * 4],
        title_html=True,  # WordPress titles are HTML
        link=text("link", URL_CHARS),
        published=published,
        author=state.authors.get(login, login),
        summary=found.get("excerpt", "")[:CONTENT_CHARS]
        or found.get("description", "")[:CONTENT_CHARS],
        content=found.get("content", "")[:CONTENT_CHARS],
        published_item=status == "publish" and not text("wp:post_password"),
    )


def _postmeta(elem: Any, meta: dict[str, str]) -> None:
    """The post's metadata that matters here: its featured image, an image's alt text."""
    key = value = ""
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag.endswith("meta_key"):
            key = (child.text or "")[:TEXT_CHARS].strip()
        elif tag.endswith("meta_value"):
            value = (child.text or "")[:TEXT_CHARS]
    if key in {"_thumbnail_id", "_wp_attachment_image_alt"}:
        meta[key] = value


def _with_thumbnails(load: FeedLoad, state: _State, collector: Collector) -> FeedLoad:
    """Posts with their featured image (``_thumbnail_id`` → the attachment's URL), else the
    first image in their content; the attachment may come after the post in the export,
    so this waits for the end."""
    if not state.thumbnails:
        return load
    wanted = dict(state.thumbnails)
    base = state.link or collector.base or collector.config.site.url
    posts = []
    for post in load.posts:
        if post.source in wanted:
            found = state.attachments.get(wanted[post.source])
            url = feeds.clean_url(found[0], base) if found else None
            if url and found:
                post = replace(post, image=url, image_alt=" ".join(found[1].split()))
            elif post.body and (image := feeds.first_img(post.body, base)):
                post = replace(post, image=image)
        posts.append(post)
    return replace(load, posts=tuple(posts))
