"""Turning a selection into a digest: sections, excerpts, bylines, subject, preheader.

Pure: the result depends only on the selection and the configuration. This is
also where bodies are turned into excerpts, so only selected posts pay for it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from . import i18n
from .config import DEFAULT_OTHER_SECTION, DEFAULT_SUBJECT, Config, SectionSpec
from .errors import ConfigError
from .excerpts import first_image, make_excerpt, trim_words
from .i18n import Language
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
from .sitedata import SiteData

PREHEADER_CHARS = 140
CONTENTS_AUTO = 5  # "In this issue" is shown, with contents = "auto", above this many posts
NBSP = "\u00a0"


def unbroken(text: str) -> str:
    """``text`` with no-break spaces: a date that must not wrap as "7 / November 2026"."""
    return NBSP.join(text.split())


def byline(
    post: Post, lang: Language | None = None, section: str = "", labels: SiteData | None = None
) -> str:
    """Author · date · category, the category by the site's display name for it.

    The category is left out under a section of that name, and the date's spaces
    are no-break spaces, so phones never split it across lines.
    """
    lang = lang or i18n.english()
    parts = [post.author, unbroken(lang.format_date(post.day))]
    if post.categories:
        first = post.categories[0]
        label = labels.label(first) if labels is not None else first
        if not same_name(first, section) and not same_name(label, section):
            parts.append(label)
    return lang.join(parts, " · ")


def same_name(category: str, section: str) -> bool:
    """Whether a category and a section title name the same thing ("Book Review" and
    "Book reviews", "Interview" and "Interviews"): the byline need not repeat it."""
    a, b = category_key(category), category_key(section)
    return a == b or a.removesuffix("s") == b.removesuffix("s")


def keep_marker(excerpt: str, marker: str) -> str:
    """``excerpt`` with a no-break space before its closing ``marker`` ("[…]").

    Otherwise a phone may put the marker alone on the last line.
    """
    shown = marker.strip()
    if not shown or not excerpt.endswith(shown):
        return excerpt
    head = excerpt[: -len(shown)]
    return head.rstrip() + NBSP + shown if head.strip() else excerpt


def window_words(window: DateWindow, lang: Language | None = None) -> str:
    """The window for the masthead in ``lang``'s words: "19-26 November 2026" (en dash).

    Each date keeps together (no-break spaces); a line may break only around the
    dash between two whole dates ("28 October - 3 November 2026").
    """
    text = (lang or i18n.english()).format_window(window.since, window.until)
    found = re.fullmatch(r"(.+?)\s*([\u2013\u2014\uff5e])\s*(.+)", text)
    if not found:
        return unbroken(text)
    start, dash, end = found.groups()
    # "19-26 November 2026", "November 19-26, 2026": a bare day joins the dash;
    # two whole dates get spaces around it ("28 October - 3 November 2026")
    letters = re.compile(r"[^\W\d_]")
    joint = dash if not (letters.search(start) and letters.search(end)) else f" {dash} "
    return unbroken(start) + joint + unbroken(end)


def _section_for(post: Post, specs: tuple[SectionSpec, ...]) -> int | None:
    keys = {category_key(c) for c in post.categories}
    for index, spec in enumerate(specs):
        if keys & {category_key(c) for c in spec.categories}:
            return index
    return None


def group(
    entries: list[Entry], config: Config, lang: Language | None = None
) -> tuple[Section, ...]:
    """Sections in configured order, then "Other"; without configuration, one per category
    (titled by the site's display name for it, :meth:`SiteData.label`).

    A source's ``section`` takes all of its posts, whatever their categories: to
    the configured section of that title, or to one of its own after them.
    Entries keep digest order within a section; empty sections are dropped. Posts
    in no section go under ``[digest] other_section`` ("Other", translated) — or,
    when no post has a section, under no heading at all: a lone "Other" heading
    over every post says nothing.
    Bylines are written here, where the section is known, so they never repeat its name.
    """
    return tuple(
        replace(
            section,
            entries=tuple(
                _with_byline(e, section.title, lang, config.site_data) for e in section.entries
            ),
            more=tuple(
                _with_byline(e, section.title, lang, config.site_data) for e in section.more
            ),
        )
        for section in _group(entries, config, lang)
    )


def _with_byline(entry: Entry, section: str, lang: Language | None, labels: SiteData) -> Entry:
    return replace(entry, byline=byline(entry.post, lang, section, labels))


def _group(entries: list[Entry], config: Config, lang: Language | None) -> tuple[Section, ...]:
    placed = {s.label: s.section for s in config.all_sources if s.section}
    if config.sections:
        titles = [spec.title for spec in config.sections]
        specs = (
            *config.sections,
            *(
                SectionSpec(title=t, categories=())
                for t in dict.fromkeys(placed.values())
                if t not in titles
            ),
        )
        titles = [spec.title for spec in specs]
        buckets: list[list[Entry]] = [[] for _ in specs]
        other: list[Entry] = []
        for entry in entries:
            wanted = placed.get(entry.post.feed)
            index = titles.index(wanted) if wanted else _section_for(entry.post, specs)
            (other if index is None else buckets[index]).append(entry)
        # A post beyond a section's limit is still sent, as a title and link under it.
        sections = [
            Section(
                title=spec.title,
                entries=tuple(bucket[: spec.limit]),
                more=tuple(bucket[spec.limit :]) if spec.limit is not None else (),
            )
            for spec, bucket in zip(specs, buckets, strict=True)
            if bucket
        ]
    else:
        by_key: dict[str, tuple[str, list[Entry]]] = {}
        other = []
        for entry in entries:
            first = placed.get(entry.post.feed) or (entry.post.categories or ("",))[0]
            if not first:
                other.append(entry)
                continue
            by_key.setdefault(category_key(first), (first, []))[1].append(entry)
        sections = [
            Section(title=config.site_data.label(t), entries=tuple(items))
            for t, items in by_key.values()
        ]
    if other:
        # A lone "Other" heading over every post says nothing: no heading at all then.
        title = other_title(config, lang) if sections else ""
        sections.append(Section(title=title, entries=tuple(other)))
    return tuple(sections)


def other_title(config: Config, lang: Language | None = None) -> str:
    """The title of the section for unmatched posts: configured, or "Other" translated."""
    title = config.digest.other_section
    if title == DEFAULT_OTHER_SECTION:
        return (lang or i18n.english()).gettext("Other")
    return title


@functools.lru_cache(maxsize=16)
def _copy_env(lang: Language) -> SandboxedEnvironment:
    """The sandbox configured copy is rendered in, speaking ``lang``: its ``longdate``
    and ``daterange`` filters, and ``_``/``ngettext`` over its catalog."""
    env = SandboxedEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        longdate=lang.format_date, daterange=lang.format_window, number=lang.format_number
    )
    return env


def render_copy(
    template: str, key: str, context: dict[str, object], lang: Language | None = None
) -> str:
    """Text from a configured Jinja template (sandboxed: config may come from anyone)."""
    try:
        return _copy_env(lang or i18n.english()).from_string(template).render(context)
    except TemplateError as exc:
        raise ConfigError([f"{key}: cannot render {template!r}: {exc}"]) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # the sandbox refuses huge ranges (OverflowError), includes have no loader here
        shown = template if len(template) <= 60 else template[:57] + "..."
        raise ConfigError(
            [f"{key}: cannot render {shown!r}: {type(exc).__name__}: {exc}"]
        ) from None


def render_line(
    template: str, key: str, context: dict[str, object], lang: Language | None = None
) -> str:
    """A one-line header (subject, preheader) from a configured Jinja template."""
    return " ".join(render_copy(template, key, context, lang).split())


# What a subject must not end with: a separator left over when a template's last
# value was empty ("Weekly: " with no posts, "News · " with no first title).
_DANGLING = re.compile(r"[\s:;,|/·•\-\u2013\u2014]+$")


def tidy_subject(subject: str) -> str:
    """``subject`` without a dangling separator at its end."""
    return _DANGLING.sub("", subject)


def period_phrase(window: DateWindow, lang: Language | None = None) -> str:
    """The window in words, for copy: "this week", "in the last 10 days", "on 26 November 2026".

    The default subject and the sample copy use it so that they never say
    "this week" of a window that is not seven days long. In ``lang``'s words.
    """
    lang = lang or i18n.english()
    days = (window.until - window.since).days + 1
    if days == 1:
        # TRANSLATORS: a one-day window, as in "No new posts on 26 November 2026".
        return lang.gettext("on %(date)s", date=lang.format_date(window.until))
    if days == 7:
        return lang.gettext("this week")
    if days == 14:
        return lang.gettext("in the last two weeks")
    if days == 21:
        return lang.gettext("in the last three weeks")
    if days == 28:
        return lang.gettext("in the last four weeks")
    return lang.ngettext(
        "in the last %(num)s day", "in the last %(num)s days", days, num=lang.format_number(days)
    )


def more_title(config: Config, window: DateWindow, lang: Language | None = None) -> str:
    """The heading of the collapsed list: configured, or "More this week" for the window."""
    if config.digest.more_title:
        return config.digest.more_title
    lang = lang or i18n.english()
    if (window.until - window.since).days + 1 == 7:
        return lang.gettext("More this week")
    return lang.gettext("More posts %(period)s", period=period_phrase(window, lang))


def default_subject(context: dict[str, object], lang: Language) -> str:
    """The built-in subject, "Site: 3 new posts this week", in ``lang``'s words and plurals."""
    count = int(str(context["count"]))
    return lang.ngettext(
        "%(site)s: %(num)s new post %(period)s",
        "%(site)s: %(num)s new posts %(period)s",
        count,
        site=context["site_name"],
        num=lang.format_number(count),
        period=context["period"],
    )


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
    selection: Selection,
    config: Config,
    shown: tuple[Entry, ...],
    sections: tuple[Section, ...],
    lang: Language | None = None,
) -> dict[str, object]:
    window = selection.window
    return {
        "window_days": (window.until - window.since).days + 1,
        "period": period_phrase(window, lang),
        "site_name": config.site.name,
        "count": len(shown),
        "since": selection.window.since,
        "until": selection.window.until,
        "issue_date": selection.window.until,
        "titles": [e.post.title for e in shown],
        "first_title": shown[0].post.title if shown else "",
        "sections": [s.title for s in sections if s.title],  # an untitled one has no name
        "edition": config.run.edition,
        "edition_title": config.run.edition_title or config.site.name,
        "issue_id": issue_id(config.run.edition, selection.window.until),
    }


