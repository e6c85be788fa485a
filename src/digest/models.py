"""The plain records passed from one stage to the next.

They are frozen so that no stage can change what an earlier one decided, and
they hold tuples rather than lists for the same reason. This module imports
nothing from the package: every other module may import it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

# The footer's unsubscribe link when digest.toml names none: a reserved, never-resolving
# address (RFC 2606 ``.invalid``) that service exporters replace with their own
# unsubscribe tag (``*|UNSUB|*``, ``%unsubscribe_url%``, …). Exports without such a
# tag (.eml, .mbox, ``digest send``) refuse a digest that still carries it.
UNSUBSCRIBE_STANDIN = "https://unsubscribe.invalid/set-email-unsubscribe_url-in-digest.toml"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something wrong with one input file or key; a warning unless the run is strict."""

    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        place = f"{self.where}:{self.line}" if self.line else self.where
        return f"{place}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """One post as loaded: metadata normalised, body kept raw until it is selected.

    ``body`` is the Markdown source after the frontmatter. Turning it into an
    excerpt costs far more than loading, so that happens in ``compose`` and only
    for the posts that made it into the digest.
    """

    source: str  # path relative to the posts folder, "/"-separated; a feed item's id
    title: str
    date: datetime  # aware, in the site time zone
    url: str
    author: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    excerpt: str | None = None  # from frontmatter, not yet cleaned
    image: str | None = None
    image_alt: str = ""
    featured: bool = False
    body: str = field(default="", repr=False)
    # The feed as given (URL or path) for a feed item, "" for a Markdown post; a feed
    # item's ``excerpt`` and ``body`` are HTML (see digest.sources.feeds).
    feed: str = ""

    @property
    def day(self) -> dt.date:
        return self.date.date()


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What reading a posts folder gave: the posts, the drafts left out and the problems."""

    posts: tuple[Post, ...]
    problems: tuple[Problem, ...] = ()
    drafts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DateWindow:
    """Inclusive range of local dates in the site time zone."""

    since: date
    until: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The posts chosen for one digest, in digest order, and why others were left out."""

    window: DateWindow
    posts: tuple[Post, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A post as it appears in the email: the excerpt is final plain text.

    ``link`` is the post's URL as the email links it (with any tracking
    parameters); ``image`` an absolute https thumbnail, ``image_alt`` its
    alternative text ("" when it only decorates the title beside it).
    """

    post: Post
    excerpt: str
    byline: str
    link: str = ""
    image: str | None = None
    image_alt: str = ""

    @property
    def href(self) -> str:
        return self.link or self.post.url


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One titled group of posts.

    ``more`` holds the posts beyond the section's configured ``limit``: they
    are still sent, as a title-and-link list ("More in Releases") under the
    full entries, so that a limit shortens the email without losing a post.
    """

    title: str
    entries: tuple[Entry, ...]
    more: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Brand:
    """The ``[theme]`` a digest is drawn with: logo, colours (empty: the built-in ones), font."""

    logo: str = ""  # an https URL
    logo_width: int = 0
    logo_alt: str = ""
    accent: str = ""
    link: str = ""
    dark_accent: str = ""
    dark_link: str = ""
    heading_font: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """Everything the templates need, decided: sections, subject, preheader."""

    site_name: str
    site_url: str
    language: str
    window: DateWindow
    issue_date: date
    subject: str
    preheader: str
    intro: str
    sections: tuple[Section, ...]
    unsubscribe_url: str
    unsubscribe_mailto: str
    view_online_url: str
    sender: str
    # Posts collapsed to title-and-link to keep the email under its size budget.
    more: tuple[Entry, ...] = ()
    more_title: str = "More this week"
    edition: str = "digest"
    window_days: int = 7
    period: str = "this week"  # the window in words, for subjects and copy
    edition_title: str = ""
    # The masthead's issue line: this edition's issue number (None: not counted) and window.
    issue_number: int | None = None
    window_text: str = ""
    contents: bool = False  # list the titles at the top ("In this issue")
    thumbnails: str = "banner"  # "banner", "side" or "none"
    brand: Brand = field(default_factory=Brand)
    # The footer: the sender's postal address, a preferences link, why the reader gets it
    # (empty: the templates' own sentence).
    postal_address: str = ""
    preferences_url: str = ""
    reason: str = ""

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every post in the email: each section's full entries and its links, then the
        posts collapsed to fit the size budget."""
        return (
            tuple(entry for section in self.sections for entry in (*section.entries, *section.more))
            + self.more
        )

    @property
    def full_entries(self) -> tuple[Entry, ...]:
        """The posts shown with their excerpt (the rest are listed as title and link)."""
        return tuple(entry for section in self.sections for entry in section.entries)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """The finished email parts, exactly as they will be written or sent."""

    html: str
    text: str
    mjml: str
    subject: str
    preheader: str

    @property
    def html_bytes(self) -> int:
        """Size of the HTML part in bytes, as Gmail counts it for clipping."""
        return len(self.html.encode("utf-8"))


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What ``pipeline.build`` produced and wrote."""

    digest: Digest
    rendered: Rendered
    files: tuple[Path, ...]
    warnings: tuple[Problem, ...]
    # Why nothing was selected and what would select something (empty digests only).
    hint: str = ""


def source_key(source: str, feed: str = "") -> str:
    """A post's identity across sources (ledger, rebuilds): its path in the posts folder,
    or its feed and item id (two feeds may use the same ids)."""
    return f"{feed}\x1f{source}" if feed else source


def category_key(name: str) -> str:
    """The form used to match categories: ``Book-Review``, ``book review`` → ``book review``."""
    return " ".join(name.casefold().replace("-", " ").replace("_", " ").split())
