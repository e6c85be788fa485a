"""Choosing the posts for one digest: pure functions over loaded posts.

Nothing here reads files or the clock: the window's end day is passed in, so
the same inputs and ``--until`` always give the same selection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from .config import Config
from .dates import window_start
from .errors import UsageError
from .models import DateWindow, Post, Problem, Selection
from .posts import category_key


def resolve_window(config: Config, today: date) -> DateWindow:
    """The inclusive window: ``--until`` (default today) and ``--since`` or N days back."""
    until = config.until or today
    since = config.since or window_start(until, config.window_days)
    if since > until:
        raise UsageError(
            f"the window is empty: --since {since.isoformat()} is after --until {until.isoformat()}"
        )
    return DateWindow(since=since, until=until)


def digest_order(post: Post) -> tuple[bool, float, str]:
    """Featured posts first, then newest first; the source path breaks ties stably."""
    return (not post.featured, -post.date.timestamp(), post.source)


def _keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(category_key(n) for n in names)


def select(
    posts: Iterable[Post],
    config: Config,
    window: DateWindow,
    *,
    sent: frozenset[str] = frozenset(),
    sent_since: date | None = None,
    claimed: frozenset[str] = frozenset(),
) -> Selection:
    """Posts in ``window`` that pass the category filters, once each, in digest order.

    ``sent`` holds the URLs (and ``source:`` paths) already sent in this
    edition: with ``config.new_only`` they are left out, and the window
    reaches back ``lookback_days`` further — but never before the edition's
    first recorded issue (``sent_since``) — so that a late or backdated post
    still goes out once, and starting a ledger sends no backlog. ``claimed``
    holds URLs a higher-priority edition carries (exclusive editions).
    ``config.only_sources`` (a rebuild) takes exactly those posts, whatever
    their date.
    """
    if config.only_sources is not None:
        wanted = set(config.only_sources)
        exact = sorted((p for p in posts if p.source in wanted), key=digest_order)
        return Selection(window=window, posts=tuple(exact))
    include = _keys(config.categories)
    exclude = _keys(config.exclude_categories)
    earliest = window.since
    if config.new_only and sent_since is not None:
        earliest = min(
            window.since, max(window.since - timedelta(days=config.lookback_days), sent_since)
        )
    chosen: list[Post] = []
    for post in posts:
        if not earliest <= post.day <= window.until:
            continue
        if config.new_only and (post.url in sent or "source:" + post.source in sent):
            continue
        if post.url in claimed:
            continue
        keys = _keys(post.categories)
        if include and not keys & include:
            continue
        if keys & exclude:
            continue
        chosen.append(post)
    chosen.sort(key=digest_order)

    unique: list[Post] = []
    problems: list[Problem] = []
    first_with_url: dict[str, Post] = {}
    for post in chosen:
        kept = first_with_url.setdefault(post.url, post)
        if kept is post:
            unique.append(post)
        else:
            problems.append(
                Problem(
                    where=post.source,
                    message=f"same URL as {kept.source} ({post.url}); listed once",
                )
            )
    if config.limit is not None:
        unique = unique[: config.limit]
    return Selection(window=window, posts=tuple(unique), problems=tuple(problems))
