"""Where a post is published: slugs, permalink patterns, and the post's public URL."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, tzinfo
from typing import Any

from .config import Config
from .dates import date_from_name, date_from_path, shown, to_site_time
from .fields import text_field
from .front_matter import Skip
from .links import absolute_url

_SLASHES = re.compile(r"/{2,}")


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


_PAGE_SUFFIXES = (".html", ".htm", ".xml", ".txt")


_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)


_SLUG_SPACE = re.compile(r"[\s_-]+")


def slugify(text: str) -> str:
    return _SLUG_SPACE.sub("-", _SLUG_STRIP.sub("", text.casefold())).strip("-")


_TOKEN = re.compile(r":([a-z_]+)")


@functools.lru_cache(maxsize=64)
def _compile_permalink(pattern: str) -> tuple[str, ...]:
    """Split a pattern into literal text (even places) and token names (odd places)."""
    return tuple(_TOKEN.split(pattern))


def expand_permalink(
    pattern: str, *, when: datetime, slug: str, categories: tuple[str, ...]
) -> str:
    """Jekyll/Hugo permalink tokens (``:year/:month/:day/:slug/``) for one post."""
    parts = _compile_permalink(pattern)
    out = [parts[0]]
    for index in range(1, len(parts), 2):
        name = parts[index]
        if name in ("year", "month", "day"):
            value = f"{getattr(when, name):0{4 if name == 'year' else 2}d}"
        elif name in ("slug", "title"):
            value = slug
        elif name == "i_month":
            value = str(when.month)
        elif name == "i_day":
            value = str(when.day)
        elif name == "short_year":
            value = f"{when.year % 100:02d}"
        elif name in ("hour", "minute", "second"):
            value = f"{getattr(when, name):02d}"
        elif name == "categories":
            value = "/".join(slugify(c) for c in categories)
        else:
            value = ":" + name  # not a token we know: leave it as written
        out.append(value)
        out.append(parts[index + 1])
    expanded = "".join(out)
    return _SLASHES.sub("/", expanded) if "//" in expanded else expanded


def date_and_slug(meta: dict[str, Any], rel: str, tz: tzinfo) -> tuple[datetime, str]:
    parent, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0]
    if stem == "index" and parent:
        stem = parent.rsplit("/", 1)[-1]
    named = date_from_name(stem)
    slug = named[1] if named and named[1] else stem
    if meta.get("slug"):
        slug = slugify(text_field(meta["slug"], "slug")) or slug
    value = meta.get("date")
    if value is not None and value != "":
        try:
            return to_site_time(value, tz), slug
        except ValueError as exc:
            raise Skip(f"bad date: {exc}") from None
    if named:
        return to_site_time(named[0], tz), slug
    for key in ("path", "permalink", "url"):
        if isinstance(meta.get(key), str):
            found = date_from_path(meta[key])
            if found:
                return to_site_time(found, tz), slug
    # A compact YYYYMMDD prefix (20260319_notes.md) as some MkDocs blogs name files.
    compact = re.match(r"^(\d{4})(\d{2})(\d{2})[-_]", stem)
    if compact:
        try:
            return to_site_time(date(*map(int, compact.groups())), tz), slug
        except ValueError:
            pass
    raise Skip("no date: add a 'date' field or name the file YYYY-MM-DD-slug.md")


def post_url(
    meta: dict[str, Any], config: Config, when: datetime, slug: str, cats: tuple[str, ...]
) -> str:
    for key in ("url", "permalink", "path"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            link = value.strip()
            if not _SCHEME.match(link):  # a pattern or a path, not an address
                link = expand_permalink(link, when=when, slug=slug, categories=cats)
            if key == "path" and not link.endswith("/") and not link.endswith(_PAGE_SUFFIXES):
                link += "/"  # Zola serves a path as a folder
            url = absolute_url(link, config.site.url)
            if url is None:
                raise Skip(f"{key} {shown(value)} is not an http(s) address and no site url is set")
            return url
    if not config.site.url:
        raise Skip("no URL: set [site] url in digest.toml (or --base-url), or a 'url' field")
    link = expand_permalink(config.site.permalink, when=when, slug=slug, categories=cats)
    url = absolute_url(link, config.site.url)
    assert url is not None  # base_url is validated as http(s)
    return url
