"""Turning a selection into a digest: sections, excerpts, bylines, subject, preheader.

Pure: the result depends only on the selection and the configuration. This is
also where bodies are turned into excerpts, so only selected posts pay for it.
"""

from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .config import Config, SectionSpec
from .dates import long_date
from .errors import ConfigError
from .excerpts import first_image, make_excerpt, trim_words
from .links import absolute_url, add_utm
from .models import Digest, Entry, Post, Section, Selection
from .posts import category_key

PREHEADER_CHARS = 140


def byline(post: Post) -> str:
    parts = [post.author, long_date(post.day)]
    if post.categories:
        parts.append(post.categories[0])
    return " · ".join(p for p in parts if p)


def _section_for(post: Post, specs: tuple[SectionSpec, ...]) -> int | None:
    keys = {category_key(c) for c in post.categories}
    for index, spec in enumerate(specs):
        if keys & {category_key(c) for c in spec.categories}:
            return index
    return None


def group(entries: list[Entry], config: Config) -> tuple[Section, ...]:
    """Sections in configured order, then "Other"; without configuration, one per category.

    Entries keep digest order within a section; empty sections are dropped.
    """
    if config.sections:
        buckets: list[list[Entry]] = [[] for _ in config.sections]
        other: list[Entry] = []
        for entry in entries:
            index = _section_for(entry.post, config.sections)
            (other if index is None else buckets[index]).append(entry)
        sections = [
            Section(title=spec.title, entries=tuple(bucket[: spec.limit]))
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
        sections.append(Section(title=config.other_section, entries=tuple(other)))
    return tuple(sections)


_ENV = SandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False
)
_ENV.filters["longdate"] = long_date


def render_line(template: str, key: str, context: dict[str, object]) -> str:
    """A one-line header (subject, preheader) from a configured Jinja template."""
    try:
        text = _ENV.from_string(template).render(context)
    except TemplateError as exc:
        raise ConfigError([f"{key}: cannot render {template!r}: {exc}"]) from None
    return " ".join(text.split())


def derive_preheader(entries: tuple[Entry, ...]) -> str:
    """Inbox preview text from the first excerpts, cut at a word near 140 characters."""
    text = " ".join(e.excerpt.removesuffix(" […]") for e in entries[:2]) if entries else ""
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
    return {
        "site_name": config.site_name,
        "count": len(shown),
        "since": selection.window.since,
        "until": selection.window.until,
        "issue_date": selection.window.until,
        "titles": [e.post.title for e in shown],
        "first_title": shown[0].post.title if shown else "",
        "sections": [s.title for s in sections],
        "edition": config.edition,
        "edition_title": config.edition_title or config.site_name,
        "issue_id": f"{config.edition}-{selection.window.until.isoformat()}",
    }


def compose(selection: Selection, config: Config) -> Digest:
    base_context = _context(selection, config, (), ())
    utm = {
        "utm_source": config.utm_source,
        "utm_medium": config.utm_medium,
        "utm_campaign": render_line(config.utm_campaign, "[links] utm_campaign", base_context)
        if config.utm_campaign
        else "",
    }
    entries = []
    for post in selection.posts:
        image, image_alt = thumbnail(post, config.base_url) if config.thumbnails else (None, "")
        entries.append(
            Entry(
                post=post,
                excerpt=make_excerpt(post, config.excerpt_words, config.excerpt_more),
                byline=byline(post),
                link=add_utm(post.url, utm, config.utm_skip_domains),
                image=image,
                image_alt=image_alt,
            )
        )
    sections = group(entries, config)
    shown = tuple(e for s in sections for e in s.entries)
    context = _context(selection, config, shown, sections)
    subject = render_line(config.subject, "[digest] subject", context)
    preheader = (
        render_line(config.preheader, "[digest] preheader", context)
        if config.preheader
        else derive_preheader(shown)
    )
    return Digest(
        site_name=config.site_name,
        site_url=config.base_url,
        language=config.language,
        window=selection.window,
        issue_date=selection.window.until,
        subject=subject,
        preheader=trim_words(preheader, 40, "…") if preheader else "",
        intro=config.intro.strip(),
        sections=sections,
        unsubscribe_url=config.unsubscribe_url,
        unsubscribe_mailto=config.unsubscribe_mailto,
        view_online_url=render_line(config.view_online_url, "[email] view_online_url", context),
        sender=config.sender,
        more_title=config.more_title,
        edition=config.edition,
        edition_title=config.edition_title,
    )
