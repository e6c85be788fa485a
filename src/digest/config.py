"""``digest.toml`` → a frozen :class:`Config`, validated in full before anything runs.

The file is read with the standard library's ``tomllib``. Every value goes
through one table of field specifications, so a wrong value is reported the
same way wherever it came from (the file or a command-line flag): the key, what
was expected and what was found. All problems are collected and reported
together, so an editor fixes the file in one pass; unknown keys are warnings
(with a suggestion), never silently ignored.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, UsageError
from .links import redact_url
from .models import Problem
from .sitedata import SiteData, load_site_data
from .sizes import DEFAULT_BUDGET_KB
from .theme import check_text_colour

CONFIG_NAME = "digest.toml"
LEDGER_NAME = "digest-ledger.jsonl"  # beside digest.toml unless [paths] ledger says otherwise

DEFAULT_SUBJECT = "{{ site_name }}: {{ count }} new post{{ 's' if count != 1 }} {{ period }}"
DEFAULT_PERMALINK = ":year/:month/:day/:slug/"
# The defaults below are English source strings: compose puts them in the site's language.
DEFAULT_OTHER_SECTION = "Other"


class ReadOnlyDict(Mapping[str, Any]):
    """A read-only mapping that, unlike ``MappingProxyType``, can be pickled to workers."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnlyDict({self._data!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionSpec:
    """One configured section: its title and the categories that land in it."""

    title: str
    categories: tuple[str, ...]
    limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpec:
    """One source of posts (``[[sources]]``, ``--posts``, ``--feed``).

    ``feed`` empty: the Markdown folder, which is always ``[paths] posts`` (one
    place for its path, so ``Config.but(posts_dir=…)`` moves it). Otherwise
    ``feed`` is the feed as given (a path or an http(s) URL) and ``location``
    the same resolved: an absolute path, or the URL.
    """

    feed: str = ""
    location: str = ""
    name: str = ""
    categories: tuple[str, ...] = ()  # added to every post of this source
    section: str = ""  # every post of this source goes to the section with this title

    @property
    def label(self) -> str:
        """What posts, manifests, ledgers and messages call this feed: as given, without
        credentials (``Post.feed``); empty for the Markdown folder."""
        return redact_url(self.feed) if self.feed else ""

    @property
    def is_url(self) -> bool:
        return is_feed_url(self.location)


