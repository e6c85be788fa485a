"""Choosing the posts for one digest: pure functions over loaded posts.

Nothing here reads files or the clock: the window's end day is passed in, so
the same inputs and ``--until`` always give the same selection.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from .config import Config, origin
from .dates import window_start
from .errors import UsageError
from .models import DateWindow, Post, Problem, Selection, category_key, source_key
from .wording import plural


def resolve_window(config: Config, today: date) -> DateWindow:
    """The inclusive window: ``--until`` (default today) and ``--since`` or N days back."""
    until = config.run.until or today
    since = config.run.since or window_start(until, config.selection.days)
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
    edition: with ``config.selection.new_only`` they are left out, and the window
    reaches back ``lookback_days`` further — but never before the edition's
    first recorded issue (``sent_since``) — so that a late or backdated post
    still goes out once, and starting a ledger sends no backlog. ``claimed``
    holds URLs a higher-priority edition carries (exclusive editions).
    ``config.run.only_sources`` (a rebuild) takes exactly those posts, whatever
    their date.
    """
    if config.run.only_sources is not None:
        wanted = set(config.run.only_sources)
        exact = sorted(
            (p for p in posts if source_key(p.source, p.feed) in wanted), key=digest_order
        )
        return Selection(window=window, posts=tuple(exact))
    include = _keys(config.selection.categories)
    exclude = _keys(config.selection.exclude_categories)
    earliest = window.since
    if config.selection.new_only and sent_since is not None:
        earliest = min(
            window.since,
            max(window.since - timedelta(days=config.selection.lookback_days), sent_since),
        )
    chosen: list[Post] = []
    for post in posts:
        if not earliest <= post.day <= window.until:
            continue
        if config.selection.new_only and (
            post.url in sent or "source:" + source_key(post.source, post.feed) in sent
        ):
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
    if config.selection.limit is not None:
        unique = unique[: config.selection.limit]
    return Selection(window=window, posts=tuple(unique), problems=tuple(problems))


def unknown_categories(posts: Sequence[Post], config: Config) -> tuple[Problem, ...]:
    """A warning for each wanted category that no post has, listing the ones that exist.

    A typo in ``-c`` would otherwise give an empty digest and no clue why. The
    known categories are listed closest first, so the intended one leads.
    """
    if not (config.selection.categories or config.selection.exclude_categories):
        return ()  # nothing asked for: no need to walk every post
    known: dict[str, str] = {}
    for post in posts:
        for name in post.categories:
            known.setdefault(category_key(name), name)
    problems = []
    for where, wanted in (
        (origin(config, "categories"), config.selection.categories),
        (origin(config, "exclude_categories"), config.selection.exclude_categories),
    ):
        for name in wanted:
            if category_key(name) in known:
                continue
            ranked = sorted(
                known.values(),
                key=lambda k: (
                    -difflib.SequenceMatcher(None, category_key(name), category_key(k)).ratio(),
                    k.casefold(),
                ),
            )
            listing = ", ".join(ranked[:12]) + (", …" if len(ranked) > 12 else "")
            problems.append(
                Problem(
                    where=where,
                    message=f"no post has the category {name!r}"
                    + (
                        f"; categories (closest first): {listing}"
                        if ranked
                        else "; no post has any category"
                    ),
                )
            )
    return tuple(problems)


def nothing_selected_hint(
    posts: Sequence[Post], window: DateWindow, config: Config, *, drafts: int = 0
) -> str:
    """Why a window selected nothing, and the option that would include the newest post.

    The newest post on or before ``--until`` is named with a ``--since`` that
    takes it in (a window of the same length ending on it); posts only after
    the window (scheduled) suggest ``--until``; posts inside the window that
    were filtered out point at the filters. ``drafts``: how many were left out as
    unpublished (drafts, scheduled, private), which is then the likely reason.
    """
    if not posts:
        if drafts:
            return (
                f"no published posts were loaded: {plural(drafts, 'post')} left out "
                "as drafts (or scheduled, private or password-protected)"
            )
        return "no posts were loaded at all"
    days = (window.until - window.since).days + 1
    before = [p.day for p in posts if p.day <= window.until]
    if not before:
        first = min(p.day for p in posts)
        return (
            f"every post is dated after the window; the first is dated {first} "
            f"(try --until {first})"
        )
    newest = max(before)
    if newest >= window.since:
        inside = sum(1 for day in before if day >= window.since)
        filters = ["--new-only (already sent)"] if config.selection.new_only else []
        if config.selection.categories or config.selection.exclude_categories:
            filters.append("the category filters")
        by = " and ".join(filters) or "the selection"
        return f"{plural(inside, 'post')} dated in the window, left out by {by}"
    since = newest - timedelta(days=days - 1)
    suggestion = f"--since {since}" + (f" --until {newest}" if config.run.until else "")
    return f"the newest is dated {newest} (try {suggestion})"
