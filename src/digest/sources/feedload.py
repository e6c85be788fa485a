"""The record one feed's loading gives (:class:`FeedLoad`), apart from the parsers.

Kept in a module of its own, importing nothing heavy, so that a feed parsed on an
earlier run comes back from the cache (``digest.cache.load_feed``) without
loading feedparser, nh3 or Markdown: a warm build of an unchanged feed parses
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Post, Problem


@dataclass(frozen=True)
class FeedLoad:
    """What reading one feed gave: its posts (newest first), drafts and problems."""

    kind: str  # one of KINDS
    title: str  # the feed's own title ("" if none)
    posts: tuple[Post, ...]
    problems: tuple[Problem, ...]
    drafts: tuple[str, ...] = ()
    # The oldest item date seen (drafts included), so that a caller paging through a
    # WordPress REST list knows when the window is covered.
    oldest: datetime | None = None
