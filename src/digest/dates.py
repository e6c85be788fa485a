"""Dates as real-world frontmatter writes them, and as editors type them.

Static-site generators accept many shapes (``2019-07-02 11:21:02 -0400``,
``2024-05-01T09:00Z``, ``2014-1-5``, TOML datetimes, YAML dates) and YAML hands
some of them over as strings. We normalise every one to an aware ``datetime``
in the site time zone, once, so that sorting and window tests never mix naive
and aware values.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

_DATE_TIME = re.compile(
    r"""^\s*
    (?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})
    (?:[T\s]+
        (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
        (?:\s+\d{4}(?=\s|$))?   # a repeated year, as in "18:30:22 2023 -0800", which Ruby accepts
    )?
    \s*(?P<tz>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)

# Jekyll/Hugo style file names: 2014-1-5-slug.md, 2026-11-19-slug.md
FILENAME_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[-_](?P<slug>.*))?$")
# Zola-style path fields and permalinks: 2025/06/26/Rust-1.88.0
PATH_DATE = re.compile(r"(?:^|/)(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})(?:/|$)")


@functools.lru_cache(maxsize=256)
def _offset(text: str) -> tzinfo:
    if text.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) <= 2:  # "-5", "+05"
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"time zone offset {text!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# Longer than any date written by hand; the pattern's runs of spaces cost quadratic time.
MAX_DATE_CHARS = 80


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut short: a message is one line, whatever the input."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def parse_date_string(text: str) -> datetime:
    """Parse a frontmatter date string; naive unless it carries an offset.

    Raises ``ValueError`` with a message fit for the user.
    """
    match = _DATE_TIME.match(text) if len(text) <= MAX_DATE_CHARS else None
    if not match:
        raise ValueError(
            f"date {shown(text)} is not a date like 2026-11-19 or 2026-11-19 09:30 +0100"
        )
    g = match.groupdict()
    fraction = (g["f"] or "0")[:6].ljust(6, "0")
    try:
        value = datetime(
            int(g["y"]),
            int(g["m"]),
            int(g["d"]),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise ValueError(f"date {shown(text)} does not exist ({exc})") from None
    if g["tz"]:
        value = value.replace(tzinfo=_offset(g["tz"]))
    return value


def to_site_time(value: object, tz: tzinfo) -> datetime:
    """Turn any frontmatter date value into an aware datetime in ``tz``.

    Aware values are converted; naive ones (and plain dates) are taken as
    already being in the site time zone, as Jekyll and Hugo do.
    """
    if isinstance(value, str):
        value = parse_date_string(value)
    if isinstance(value, datetime):
        result = value.replace(tzinfo=tz) if value.tzinfo is None else _convert(value, tz)
    elif isinstance(value, date):
        result = datetime.combine(value, time(), tzinfo=tz)
    elif isinstance(value, time):
        raise ValueError("date has a time but no day")
    else:
        raise ValueError(f"date must be a date or a string, found {kind_of(value)}")
    _convert(result, UTC)  # every later comparison or conversion goes through UTC
    return result


def _convert(value: datetime, tz: tzinfo) -> datetime:
    """``value`` in ``tz``; a ValueError, not an OverflowError, at the ends of the calendar.

    ``9999-12-31T23:00-05:00`` exists but is past the last day Python can hold in
    UTC; it is a bad date to report on its post, not a crash.
    """
    try:
        return value.astimezone(tz)
    except (OverflowError, ValueError):
        raise ValueError(
            f"date {value.isoformat()} is out of range (years 1 to 9999 in every time zone)"
        ) from None


def kind_of(value: object) -> str:
    """A value's type in the words of the frontmatter that held it, not Python's."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    return type(value).__name__


def date_from_name(stem: str) -> tuple[date, str] | None:
    """``2026-11-19-my-post`` → (date, "my-post"); None when the name carries no date."""
    match = FILENAME_DATE.match(stem)
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return day, match["slug"] or ""


def date_from_path(path: str) -> date | None:
    """``2025/06/26/Rust-1.88.0`` → 2025-06-26, for generators that keep the date in a path."""
    match = PATH_DATE.search(path)
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


_SPAN = re.compile(r"^\s*(\d+)\s*([dw])\s*$", re.IGNORECASE)


def parse_span(text: str) -> int | None:
    """``7d`` → 7, ``2w`` → 14; None when ``text`` is not a span of days."""
    match = _SPAN.match(text)
    if not match:
        return None
    days = int(match[1]) * (7 if match[2].lower() == "w" else 1)
    if days < 1:
        raise ValueError(f"{text!r}: a window must be at least one day long")
    return days


def parse_day(text: str) -> date:
    """A day typed by an editor, ISO ``2026-11-19``, with a message fit for the user."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-11-19") from None


def window_start(until: date, days: int) -> date:
    """First day of a window of ``days`` days that ends with ``until`` (both inclusive).

    A 7-day window ending Thursday starts the Friday before, so weekly issues
    never share a day.
    """
    return until - timedelta(days=days - 1)
