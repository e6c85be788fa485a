"""JSON Feed (1 and 1.1) and WordPress REST lists (``/wp/v2/posts``), read with ``json``.

Both are already parsed by :func:`~digest.sources.feeds.parse_feed`; here each
item's fields are checked for their type (a hostile feed can put a list where a
string belongs) and mapped to a :class:`~digest.sources.feeds.RawItem`.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ..front_matter import Skip
from .feedload import FeedLoad
from .feeds import Collector, RawItem, each_item, first_text

# WordPress post types that are not blog posts: a REST list of them (``/wp/v2/pages``) is
# not a list of posts, and a WXR export holds all of them beside the posts.
NOT_POST_TYPES = frozenset(
    {
        "page",
        "attachment",
        "nav_menu_item",
        "revision",
        "custom_css",
        "customize_changeset",
        "oembed_cache",
        "user_request",
        "wp_block",
        "wp_template",
        "wp_template_part",
        "wp_global_styles",
        "wp_navigation",
        "wp_font_family",
        "wp_font_face",
    }
)


def _text(value: Any) -> str:
    """A JSON value meant as text; numbers (ids) as their digits; anything else ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _plain_as_html(text: str) -> str:
    """Plain text (JSON Feed ``summary``, ``content_text``) as HTML, so that ``<`` in it
    stays a character when the excerpt is made from HTML."""
    return html.escape(text, quote=False)


def parse_json_feed(value: dict[str, Any], collector: Collector) -> FeedLoad:
    home = first_text(value.get("home_page_url"), value.get("feed_url"))
    if home:
        from .feeds import clean_url

        collector.base = clean_url(home, collector.base) or collector.base
    items = value.get("items")
    if not isinstance(items, list):
        collector.warn("a JSON Feed without an 'items' list: no posts")
        items = []
    feed_authors = _authors(value)
    each_item(items, collector, lambda index, raw: _json_item(index, raw, feed_authors))
    return collector.result("jsonfeed", _text(value.get("title")))


def _authors(value: dict[str, Any]) -> str:
    """``authors`` (1.1) or ``author`` (1): their names, joined as a byline."""
    raw = value.get("authors")
    people = raw if isinstance(raw, list) else [value.get("author")]
    names = [_text(p.get("name")) for p in people if isinstance(p, dict)]
    names = [n for n in names if n.strip()]
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def _json_item(index: int, raw: Any, feed_authors: str) -> RawItem:
    if not isinstance(raw, dict):
        raise Skip("not a JSON object: skipped")
    summary = _text(raw.get("summary"))
    content = _text(raw.get("content_html"))
    if not content and _text(raw.get("content_text")):
        content = _plain_as_html(_text(raw.get("content_text")))
    tags = raw.get("tags")
    return RawItem(
        index=index,
        id=_text(raw.get("id")),
        title=_text(raw.get("title")),
        link=first_text(raw.get("url"), raw.get("external_url")),
        published=_text(raw.get("date_published")) or None,
        updated=_text(raw.get("date_modified")) or None,
        author=_authors(raw) or feed_authors,
        tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        summary=_plain_as_html(summary) if summary else "",
        content=content,
        image=first_text(raw.get("image"), raw.get("banner_image")),
    )


# --- WordPress REST ------------------------------------------------------------------------


def _rendered(value: Any) -> str:
    """``{"rendered": "…"}`` as the REST API writes titles, excerpts and content."""
    return _text(value.get("rendered")) if isinstance(value, dict) else _text(value)


def parse_rest(value: list[Any], collector: Collector) -> FeedLoad:
    pages: list[str] = []

    def make(index: int, raw: Any) -> RawItem | None:
        if not isinstance(raw, dict):
            raise Skip("not a JSON object: skipped")
        kind = _text(raw.get("type")) or "post"
        if kind in NOT_POST_TYPES:
            pages.append(kind)
            return None
        return _rest_item(index, raw)

    each_item(value, collector, make)
    if pages:
        kinds = sorted(set(pages))
        collector.warn(
            f"{len(pages)} item{'s are' if len(pages) != 1 else ' is'} WordPress "
            f"{' and '.join(k + 's' for k in kinds)}, not posts: left out "
            "(a site's posts are at /wp-json/wp/v2/posts)"
        )
    return collector.result("wp-rest", "")


def _terms(embedded: dict[str, Any], taxonomy: str) -> list[str]:
    """Names of the ``_embedded['wp:term']`` terms of one taxonomy."""
    groups = embedded.get("wp:term")
    out: list[str] = []
    for group in groups if isinstance(groups, list) else ():
        for term in group if isinstance(group, list) else ():
            if isinstance(term, dict) and term.get("taxonomy") == taxonomy:
                out.append(_text(term.get("name")))
    return [t for t in out if t]


def _first(embedded: dict[str, Any], key: str) -> dict[str, Any]:
    value = embedded.get(key)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


_NAIVE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?")


def _gmt(text: str) -> str:
    """A REST ``*_gmt`` date (UTC, written without an offset) with its offset."""
    return text + "+00:00" if _NAIVE.fullmatch(text) else text


def _rest_item(index: int, raw: dict[str, Any]) -> RawItem:
    embedded = raw.get("_embedded")
    embedded = embedded if isinstance(embedded, dict) else {}
    media = _first(embedded, "wp:featuredmedia")
    content = raw.get("content")
    protected = isinstance(content, dict) and content.get("protected") is True
    status = _text(raw.get("status")) or "publish"
    date_gmt = _text(raw.get("date_gmt"))
    modified_gmt = _text(raw.get("modified_gmt"))
    return RawItem(
        index=index,
        id=_text(raw.get("id")),
        title=_rendered(raw.get("title")),
        title_html=True,
        link=_text(raw.get("link")) or _rendered(raw.get("guid")),
        # date_gmt is UTC without an offset; date is the site's local time
        published=_gmt(date_gmt) or _text(raw.get("date")) or None,
        updated=_gmt(modified_gmt) or _text(raw.get("modified")) or None,
        author=_text(_first(embedded, "author").get("name")),
        categories=_terms(embedded, "category"),
        tags=_terms(embedded, "post_tag"),
        summary="" if protected else _rendered(raw.get("excerpt")),
        content="" if protected else _rendered(content),
        image=_text(media.get("source_url")),
        image_alt=_text(media.get("alt_text")),
        published_item=status == "publish" and not protected,
    )
