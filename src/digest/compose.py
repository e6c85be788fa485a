"""Turning a selection into a digest: sections, excerpts, bylines, subject, preheader.

Pure: the result depends only on the selection and the configuration. This is
also where bodies are turned into excerpts, so only selected posts pay for it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .config import Config, SectionSpec
from .dates import long_date
from .errors import ConfigError
from .excerpts import first_image, make_excerpt, trim_words
from .links import absolute_url, add_utm
from .manifest import issue_id
from .models import (
    UNSUBSCRIBE_STANDIN,
    Brand,
    DateWindow,
    Digest,
    Entry,
    Post,
    Section,
    Selection,
    category_key,
)

PREHEADER_CHARS = 140
CONTENTS_AUTO = 5  # "In this issue" is shown, with contents = "auto", above this many posts
NBSP = "\u00a0"


def unbroken(text: str) -> str:
    """``text`` with no-break spaces: a date that must not wrap as "7 / November 2026"."""
    return NBSP.join(text.split())


def byline(post: Post, section: str = "") -> str:
    """Author · date · category; the category is left out under a section of that name.

    The date's spaces are no-break spaces, so phones never split it across lines.
    """
    parts = [post.author, unbroken(long_date(post.day))]
    if post.categories and category_key(post.categories[0]) != category_key(section):
        parts.append(post.categories[0])
    return " · ".join(p for p in parts if p)


def keep_marker(excerpt: str, marker: str) -> str:
    """``excerpt`` with a no-break space before its closing ``marker`` ("[…]").

    Otherwise a phone may put the marker alone on the last line.
    """
    shown = marker.strip()
    if not shown or not excerpt.endswith(shown):
        return excerpt
    head = excerpt[: -len(shown)]
    return head.rstrip() + NBSP + shown if head.strip() else excerpt


def window_words(window: DateWindow, language: str) -> str:
    """The window for the masthead: "19–26 November 2026", "28 October – 3 November 2026".

    English is written day first like the bylines; other languages take their
    locale's own interval pattern from Babel's CLDR data. Spaces inside each
    date are no-break spaces.
    """
    since, until = window.since, window.until
    if not language.lower().startswith("en"):
        from babel import Locale, UnknownLocaleError
        from babel.dates import format_interval

        try:
            locale = Locale.parse(language, sep="-")
        except (ValueError, UnknownLocaleError):
            locale = Locale.parse("en")
        else:
            text = format_interval(since, until, "yMMMd", locale=locale)
            return unbroken(text.replace("\u2009", " ")).replace(f"{NBSP}–{NBSP}", " – ")
    if since == until:
        return unbroken(long_date(until))
    if (since.year, since.month) == (until.year, until.month):
        return unbroken(f"{since.day}–{until.day} {until:%B %Y}")
    if since.year == until.year:
        return f"{unbroken(f'{since.day} {since:%B}')} – {unbroken(long_date(until))}"
    return f"{unbroken(long_date(since))} – {unbroken(long_date(until))}"


def _section_for(post: Post, specs: tuple[SectionSpec, ...]) -> int | None:
    keys = {category_key(c) for c in post.categories}
    for index, spec in enumerate(specs):
        if keys & {category_key(c) for c in spec.categories}:
            return index
    return None


def group(entries: list[Entry], config: Config) -> tuple[Section, ...]:
    """Sections in configured order, then "Other"; without configuration, one per category.

    Entries keep digest order within a section; empty sections are dropped.
    Bylines are written here, where the section is known, so they never repeat its name.
    """
    return tuple(
        replace(
            section,
            entries=tuple(_with_byline(e, section.title) for e in section.entries),
            more=tuple(_with_byline(e, section.title) for e in section.more),
        )
        for section in _group(entries, config)
    )


def _with_byline(entry: Entry, section: str) -> Entry:
    return replace(entry, byline=byline(entry.post, section))


def _group(entries: list[Entry], config: Config) -> tuple[Section, ...]:
    if config.sections:
        buckets: list[list[Entry]] = [[] for _ in config.sections]
        other: list[Entry] = []
        for entry in entries:
            index = _section_for(entry.post, config.sections)
            (other if index is None else buckets[index]).append(entry)
        # A post beyond a section's limit is still sent, as a title and link under it.
        sections = [
            Section(
                title=spec.title,
                entries=tuple(bucket[: spec.limit]),
                more=tuple(bucket[spec.limit :]) if spec.limit is not None else (),
            )
            for spec, bucket in zip(config.sections, buckets, strict=True)
            if bucket
        ]
    else:
        by_key: dict[str, tuple[str, list[Entry]]] = {}
        other = []
        for entry in entries:
            if not entry.post.categories:
                other.append(entry)
                continue
            first = entry.post.categories[0]
            by_key.setdefault(category_key(first), (first, []))[1].append(entry)
        sections = [Section(title=t, entries=tuple(items)) for t, items in by_key.values()]
    if other:
        sections.append(Section(title=config.digest.other_section, entries=tuple(other)))
    return tuple(sections)


_ENV = SandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False
)
_ENV.filters["longdate"] = long_date


def render_copy(template: str, key: str, context: dict[str, object]) -> str:
    """Text from a configured Jinja template (sandboxed: config may come from anyone)."""
    try:
        return _ENV.from_string(template).render(context)
    except TemplateError as exc:
        raise ConfigError([f"{key}: cannot render {template!r}: {exc}"]) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # the sandbox refuses huge ranges (OverflowError), includes have no loader here
        shown = template if len(template) <= 60 else template[:57] + "..."
        raise ConfigError(
            [f"{key}: cannot render {shown!r}: {type(exc).__name__}: {exc}"]
        ) from None


def render_line(template: str, key: str, context: dict[str, object]) -> str:
    """A one-line header (subject, preheader) from a configured Jinja template."""
    return " ".join(render_copy(template, key, context).split())


# What a subject must not end with: a separator left over when a template's last
# value was empty ("Weekly: " with no posts, "News · " with no first title).
_DANGLING = re.compile(r"[\s:;,|/·•\-\u2013\u2014]+$")


def tidy_subject(subject: str) -> str:
    """``subject`` without a dangling separator at its end."""
    return _DANGLING.sub("", subject)


_NUMBERS = {2: "two", 3: "three", 4: "four"}


def period_phrase(window: DateWindow) -> str:
    """The window in words, for copy: "this week", "in the last 10 days", "on 26 November 2026".

    The default subject and the sample copy use it so that they never say
    "this week" of a window that is not seven days long.
    """
    days = (window.until - window.since).days + 1
    if days == 1:
        return f"on {long_date(window.until)}"
    if days == 7:
        return "this week"
    if days % 7 == 0 and days // 7 in _NUMBERS:
        return f"in the last {_NUMBERS[days // 7]} weeks"
    return f"in the last {days} days"


def more_title(config: Config, period: str) -> str:
    """The heading of the collapsed list: configured, or "More this week" for the window."""
    if config.digest.more_title:
        return config.digest.more_title
    return "More this week" if period == "this week" else f"More posts {period}"


def derive_preheader(entries: tuple[Entry, ...], excerpt_more: str = " […]") -> str:
    """Inbox preview text from the first excerpts, cut at a word near 140 characters.

    The "read more" marker (``excerpt_more``) ends an excerpt, not a preview: it is
    taken off each excerpt before they are joined.
    """
    marker = excerpt_more.strip()
    text = (
        " ".join(
            e.excerpt.removesuffix(marker).rstrip() if marker else e.excerpt for e in entries[:2]
        )
        if entries
        else ""
    )
    if len(text) <= PREHEADER_CHARS:
        return text
    cut = text[:PREHEADER_CHARS].rsplit(" ", 1)[0].rstrip(",;:.-\u2013\u2014")
    return cut + "…"


def thumbnail(post: Post, base_url: str) -> tuple[str | None, str]:
    """An https thumbnail for ``post``: its frontmatter image, else the first in its body.

    A relative body image is resolved against the post's own URL (page
    bundles keep images beside the post), a root-relative one against the
    site's base URL like every other link. Plain http images are not used:
    mail clients block or warn about them.
    """
    src, alt = post.image, post.image_alt
    if not src and (found := first_image(post.body)):
        raw, alt = found
        src = absolute_url(raw, base_url if raw.startswith("/") and base_url else post.url)
    if not src or not src.lower().startswith("https://"):
        return None, ""
    return src, alt


def _context(
    selection: Selection, config: Config, shown: tuple[Entry, ...], sections: tuple[Section, ...]
) -> dict[str, object]:
    window = selection.window
    return {
        "window_days": (window.until - window.since).days + 1,
        "period": period_phrase(window),
        "site_name": config.site.name,
        "count": len(shown),
        "since": selection.window.since,
        "until": selection.window.until,
        "issue_date": selection.window.until,
        "titles": [e.post.title for e in shown],
        "first_title": shown[0].post.title if shown else "",
        "sections": [s.title for s in sections],
        "edition": config.run.edition,
        "edition_title": config.run.edition_title or config.site.name,
        "issue_id": issue_id(config.run.edition, selection.window.until),
    }


def compose(selection: Selection, config: Config) -> Digest:
    base_context = _context(selection, config, (), ())
    utm = {
        "utm_source": config.links.utm_source,
        "utm_medium": config.links.utm_medium,
        "utm_campaign": render_line(config.links.utm_campaign, "[links] utm_campaign", base_context)
        if config.links.utm_campaign
        else "",
    }
    entries = []
    for post in selection.posts:
        image, image_alt = (
            thumbnail(post, config.site.url) if config.digest.thumbnails != "none" else (None, "")
        )
        excerpt = make_excerpt(post, config.digest.excerpt_words, config.digest.excerpt_more)
        entries.append(
            Entry(
                post=post,
                excerpt=keep_marker(excerpt, config.digest.excerpt_more),
                byline=byline(post),
                link=add_utm(post.url, utm, config.links.skip_domains),
                image=image,
                image_alt=image_alt,
            )
        )
    sections = group(entries, config)
    # Every post the email carries counts in the subject, the listed ones too.
    shown = tuple(e for s in sections for e in (*s.entries, *s.more))
    context = _context(selection, config, shown, sections)
    subject = tidy_subject(render_line(config.digest.subject, "[digest] subject", context))
    preheader = (
        render_line(config.digest.preheader, "[digest] preheader", context)
        if config.digest.preheader
        else derive_preheader(
            tuple(e for s in sections for e in s.entries), config.digest.excerpt_more
        )
    )
    intro = (
        render_copy(config.digest.intro, "[digest] intro", context).strip()
        if config.digest.intro
        else ""
    )
    return Digest(
        site_name=config.site.name,
        site_url=config.site.url,
        language=config.site.language,
        window=selection.window,
        issue_date=selection.window.until,
        subject=subject,
        preheader=trim_words(preheader, 40, "…") if preheader else "",
        intro=intro,
        sections=sections,
        unsubscribe_url=config.email.unsubscribe_url
        or ("" if config.email.unsubscribe_mailto else UNSUBSCRIBE_STANDIN),
        unsubscribe_mailto=config.email.unsubscribe_mailto,
        view_online_url=render_line(
            config.email.view_online_url, "[email] view_online_url", context
        ),
        sender=config.email.sender,
        more_title=more_title(config, str(context["period"])),
        edition=config.run.edition,
        edition_title=config.run.edition_title,
        window_days=int(str(context["window_days"])),
        period=str(context["period"]),
        issue_number=config.run.issue_number,
        window_text=window_words(selection.window, config.site.language),
        contents=show_contents(config.digest.contents, len(shown)),
        thumbnails=config.digest.thumbnails,
        brand=brand(config),
        postal_address=config.email.postal_address.strip(),
        preferences_url=config.email.preferences_url,
        reason=render_copy(config.email.reason, "[email] reason", context).strip()
        if config.email.reason
        else "",
    )


def show_contents(setting: str, count: int) -> bool:
    """Whether to list the titles at the top: as configured, or over CONTENTS_AUTO posts."""
    return count > CONTENTS_AUTO if setting == "auto" else setting == "true"


def brand(config: Config) -> Brand:
    """``[theme]`` as the templates use it: the logo's alt text defaults to the site's name."""
    theme = config.theme
    return Brand(
        logo=theme.logo,
        logo_width=theme.logo_width,
        logo_alt=theme.logo_alt or config.site.name,
        accent=theme.accent,
        link=theme.link,
        dark_accent=theme.dark_accent,
        dark_link=theme.dark_link,
        heading_font=theme.heading_font,
    )
