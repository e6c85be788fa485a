"""The email's language: its words (gettext catalogs), dates, numbers and direction.

``[site] language`` is a BCP 47 tag (``fr``, ``pt-BR``, ``ar``). It picks

* the built-in catalog ``digest/locale/<lang>/LC_MESSAGES/digest.po`` (``pt-BR``
  falls back to ``pt``, and a language with no catalog to the English source
  strings, with a warning), with the user's own catalog from
  ``<templates>/locale/<lang>/LC_MESSAGES/digest.po`` merged over it;
* Babel's CLDR data for dates (``format_date`` in the locale's long pattern, and
  windows of days written with the locale's own dash), numbers and plural rules;
* the text direction (``dir="rtl"`` for Arabic, Hebrew, Persian, Urdu, …).

Catalogs are read from their ``.po`` text at run time, compiled in memory and
cached per process: the same files work from a checkout, an editable install
and the wheel, and there is no build step to forget. English is the source
language, so ``en`` needs no catalog.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, TemplateError

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog
    from babel.support import NullTranslations

DOMAIN = "digest"
SOURCE_LANGUAGE = "en"
# A catalog is small; a "catalog" of many megabytes is a mistake or an attack.
MAX_CATALOG_BYTES = 2_000_000

# %(name)s, %(num)d …: the placeholders a translation must keep (and %% escapes).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def builtin_locale_dir() -> Path:
    """The shipped catalogs, inside the package (installed or a checkout's ``src/``)."""
    return Path(str(files("digest"))) / "locale"


def parse_tag(tag: str) -> Locale:
    """A BCP 47 tag (``pt-BR``, ``zh-Hant-TW``, or ``pt_BR``) → Babel's Locale.

    Raises ``ValueError`` with a message fit for ``[site] language``.
    """
    from babel import Locale, UnknownLocaleError

    text = tag.strip().replace("_", "-")
    try:
        return Locale.parse(text, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            "expected a language tag Babel knows, like en, en-GB, fr, pt-BR or ar"
        ) from None


def catalog_names(locale: Locale) -> list[str]:
    """Catalog folder names to try for ``locale``, most specific first (``pt_BR``, ``pt``)."""
    parts = [locale.language]
    if locale.script:
        parts.append(locale.script)
    if locale.territory:
        parts.append(locale.territory)
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message: ``"%(site)s: %(count)d"`` → {"site", "count"}."""
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)}


# A .po line: a comment, a keyword with its quoted string, or a quoted continuation.
_PO_LINE = re.compile(
    r'^\s*(?:#.*|(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(?:[^"\\]|\\.)*"'
    r'|"(?:[^"\\]|\\.)*")?\s*$'
)


def read_catalog(path: Path) -> Catalog:
    """Read a ``.po`` file; any problem is a TemplateError naming the file and line.

    Babel's reader skips some broken lines silently (an unterminated string),
    so every line is first checked against the shape of the format, and every
    translation must keep its message's placeholders.
    """
    from babel.messages.pofile import PoFileError, read_po

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read the catalog: {exc.strerror}", where=str(path)) from None
    if len(data) > MAX_CATALOG_BYTES:
        raise TemplateError(
            f"catalog is larger than {MAX_CATALOG_BYTES // 1_000_000} MB", where=str(path)
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TemplateError("catalog is not valid UTF-8", where=f"{path}:{line}") from None
    for number, line_text in enumerate(text.splitlines(), 1):
        if not _PO_LINE.match(line_text):
            raise TemplateError(
                f"not a .po line: {line_text.strip()[:60]!r}", where=f"{path}:{number}"
            )
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as exc:
        line = getattr(exc, "lineno", 0) + 1
        raise TemplateError(f"broken catalog: {exc}", where=f"{path}:{line}") from None
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        wanted = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            if string and not placeholders(string) <= wanted:
                unknown = sorted(placeholders(string) - wanted)
                raise TemplateError(
                    f"translation of {ids[0]!r} uses unknown placeholder %({unknown[0]})s",
                    where=f"{path}:{message.lineno}",
                )
    return catalog


def _compiled(catalog: Catalog) -> NullTranslations:
    """A catalog → gettext translations, compiled to .mo in memory (no files written)."""
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _find(root: Path, locale: Locale) -> Path | None:
    for name in catalog_names(locale):
        candidate = root / name / "LC_MESSAGES" / f"{DOMAIN}.po"
        if candidate.is_file():
            return candidate
    return None


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    """What identifies a user's catalog's content for the cache (path, size, mtime)."""
    if path is None:
        return None
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: one per language, cached
class Language:
    """One email language: its tag, Babel locale, translations and direction."""

    tag: str  # as configured, for <html lang>
    locale: Locale
    translations: NullTranslations
    has_catalog: bool  # False: the words are English (the source strings)

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"``, from CLDR (Babel's ``Locale.text_direction``)."""
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    @property
    def align(self) -> str:
        """The start side of a line: where text is aligned."""
        return "right" if self.direction == "rtl" else "left"

    def gettext(self, message: str, **values: object) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled in."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The plural form for ``count`` (CLDR's rules via the catalog), ``%(num)d`` filled."""
        text = self.translations.ngettext(singular, plural, count)
        return text % {"num": count, **values}

    def format_date(self, day: date) -> str:
        """``day`` in the locale's long pattern: ``26 November 2026``, ``26. November 2026``."""
        from babel.dates import format_date

        return str(format_date(day, format="long", locale=self.locale))

    def format_window(self, since: date, until: date) -> str:
        """A span of days as the locale writes it (en-GB: 19, an en dash, 26 November 2026).

        CLDR's interval patterns use abbreviated months (skeleton ``yMMMd``);
        like ICU's interval formatter, the month field is widened to the full
        name the long date uses, so the window reads like the issue date.
        """
        from babel.dates import DateTimePattern, format_interval, parse_pattern

        if since > until:
            since, until = until, since
        if since == until:
            return self.format_date(until)
        field = "y" if since.year != until.year else "M" if since.month != until.month else "d"
        formats = self.locale.interval_formats
        if "yMMMMd" in formats:  # the locale has full-month intervals of its own (es)
            return str(format_interval(since, until, "yMMMMd", locale=self.locale))
        parts = formats.get("yMMMd", {}).get(field)
        if not parts:
            return str(format_interval(since, until, "yMMMMd", locale=self.locale))
        widened = [_widen_months(str(getattr(p, "pattern", p))) for p in parts]
        rendered = []
        for pattern, day in zip(widened, (since, until), strict=False):
            parsed: DateTimePattern = parse_pattern(pattern)
            rendered.append(parsed.apply(day, self.locale))
        return "".join(rendered)

    def join(self, parts: list[str], separator: str) -> str:
        """``parts`` joined; each in a bidi isolate when they are not all of the
        document's direction, so a Latin author's name beside an Arabic date (or
        the reverse) keeps the line's reading order instead of swapping pieces."""
        kept = [p for p in parts if p]
        if any(strong_direction(p) not in (None, self.direction) for p in kept):
            kept = [f"\u2068{p}\u2069" for p in kept]  # FSI … PDI
        return separator.join(kept)

    def format_number(self, number: int | float) -> str:
        """``number`` with the locale's digits and grouping (``1,234``, ``1 234``)."""
        from babel.numbers import format_decimal

        return str(format_decimal(number, locale=self.locale))


def strong_direction(text: str) -> str | None:
    """``"ltr"`` or ``"rtl"`` from the first strongly directional character, as the
    Unicode bidi algorithm finds a paragraph's direction; None for digits and signs."""
    import unicodedata

    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in {"R", "AL"}:
            return "rtl"
    return None


_MONTHS = re.compile(r"('[^']*')|(?<!M)MMM(?!M)|(?<!L)LLL(?!L)")


def _widen_months(pattern: str) -> str:
    """``d MMM y`` → ``d MMMM y`` (quoted literals left alone)."""
    return _MONTHS.sub(lambda m: m.group(1) or m.group(0)[0] * 4, pattern)


def user_catalog(templates_dir: Path | None, locale: Locale) -> Path | None:
    """The user's catalog for ``locale`` in ``<templates>/locale/``, if there is one."""
    if templates_dir is None:
        return None
    return _find(templates_dir / "locale", locale)


def language(tag: str, templates_dir: Path | None = None) -> Language:
    """The :class:`Language` for ``tag``, with the user's catalog (if any) merged over ours.

    Cached per process; a user catalog that changes on disk is read again (the
    preview server rebuilds as files change).
    """
    try:
        locale = parse_tag(tag)
    except ValueError as exc:  # a Config built in code, without load_config's checks
        raise ConfigError([f"[site] language: {exc}, found {tag!r}"]) from None
    return _language(tag, str(locale), _stamp(user_catalog(templates_dir, locale)))


@functools.lru_cache(maxsize=32)
def _language(tag: str, locale_name: str, user: tuple[str, int, int] | None) -> Language:
    from babel import Locale
    from babel.support import NullTranslations, Translations

    locale = Locale.parse(locale_name)
    builtin = _find(builtin_locale_dir(), locale)
    translations: NullTranslations = (
        _compiled(read_catalog(builtin)) if builtin is not None else NullTranslations()
    )
    if user is not None:
        own = _compiled(read_catalog(Path(user[0])))
        if isinstance(translations, Translations):
            translations.merge(own)  # type: ignore[arg-type]
        else:
            translations = own
    has_catalog = builtin is not None or user is not None
    return Language(tag=tag, locale=locale, translations=translations, has_catalog=has_catalog)


def missing_catalog_warning(tag: str, templates_dir: Path | None) -> str | None:
    """A warning when ``tag`` has no catalog, so the email's own words stay English."""
    lang = language(tag, templates_dir)
    if lang.has_catalog or lang.locale.language == SOURCE_LANGUAGE:
        return None
    shipped = ", ".join(available_languages())
    return (
        f"[site] language {tag!r}: no translation of digest's own words for it, so they stay "
        f"in English (dates and numbers follow {tag!r}); shipped: {shipped}; add your own as "
        f"<templates>/locale/{catalog_names(lang.locale)[-1]}/LC_MESSAGES/{DOMAIN}.po"
    )


def available_languages() -> list[str]:
    """The languages a catalog ships for."""
    root = builtin_locale_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())


def english() -> Language:
    """The source language, for callers that are not told one (tests, defaults)."""
    return language(SOURCE_LANGUAGE)


@functools.cache
def translations_of(message: str) -> frozenset[str]:
    """``message`` and its translation in every shipped catalog, casefolded.

    For checks that recognise a built-in word in any language: an email in
    French has a "Se désabonner" link, not an "Unsubscribe" one.
    """
    found = {message.casefold()}
    for name in available_languages():
        lang = language(name)
        found.add(lang.translations.gettext(message).casefold())
    return frozenset(found)