def is_feed_url(location: str) -> bool:
    """Whether a feed is fetched over HTTP (otherwise it is a file)."""
    return urlsplit(location).scheme.lower() in {"http", "https"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EditionSpec:
    """One edition: a digest for one audience, built from a subset of the posts.

    ``None`` fields keep the site-wide setting.
    """

    name: str
    title: str = ""
    priority: int = 0
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] | None = None
    subject: str | None = None
    intro: str | None = None
    templates_dir: Path | None = None
    exports: Mapping[str, Mapping[str, Any]] = field(default_factory=ReadOnlyDict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSettings:
    """``[site]``: the blog the digest is about."""

    name: str = "My blog"
    url: str = ""  # the base URL links are resolved against; ends in "/"
    language: str = "en"
    timezone: str = "UTC"
    permalink: str = ""  # "" : the generator's own rule (DEFAULT_PERMALINK for "none")
    generator: str = "none"  # whose rules place posts: hugo, jekyll, zola, … (digest.sites)
    root: Path | None = None  # the site's root (its generator config); None: found upwards
    # The published site to verify post links against: a built site folder (absolute once
    # loaded), a sitemap or feed file, or an http(s) URL of one. Empty: not verified.
    verify: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class PathSettings:
    """``[paths]``: absolute once loaded (the file's relative to the file, flags' to the cwd)."""

    posts: Path = Path("posts")
    templates: Path | None = None  # the user's overrides of the built-in templates
    out: Path = Path("dist")
    ledger: Path = Path(LEDGER_NAME)
    cache: Path | None = None  # None: no caches


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionSettings:
    """``[selection]``: which posts a digest takes."""

    days: int = 7
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    limit: int | None = None
    tags_as_categories: bool = False
    max_post_bytes: int = 10_000_000  # a larger file is skipped with a warning, unread
    new_only: bool = False
    lookback_days: int = 28
    exclusive_editions: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestSettings:
    """``[digest]``: the copy and shape of the email."""

    subject: str = DEFAULT_SUBJECT
    preheader: str = ""
    intro: str = ""
    excerpt_words: int = 55
    excerpt_more: str = " […]"
    other_section: str = DEFAULT_OTHER_SECTION
    thumbnails: str = "banner"  # "banner", "side" or "none"
    contents: str = "auto"  # "In this issue": "auto" (over CONTENTS_AUTO posts), "true", "false"
    more_title: str = ""  # empty: "More this week", or the window in words
    size_budget_kb: int = DEFAULT_BUDGET_KB


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailSettings:
    """``[email]``: the envelope and the footer's links."""

    sender: str = ""
    reply_to: str = ""
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    view_online_url: str = ""
    recipient: str = ""
    list_id: str = ""
    send_time: str = "09:00"
    postal_address: str = ""
    preferences_url: str = ""
    reason: str = ""  # why the reader receives the email; empty: the template's sentence


@dataclass(frozen=True, slots=True, kw_only=True)
class ThemeSettings:
    """``[theme]``: the brand. Colours are checked for contrast when the file is read."""

    logo: str = ""  # an https URL
    logo_width: int = 160
    logo_alt: str = ""  # empty: the site's name
    accent: str = ""  # empty: the built-in colour (see theme.PALETTE)
    link: str = ""
    dark_accent: str = ""
    dark_link: str = ""
    heading_font: str = ""  # empty: the body's font stack


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkSettings:
    """``[links]``: tracking parameters on post links."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    skip_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunState:
    """What one run asks for, beside the settings: its window, strictness and edition.

    Flags set these (``since`` and ``until`` may also come from ``[selection]``);
    ``only_sources`` is the exact set of posts a rebuild pins.
    """

    since: date | None = None
    until: date | None = None
    strict: bool = False
    edition: str = "digest"
    edition_title: str = ""
    only_sources: tuple[str, ...] | None = None  # source keys (models.source_key)
    offline: bool = False  # feeds from the cache only (--offline; rebuilds)
    issue_number: int | None = None  # this edition's count of sent issues + 1, from the ledger


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Every setting a run needs, resolved: in typed sections, paths absolute, values checked."""

    source: Path | None = None
    site: SiteSettings = field(default_factory=SiteSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    links: LinkSettings = field(default_factory=LinkSettings)
    theme: ThemeSettings = field(default_factory=ThemeSettings)
    sections: tuple[SectionSpec, ...] = ()
    sources: tuple[SourceSpec, ...] = ()  # empty: the posts folder alone (see all_sources)
    exports: Mapping[str, Mapping[str, Any]] = field(default_factory=ReadOnlyDict)
    editions: tuple[EditionSpec, ...] = ()
    run: RunState = field(default_factory=RunState)
    # Author names and category labels from the site's own data files (sitedata.py).
    site_data: SiteData = field(default_factory=SiteData)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    # The options the command line set, so messages name the flag, not the file.
    from_flags: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def all_sources(self) -> tuple[SourceSpec, ...]:
        """Where this run's posts come from: ``sources``, or by default the posts folder."""
        return self.sources or (SourceSpec(),)

    def but(self, **changes: Any) -> Config:
        """This configuration with options changed by their flat names (``until=…``,
        ``posts_dir=…``, as flags and ``load_config`` overrides name them)."""
        by_part: dict[str, dict[str, Any]] = {}
        top: dict[str, Any] = {}
        for name, value in changes.items():
            if name in LOCATIONS:
                part, attr = LOCATIONS[name]
                by_part.setdefault(part, {})[attr] = value
            elif name in _TOP_LEVEL:
                top[name] = value
            else:
                raise TypeError(f"unknown configuration option {name!r}")
        for part, values in by_part.items():
            top[part] = replace(getattr(self, part), **values)
        return replace(self, **top)

    def as_edition(self, name: str) -> Config:
        """This configuration for the edition a built digest or a ledger entry names
        (the site-wide one for ``digest``, or a name digest.toml no longer declares)."""
        if name in {spec.name for spec in self.editions}:
            return self.for_edition(name)
        return self

    def edition_spec(self, name: str) -> EditionSpec:
        for spec in self.editions:
            if spec.name == name:
                return spec
        choices = ", ".join(s.name for s in self.editions) or "none are declared in digest.toml"
        raise UsageError(f"unknown edition {name!r}; choose from: {choices}")

    def for_edition(self, name: str) -> Config:
        """This configuration as the edition ``name`` sees it (its output in out/name)."""
        if self.run.edition == name:
            return self  # already that edition's view
        spec = self.edition_spec(name)
        merged = {k: dict(v) for k, v in self.exports.items()}
        for service, options in spec.exports.items():
            merged[service] = {**merged.get(service, {}), **options}
        selection, digest = self.selection, self.digest
        return replace(
            self,
            run=replace(self.run, edition=spec.name, edition_title=spec.title),
            selection=replace(
                selection,
                categories=selection.categories if spec.categories is None else spec.categories,
                exclude_categories=selection.exclude_categories
                if spec.exclude_categories is None
                else spec.exclude_categories,
            ),
            digest=replace(
                digest,
                subject=digest.subject if spec.subject is None else spec.subject,
                intro=digest.intro if spec.intro is None else spec.intro,
            ),
            paths=replace(
                self.paths,
                templates=spec.templates_dir or self.paths.templates,
                out=self.paths.out / spec.name,
            ),
            exports=ReadOnlyDict({k: ReadOnlyDict(v) for k, v in merged.items()}),
        )


# Where each option lives, by the flat name flags and overrides use for it.
LOCATIONS: dict[str, tuple[str, str]] = {
    "site_name": ("site", "name"),
    "base_url": ("site", "url"),
    "language": ("site", "language"),
    "timezone": ("site", "timezone"),
    "permalink": ("site", "permalink"),
    "generator": ("site", "generator"),
    "site_root": ("site", "root"),
    "verify_site": ("site", "verify"),
    "posts_dir": ("paths", "posts"),
    "templates_dir": ("paths", "templates"),
    "out_dir": ("paths", "out"),
    "ledger_path": ("paths", "ledger"),
    "cache_dir": ("paths", "cache"),
    "window_days": ("selection", "days"),
    "categories": ("selection", "categories"),
    "exclude_categories": ("selection", "exclude_categories"),
    "limit": ("selection", "limit"),
    "tags_as_categories": ("selection", "tags_as_categories"),
    "max_post_bytes": ("selection", "max_post_bytes"),
    "new_only": ("selection", "new_only"),
    "lookback_days": ("selection", "lookback_days"),
    "exclusive_editions": ("selection", "exclusive_editions"),
    "subject": ("digest", "subject"),
    "preheader": ("digest", "preheader"),
    "intro": ("digest", "intro"),
    "excerpt_words": ("digest", "excerpt_words"),
    "excerpt_more": ("digest", "excerpt_more"),
    "other_section": ("digest", "other_section"),
    "thumbnails": ("digest", "thumbnails"),
    "contents": ("digest", "contents"),
    "more_title": ("digest", "more_title"),
    "size_budget_kb": ("digest", "size_budget_kb"),
    "sender": ("email", "sender"),
    "reply_to": ("email", "reply_to"),
    "unsubscribe_url": ("email", "unsubscribe_url"),
    "unsubscribe_mailto": ("email", "unsubscribe_mailto"),
    "view_online_url": ("email", "view_online_url"),
    "recipient": ("email", "recipient"),
    "list_id": ("email", "list_id"),
    "send_time": ("email", "send_time"),
    "postal_address": ("email", "postal_address"),
    "preferences_url": ("email", "preferences_url"),
    "reason": ("email", "reason"),
    "logo": ("theme", "logo"),
    "logo_width": ("theme", "logo_width"),
    "logo_alt": ("theme", "logo_alt"),
    "accent": ("theme", "accent"),
    "link_colour": ("theme", "link"),
    "dark_accent": ("theme", "dark_accent"),
    "dark_link_colour": ("theme", "dark_link"),
    "heading_font": ("theme", "heading_font"),
    "utm_source": ("links", "utm_source"),
    "utm_medium": ("links", "utm_medium"),
    "utm_campaign": ("links", "utm_campaign"),
    "utm_skip_domains": ("links", "skip_domains"),
    "since": ("run", "since"),
    "until": ("run", "until"),
    "strict": ("run", "strict"),
    "edition": ("run", "edition"),
    "edition_title": ("run", "edition_title"),
    "only_sources": ("run", "only_sources"),
    "offline": ("run", "offline"),
    "issue_number": ("run", "issue_number"),
}
_TOP_LEVEL = frozenset(
    {"source", "sections", "sources", "exports", "editions", "warnings", "from_flags", "site_data"}
)


# --- validators: each returns the cleaned value or raises ValueError("expected …") ----------


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _nonempty(value: Any) -> str:
    text = _str(value).strip()
    if not text:
        raise ValueError("expected a non-empty string")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _int_at_least(low: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number of at least {low}")
        if value < low:
            raise ValueError(f"expected a whole number of at least {low}")
        return value

    return check


def _limit(value: Any) -> int | None:
    """0 means no limit, which is what an editor writes to switch one off."""
    number = _int_at_least(0)(value)
    return number or None


def _str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _http_url(value: Any) -> str:
    text = _str(value).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL like https://example.org/blog/")
    return text


def _base_url(value: Any) -> str:
    text = _http_url(value)
    if "?" in text or "#" in text:
        raise ValueError("expected a site address without ?query or #fragment")
    if text and not text.endswith("/"):
        text += "/"  # so that urljoin keeps a sub-path like /datascience/
    return text


def _mailto(value: Any) -> str:
    text = _str(value).strip()
    if not text:
        return ""
    if not text.startswith("mailto:"):
        text = "mailto:" + text
    if "@" not in text:
        raise ValueError("expected an address like mailto:unsubscribe@example.org")
    return text


def _site_target(value: Any) -> str:
    """A built site folder, sitemap or feed: a path, or an http(s) URL (nothing else fetched)."""
    text = _str(value).strip()
    scheme = urlsplit(text).scheme
    if scheme and len(scheme) > 1 and scheme not in {"http", "https"}:  # C: is a drive
        raise ValueError("expected a folder, a file or an http(s) URL like public/")
    if text and scheme in {"http", "https"}:
        return _http_url(text)
    return text


def _language(value: Any) -> str:
    """A BCP 47 tag Babel knows (``fr``, ``pt-BR``), in its canonical spelling."""
    from .i18n import parse_tag

    return str(parse_tag(_nonempty(value))).replace("_", "-")


def _timezone(value: Any) -> str:
    name = _nonempty(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone name like Europe/London or UTC") from None
    return name


def _generator(value: Any) -> str:
    from .sites import names  # the registry (built-ins and plugins) knows the choices

    name = _nonempty(value).lower()
    choices = names()
    if name not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return name


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(_nonempty(value))


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_str(value))
    except ValueError:
        raise ValueError("expected a date like 2026-11-19") from None


def _clock(value: Any) -> str:
    text = _str(value).strip()
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        raise ValueError("expected a time of day like 09:00")
    return text


def _thumbnails(value: Any) -> str:
    """ "banner", "side" or "none"; true and false (the old switch) mean banner and none."""
    if isinstance(value, bool):
        return "banner" if value else "none"
    if value not in THUMBNAIL_LAYOUTS:
        raise ValueError('expected "banner", "side" or "none"')
    return str(value)


THUMBNAIL_LAYOUTS = ("banner", "side", "none")


def _contents(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value != "auto":
        raise ValueError('expected "auto", true or false')
    return "auto"


def _https_url(value: Any) -> str:
    text = _str(value).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(
            "expected an https URL like https://example.org/logo.png "
            "(mail clients block or warn about http images)"
        )
    return text


def _logo_width(value: Any) -> int:
    """Pixels: wide enough to see, no wider than the 552 px column."""
    width = _int_at_least(16)(value)
    if width > LOGO_MAX_WIDTH:
        raise ValueError(f"expected a width in pixels from 16 to {LOGO_MAX_WIDTH} (the column)")
    return width


LOGO_MAX_WIDTH = 552


def _colour(key: str) -> Callable[[Any], str]:
    """A text colour for ``[theme] key``, refused below 4.5:1 on its backgrounds."""

    def check(value: Any) -> str:
        text = _str(value).strip()
        return check_text_colour(key, text) if text else ""

    return check


# A font stack goes into style attributes and CSS: names, commas, quotes and hyphens only.
_FONT_STACK = re.compile(r"[A-Za-z0-9 ,'\-]{1,200}")


def _font_stack(value: Any) -> str:
    text = _str(value).strip()
    if text and not _FONT_STACK.fullmatch(text):
        raise ValueError(
            "expected a font stack like \"Georgia, 'Times New Roman', serif\" "
            "(letters, digits, spaces, commas, hyphens and single quotes)"
        )
    return text


def _one_line(check: Callable[[Any], str]) -> Callable[[Any], str]:
    """``check``, then refuse what would break out of an email header.

    These values become (or are rendered into) header lines: a line break would
    let the configuration add headers of its own (``Bcc:``), and no other
    control character (nor Unicode's line and paragraph separators) belongs in one.
    """

    def one_line(value: Any) -> str:
        text = check(value)
        if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in text):
            raise ValueError("expected one line, without line breaks or control characters")
        return text

    return one_line


_header_str, _header_nonempty = _one_line(_str), _one_line(_nonempty)


def _exports(value: Any) -> Mapping[str, Mapping[str, Any]]:
    """``[export.NAME]`` tables, kept raw: each exporter validates its own options."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError("expected tables like [export.mailchimp]")
    return ReadOnlyDict({k: ReadOnlyDict(v) for k, v in value.items()})


_EDITION_KEYS = {
    "title",
    "priority",
    "categories",
    "exclude_categories",
    "subject",
    "intro",
    "templates",
    "export",
}


def _editions(value: Any) -> tuple[EditionSpec, ...]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError("expected tables like [editions.weekly]")
    specs = []
    for name, table in value.items():
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            raise ValueError(f"edition {name!r}: names are lowercase letters, digits, - and _")
        unknown = sorted(set(table) - _EDITION_KEYS)
        if unknown:
            raise ValueError(f"edition {name!r}: unknown key {unknown[0]!r}")
        try:
            specs.append(
                EditionSpec(
                    name=name,
                    title=_str(table.get("title", "")),
                    priority=_int_at_least(-1000)(table.get("priority", 0)),
                    categories=_str_list(table["categories"]) if "categories" in table else None,
                    exclude_categories=_str_list(table["exclude_categories"])
                    if "exclude_categories" in table
                    else None,
                    subject=_header_nonempty(table["subject"]) if "subject" in table else None,
                    intro=_str(table["intro"]) if "intro" in table else None,
                    templates_dir=_path(table["templates"]) if "templates" in table else None,
                    exports=_exports(table.get("export", {})),
                )
            )
        except ValueError as exc:
            raise ValueError(f"edition {name!r}: {exc}") from None
    return tuple(specs)


def _sections(value: Any) -> tuple[SectionSpec, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError('expected an array of tables ([[sections]] with title = "…")')
    specs = []
    for number, table in enumerate(value, 1):
        unknown = set(table) - {"title", "categories", "category", "limit"}
        if unknown:
            raise ValueError(f"section {number}: unknown key {sorted(unknown)[0]!r}")
        try:
            title = _nonempty(table.get("title"))
        except ValueError:
            raise ValueError(f"section {number}: expected a non-empty title") from None
        cats = table.get("categories", table.get("category", [title]))
        try:
            categories = _str_list(cats)
            limit = _limit(table.get("limit", 0))
        except ValueError as exc:
            raise ValueError(f"section {number} ({title!r}): {exc}") from None
        specs.append(SectionSpec(title=title, categories=categories, limit=limit))
    return tuple(specs)


def _feed(value: Any) -> str:
    """A feed as given: a file path, or an absolute http(s) URL."""
    text = _nonempty(value)
    parts = urlsplit(text)
    has_scheme = len(parts.scheme) > 1 or text.startswith("//")  # not a Windows drive letter
    if has_scheme and (parts.scheme.lower() not in {"http", "https"} or not parts.netloc):
        raise ValueError("expected a file path or an http(s) URL like https://example.org/feed/")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("expected one line, without control characters")
    return text


_SOURCE_KEYS = ("feed", "posts", "name", "categories", "section")


def _sources(value: Any) -> tuple[SourceSpec, ...]:
    """``[[sources]]``: each a ``feed`` or a ``posts`` folder (at most one), with options."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError('expected an array of tables ([[sources]] with feed = "…" or posts = "…")')
    specs: list[SourceSpec] = []
    for number, table in enumerate(value, 1):
        unknown = sorted(set(table) - set(_SOURCE_KEYS))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], _SOURCE_KEYS, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"source {number}: unknown key {unknown[0]!r}{extra}")
        if ("feed" in table) == ("posts" in table):
            raise ValueError(f'source {number}: expected one of feed = "…" or posts = "…"')
        try:
            spec = SourceSpec(
                feed=_feed(table["feed"]) if "feed" in table else "",
                location=_nonempty(table["posts"]) if "posts" in table else "",
                name=_one_line(_str)(table.get("name", "")).strip(),
                categories=_str_list(table.get("categories", [])),
                section=_one_line(_nonempty)(table["section"]) if "section" in table else "",
            )
        except ValueError as exc:
            raise ValueError(f"source {number}: {exc}") from None
        if not spec.feed and any(not s.feed for s in specs):
            raise ValueError(f"source {number}: only one posts folder can be a source")
        if spec.feed and spec.feed in {s.feed for s in specs}:
            raise ValueError(f"source {number}: the feed {spec.label!r} is listed twice")
        specs.append(spec)
    return tuple(specs)


def _resolved_feed(feed: str, root: Path) -> str:
    return feed if is_feed_url(feed) else str((root / feed).resolve())


@dataclass(frozen=True, slots=True)
class _Field:
    table: str | None  # None: a top-level key such as [[sections]]
    key: str
    attr: str
    check: Callable[[Any], Any]
    flag: str = ""  # the command-line flag that sets it, if one does

    @property
    def label(self) -> str:
        return f"[{self.table}] {self.key}" if self.table else self.key


FIELDS: tuple[_Field, ...] = (
    _Field("site", "name", "site_name", _header_nonempty),
    _Field("site", "url", "base_url", _base_url, flag="--base-url"),
    _Field("site", "language", "language", _language),
    _Field("site", "timezone", "timezone", _timezone, flag="--timezone"),
    _Field("site", "permalink", "permalink", _nonempty),
    _Field("site", "generator", "generator", _generator, flag="--generator"),
    _Field("site", "root", "site_root", _path),
    _Field("site", "verify", "verify_site", _site_target),
    _Field("paths", "posts", "posts_dir", _path, flag="--posts"),
    _Field("paths", "templates", "templates_dir", _path, flag="--templates"),
    _Field("paths", "out", "out_dir", _path, flag="--out"),
    _Field("selection", "days", "window_days", _int_at_least(1), flag="--since"),
    _Field("selection", "since", "since", _day, flag="--since"),
    _Field("selection", "until", "until", _day, flag="--until"),
    _Field("selection", "categories", "categories", _str_list, flag="--category"),
    _Field(
        "selection",
        "exclude_categories",
        "exclude_categories",
        _str_list,
        flag="--exclude-category",
    ),
    _Field("selection", "limit", "limit", _limit, flag="--limit"),
    _Field("selection", "tags_as_categories", "tags_as_categories", _bool),
    _Field("selection", "max_post_bytes", "max_post_bytes", _int_at_least(1000)),
    _Field("digest", "subject", "subject", _header_nonempty),
    _Field("digest", "preheader", "preheader", _str),
    _Field("digest", "intro", "intro", _str),
    _Field("digest", "excerpt_words", "excerpt_words", _int_at_least(5)),
    _Field("digest", "excerpt_more", "excerpt_more", _str),
    _Field("digest", "other_section", "other_section", _nonempty),
    _Field("digest", "thumbnails", "thumbnails", _thumbnails),
    _Field("digest", "contents", "contents", _contents),
    _Field("digest", "more_title", "more_title", _str),
    _Field("digest", "size_budget_kb", "size_budget_kb", _int_at_least(10)),
    _Field("links", "utm_source", "utm_source", _str),
    _Field("links", "utm_medium", "utm_medium", _str),
    _Field("links", "utm_campaign", "utm_campaign", _str),
    _Field("links", "skip_domains", "utm_skip_domains", _str_list),
    _Field("email", "from", "sender", _header_str),
    _Field("email", "reply_to", "reply_to", _header_str),
    _Field("email", "unsubscribe_url", "unsubscribe_url", _one_line(_http_url)),
    _Field("email", "unsubscribe_mailto", "unsubscribe_mailto", _one_line(_mailto)),
    _Field("email", "view_online_url", "view_online_url", _one_line(_http_url)),
    _Field("email", "to", "recipient", _header_str),
    _Field("email", "list_id", "list_id", _header_str),
    _Field("email", "send_time", "send_time", _clock),
    _Field("email", "postal_address", "postal_address", _str),
    _Field("email", "preferences_url", "preferences_url", _one_line(_http_url)),
    _Field("email", "reason", "reason", _str),
    _Field("theme", "logo", "logo", _one_line(_https_url)),
    _Field("theme", "logo_width", "logo_width", _logo_width),
    _Field("theme", "logo_alt", "logo_alt", _str),
    _Field("theme", "accent", "accent", _colour("accent")),
    _Field("theme", "link", "link_colour", _colour("link")),
    _Field("theme", "dark_accent", "dark_accent", _colour("dark_accent")),
    _Field("theme", "dark_link", "dark_link_colour", _colour("dark_link")),
    _Field("theme", "heading_font", "heading_font", _font_stack),
    _Field(None, "export", "exports", _exports),
    _Field(None, "sections", "sections", _sections),
    _Field(None, "sources", "sources", _sources, flag="--feed"),
    _Field(None, "editions", "editions", _editions),
    _Field("selection", "exclusive_editions", "exclusive_editions", _bool),
    _Field("selection", "new_only", "new_only", _bool, flag="--new-only"),
    _Field("selection", "lookback_days", "lookback_days", _int_at_least(1)),
    _Field("paths", "ledger", "ledger_path", _path),
    _Field("paths", "cache", "cache_dir", _path, flag="--no-cache"),
)
_BY_ATTR = {f.attr: f for f in FIELDS}
_TABLES = {f.table for f in FIELDS if f.table}
_PATH_ATTRS = {"posts_dir", "templates_dir", "out_dir", "ledger_path", "cache_dir", "site_root"}


def _describe(value: Any) -> str:
    """A refused value as a message shows it: short, and an address without its credentials."""
    text = repr(redact_url(value) if isinstance(value, str) and "://" in value else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"config file not found: {path}"]) from None
    except IsADirectoryError:
        raise ConfigError([f"config file is a folder: {path}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], where=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(["not valid UTF-8"], where=str(path)) from None


def _unknown_keys(raw: Mapping[str, Any], where: str) -> list[Problem]:
    warnings = []
    known_by_table: dict[str | None, set[str]] = {}
    for f in FIELDS:
        known_by_table.setdefault(f.table, set()).add(f.key)
    top_known = _TABLES | known_by_table[None]

    def unknown(name: str, known: set[str], label: str) -> Problem:
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return Problem(where=where, message=f"unknown key {label}{name!r} ignored{extra}")

    for key, value in raw.items():
        if key not in top_known:
            warnings.append(unknown(key, top_known, ""))
        elif key in known_by_table and isinstance(value, dict):
            warnings += [
                unknown(sub, known_by_table[key], f"[{key}] ")
                for sub in value
                if sub not in known_by_table[key]
            ]
    return warnings


def find_config(start: Path | None = None) -> Path | None:
    """The ``digest.toml`` in the current folder, if there is one."""
    candidate = (start or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(
    path: Path | str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Read, validate and resolve the configuration.

    ``overrides`` maps a :class:`Config` attribute to a value given on the
    command line (``None`` values are ignored, so flags win only when given).
    Paths from the file are relative to the file; paths from flags to ``cwd``.
    Raises :class:`ConfigError` listing every problem.
    """
    cwd = cwd or Path.cwd()
    source = Path(path) if path is not None else find_config(cwd)
    raw: dict[str, Any] = _read_file(source) if source is not None else {}
    where = str(source) if source else "defaults"
    root = source.resolve().parent if source else cwd

    values: dict[str, Any] = {}
    errors = [
        f"[{table}]: expected a table, found {_describe(raw[table])}"
        for table in sorted(_TABLES)
        if table in raw and not isinstance(raw[table], dict)
    ]
    for f in FIELDS:
        container: Any = raw.get(f.table, {}) if f.table else raw
        if not isinstance(container, dict) or f.key not in container:
            continue
        try:
            value = f.check(container[f.key])
        except ValueError as exc:
            given = container[f.key]
            # a table's own message names the entry; repeating the whole table helps nobody
            found = "" if isinstance(given, dict | list) else f", found {_describe(given)}"
            errors.append(f"{f.label}: {exc}{found}")
            continue
        if f.attr in _PATH_ATTRS:
            value = (root / value).resolve()
        elif f.attr == "verify_site" and value and urlsplit(value).scheme not in {"http", "https"}:
            value = str((root / value).resolve())  # a folder or file, relative to the file
        values[f.attr] = value

    flag_errors: list[str] = []
    from_flags: set[str] = set()
    flag_feeds: list[str] = []
    for attr, given in (overrides or {}).items():
        if given is None or given == ():
            continue
        from_flags.add(attr)
        if attr == "cache_dir" and given is False:
            values["cache_dir"] = None  # --no-cache
            continue
        if attr == "feeds":  # --feed, repeatable: the run's feeds (see _run_sources)
            for feed in given:
                try:
                    flag_feeds.append(_feed(feed))
                except ValueError as exc:
                    flag_errors.append(f"--feed: {exc}, found {_describe(feed)}")
            continue
        spec = _BY_ATTR.get(attr)
        if spec is None:
            if attr in {"strict", "offline"}:
                values[attr] = bool(given)
                continue
            raise ValueError(f"unknown configuration option {attr!r}")
        label = FLAG_NAMES.get(attr) or "--" + attr.replace("_dir", "").replace("_", "-")
        try:
            value = spec.check(given)
        except ValueError as exc:
            flag_errors.append(f"{label}: {exc}, found {_describe(given)}")
            continue
        if attr in _PATH_ATTRS:
            value = (cwd / value).resolve()
        values[attr] = value

    if errors and not flag_errors:
        raise ConfigError(errors, where=where if source else None)
    if flag_errors and not errors:  # only the command line is wrong: a usage error (exit 2)
        raise UsageError("; ".join(flag_errors))
    if flag_errors:  # a flag's value came from the command line, not from the file
        raise ConfigError([*(f"{where}: {e}" for e in errors), *flag_errors])

    if "editions" in values:
        values["editions"] = tuple(
            replace(e, templates_dir=(root / e.templates_dir).resolve()) if e.templates_dir else e
            for e in values["editions"]
        )
    warnings = _unknown_keys(raw, where) if source else []
    warnings += _run_sources(values, raw, flag_feeds, from_flags, root, cwd, where)
    values.setdefault("posts_dir", (root / "posts").resolve())
    values.setdefault("ledger_path", (root / LEDGER_NAME).resolve())
    if "cache_dir" not in values:
        values["cache_dir"] = (root / ".digest-cache").resolve()
    values.setdefault("out_dir", (root / "dist").resolve())
    if "templates_dir" not in values and (root / "templates").is_dir():
        values["templates_dir"] = (root / "templates").resolve()
    values["site_data"] = site_data = load_site_data(values["posts_dir"], values.get("site_root"))
    warnings += _language_warnings(values, where)
    warnings += site_data.problems
    return Config(source=source, warnings=tuple(warnings), from_flags=frozenset(from_flags)).but(
        **values
    )


def _language_warnings(values: Mapping[str, Any], where: str) -> list[Problem]:
    """A language digest has no catalog for: its own words stay English (a warning)."""
    from .errors import DigestError
    from .i18n import missing_catalog_warning

    if "language" not in values:
        return []
    try:
        message = missing_catalog_warning(values["language"], values.get("templates_dir"))
    except DigestError:
        return []  # a broken user catalog is reported, with its line, when it is used
    return [Problem(where=where, message=message)] if message else []


def _run_sources(
    values: dict[str, Any],
    raw: Mapping[str, Any],
    flag_feeds: list[str],
    from_flags: set[str],
    root: Path,
    cwd: Path,
    where: str,
) -> list[Problem]:
    """Settle ``values["sources"]`` (and the posts folder a ``[[sources]]`` names).

    ``--posts`` and ``--feed`` name this run's sources, together, in place of the
    file's; a flag's feed or folder that the file also lists keeps the file's
    name, categories and section. Without flags, ``[[sources]]`` lists every
    source (``[paths] posts`` is then not also read); without either, the
    posts folder alone. Returns warnings.
    """
    listed = tuple(
        replace(s, location=_resolved_feed(s.feed, root)) if s.feed else s
        for s in values.get("sources", ())
    )
    file_posts = next((s for s in listed if not s.feed), None)
    problems: list[Problem] = []
    paths = raw.get("paths")
    posts_key = isinstance(paths, dict) and "posts" in paths
    if file_posts is not None:
        if posts_key:
            raise ConfigError(
                ["[paths] posts and [[sources]] posts both name the posts folder: keep one"],
                where=where,
            )
        if "posts_dir" not in from_flags:
            values["posts_dir"] = (root / file_posts.location).resolve()
    elif listed and posts_key and "posts_dir" not in from_flags:
        problems.append(
            Problem(
                where=where,
                message="[paths] posts is not read: [[sources]] lists every source "
                '(add a [[sources]] with posts = "…" to read it too)',
            )
        )
    if "posts_dir" not in from_flags and not flag_feeds:
        values["sources"] = listed
        return problems
    by_location = {s.location: s for s in listed if s.feed}
    chosen: list[SourceSpec] = []
    if "posts_dir" in from_flags:
        same = (
            file_posts is not None and values["posts_dir"] == (root / file_posts.location).resolve()
        )
        chosen.append(file_posts if same and file_posts is not None else SourceSpec())
    for feed in dict.fromkeys(flag_feeds):  # the same feed twice is read once
        location = _resolved_feed(feed, cwd)
        known = by_location.get(location)
        chosen.append(known or SourceSpec(feed=feed, location=location))
    values["sources"] = tuple(chosen)
    return problems


# The command-line flag of each option a flag can set, for messages.
FLAG_NAMES = {f.attr: f.flag for f in FIELDS if f.flag}


def origin(config: Config, attr: str) -> str:
    """Where ``config``'s value of ``attr`` came from: its flag, or its key in the file."""
    if attr in config.from_flags and attr in FLAG_NAMES:
        return FLAG_NAMES[attr]
    spec = _BY_ATTR.get(attr)
    label = spec.label if spec is not None else attr
    return f"{config.source.name}: {label}" if config.source else label


# The validators, for exporters that check their own [export.NAME] options the same way.
as_str, as_nonempty, as_str_list, int_at_least = _str, _nonempty, _str_list, _int_at_least
as_header = _header_str  # for an option that becomes an email header
