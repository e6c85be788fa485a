"""Several sources, one list of posts: load each, apply its options, merge, de-duplicate.

The Markdown folder is read by the caller's loader (with its cache and worker
processes); feeds by :mod:`.fetch` and :mod:`.feeds`. A source's ``categories``
are added to each of its posts here; its ``section`` is applied by
:func:`digest.compose.group` (it needs the configured sections).

The same post often arrives twice — a blog's Markdown folder and its own feed,
an RSS and an Atom feed of one site — so posts are de-duplicated by canonical
URL (scheme, host case, default port, trailing slash, fragment and
``utm_*`` parameters do not count) and by feed item id; the first source
listed wins. Within one Markdown folder, two posts with one URL are left to
the selection, which warns about them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..config import Config, SourceSpec
from ..models import LoadResult, Post, category_key
from .fetch import load_file, load_url, window_start

log = logging.getLogger("digest")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The form two URLs of one page share (for de-duplication only, never for links)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url.strip()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_")
        ]
    )
    return f"//{netloc}{path}" + (f"?{query}" if query else "")


def _global_id(post: Post) -> str | None:
    """A feed item id that means the same thing in any feed (a URI), else None."""
    if post.feed and ":" in post.source.split("/", 1)[0]:
        return post.source
    return None


def with_categories(posts: tuple[Post, ...], extra: tuple[str, ...]) -> tuple[Post, ...]:
    """``posts`` with ``extra`` categories added (each once, matched as categories match)."""
    if not extra:
        return posts
    out = []
    for post in posts:
        keys = {category_key(c) for c in post.categories}
        added = tuple(c for c in extra if category_key(c) not in keys)
        out.append(replace(post, categories=(*post.categories, *added)) if added else post)
    return tuple(out)


def load_source(
    spec: SourceSpec, config: Config, *, since: date | None, markdown: Callable[[], LoadResult]
) -> LoadResult:
    """One source's posts, problems and drafts, with its categories added."""
    if not spec.feed:
        loaded = markdown()
    else:
        feed = (
            load_url(spec, config, since=window_start(since, config))
            if spec.is_url
            else load_file(spec, config)
        )
        log.info(
            "%s: %s feed %r, %d posts",
            spec.label,
            feed.kind,
            (spec.name or feed.title)[:80],
            len(feed.posts),
        )
        loaded = LoadResult(posts=feed.posts, problems=feed.problems, drafts=feed.drafts)
    return replace(loaded, posts=with_categories(loaded.posts, spec.categories))


def merge(parts: list[LoadResult]) -> LoadResult:
    """The sources' posts as one load, de-duplicated, newest first (one source: as it is)."""
    if len(parts) == 1:
        return _within_feeds(parts[0])
    urls: dict[str, Post] = {}
    ids: dict[str, Post] = {}
    posts: list[Post] = []
    for part in map(_within_feeds, parts):
        added: dict[str, Post] = {}
        for post in part.posts:
            url, item = canonical_url(post.url), _global_id(post)
            kept = urls.get(url) or (ids.get(item) if item else None)
            if kept is not None:
                log.info(
                    "%s: the same post as %s (%s): listed once", _name(post), _name(kept), post.url
                )
                continue
            added.setdefault(url, post)
            if item:
                ids[item] = post
            posts.append(post)
        urls.update(added)  # two posts of one source with one URL: the selection warns
    posts.sort(key=lambda p: (-p.date.timestamp(), p.feed, p.source))
    return LoadResult(
        posts=tuple(posts),
        problems=tuple(p for part in parts for p in part.problems),
        drafts=tuple(d for part in parts for d in part.drafts),
    )


def _within_feeds(loaded: LoadResult) -> LoadResult:
    """One feed's items once each by id (a feed that lists an item twice)."""
    seen: set[tuple[str, str]] = set()
    posts = []
    for post in loaded.posts:
        key = (post.feed, post.source)
        if post.feed and key in seen:
            continue
        seen.add(key)
        posts.append(post)
    return loaded if len(posts) == len(loaded.posts) else replace(loaded, posts=tuple(posts))


def _name(post: Post) -> str:
    return f"{post.feed} {post.source}" if post.feed else post.source
