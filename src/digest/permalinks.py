"""Where a post is published without a generator profile: slugs, permalink patterns, URLs.

The generator profiles in :mod:`digest.sites` decide for Hugo, Jekyll, Zola,
Eleventy, Astro and MkDocs sites; this is the ``none`` profile's rule and the
token expansion it shares.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, tzinfo
from typing import Any

from .config import DEFAULT_PERMALINK, Config
from .dates import shown
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
    """The post's date and slug as digest reads them without a generator profile."""
    from .sites.base import default_date_and_slug

    return default_date_and_slug(meta, rel, tz)


def legacy_url(
    meta: dict[str, Any],
    base_url: str,
    permalink: str,
    when: datetime,
    slug: str,
    cats: tuple[str, ...],
) -> str:
    """The URL with no generator profile (``none``): a ``url``/``permalink``/``path``
    field, else ``[site] permalink`` (default ``:year/:month/:day/:slug/``)."""
    for key in ("url", "permalink", "path"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            link = value.strip()
            if not _SCHEME.match(link):  # a pattern or a path, not an address
                link = expand_permalink(link, when=when, slug=slug, categories=cats)
            if key == "path" and not link.endswith("/") and not link.endswith(_PAGE_SUFFIXES):
                link += "/"  # Zola serves a path as a folder
            url = absolute_url(link, base_url)
            if url is None:
                raise Skip(f"{key} {shown(value)} is not an http(s) address and no site url is set")
            return url
    if not base_url:
        raise Skip("no URL: set [site] url in digest.toml (or --base-url), or a 'url' field")
    pattern = permalink or DEFAULT_PERMALINK
    url = absolute_url(expand_permalink(pattern, when=when, slug=slug, categories=cats), base_url)
    assert url is not None  # base_url is validated as http(s)
    return url


def post_url(
    meta: dict[str, Any], config: Config, when: datetime, slug: str, cats: tuple[str, ...]
) -> str:
    """The URL of a post as digest's own rules place it (the ``none`` generator)."""
    return legacy_url(meta, config.site.url, config.site.permalink, when, slug, cats)