def compose(selection: Selection, config: Config) -> Digest:
    lang = i18n.language(config.site.language, config.paths.templates)
    base_context = _context(selection, config, (), (), lang)
    utm = {
        "utm_source": config.links.utm_source,
        "utm_medium": config.links.utm_medium,
        "utm_campaign": render_line(
            config.links.utm_campaign, "[links] utm_campaign", base_context, lang
        )
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
                byline=byline(post, lang, labels=config.site_data),
                link=add_utm(post.url, utm, config.links.skip_domains),
                image=image,
                image_alt=image_alt,
            )
        )
    sections = group(entries, config, lang)
    # Every post the email carries counts in the subject, the listed ones too.
    shown = tuple(e for s in sections for e in (*s.entries, *s.more))
    context = _context(selection, config, shown, sections, lang)
    subject = tidy_subject(
        default_subject(context, lang)
        if config.digest.subject == DEFAULT_SUBJECT
        else render_line(config.digest.subject, "[digest] subject", context, lang)
    )
    preheader = (
        render_line(config.digest.preheader, "[digest] preheader", context, lang)
        if config.digest.preheader
        else derive_preheader(
            tuple(e for s in sections for e in s.entries), config.digest.excerpt_more
        )
    )
    intro = (
        render_copy(config.digest.intro, "[digest] intro", context, lang).strip()
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
            config.email.view_online_url, "[email] view_online_url", context, lang
        ),
        sender=config.email.sender,
        more_title=more_title(config, selection.window, lang),
        edition=config.run.edition,
        edition_title=config.run.edition_title,
        window_days=int(str(context["window_days"])),
        period=str(context["period"]),
        issue_number=config.run.issue_number,
        window_text=window_words(selection.window, lang),
        contents=show_contents(config.digest.contents, len(shown)),
        thumbnails=config.digest.thumbnails,
        brand=brand(config),
        postal_address=config.email.postal_address.strip(),
        preferences_url=config.email.preferences_url,
        reason=render_copy(config.email.reason, "[email] reason", context, lang).strip()
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
