from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digest.dates import (
    date_from_name,
    date_from_path,
    parse_date_string,
    parse_day,
    parse_span,
    to_site_time,
    window_start,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-19", datetime(2026, 11, 19)),
        ("2014-1-5", datetime(2014, 1, 5)),
        ("2026-11-19 09:30", datetime(2026, 11, 19, 9, 30)),
        ("2026-11-19T09:30:15.250", datetime(2026, 11, 19, 9, 30, 15, 250000)),
        (
            "2019-07-02 11:21:02 -0400",
            datetime(2019, 7, 2, 11, 21, 2, tzinfo=timezone(timedelta(hours=-4))),
        ),
        (
            "2026-11-19 09:30 -5",
            datetime(2026, 11, 19, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2026-11-19T09:30:00Z", datetime(2026, 11, 19, 9, 30, tzinfo=UTC)),
        (
            "2026-11-19T09:30:00+05:30",
            datetime(2026, 11, 19, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        # Jekyll's own corpus has this; Ruby's Time.parse accepts it.
        (
            "2023-01-29 18:30:22 2023 -0800",
            datetime(2023, 1, 29, 18, 30, 22, tzinfo=timezone(timedelta(hours=-8))),
        ),
    ],
)
def test_parse_date_string_accepts_real_world_shapes(text: str, expected: datetime) -> None:
    assert parse_date_string(text) == expected
    assert parse_date_string(text).tzinfo == expected.tzinfo


@pytest.mark.parametrize(
    "text", ["next tuesday", "2026-13-01", "2026-02-30", "19/11/2026", "2026-11-19 25:00"]
)
def test_parse_date_string_rejects_nonsense_with_the_value_in_the_message(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_date_string(text)


def test_aware_values_are_converted_and_naive_ones_taken_as_site_time() -> None:
    aware = to_site_time("2026-07-01 23:30 -0100", LONDON)
    assert aware == datetime(2026, 7, 2, 1, 30, tzinfo=LONDON)  # BST: UTC+1
    naive = to_site_time(datetime(2026, 7, 1, 23, 30), LONDON)
    assert naive.tzinfo is LONDON and naive.hour == 23
    assert to_site_time(date(2026, 1, 2), LONDON) == datetime(2026, 1, 2, tzinfo=LONDON)


def test_to_site_time_rejects_other_types() -> None:
    with pytest.raises(ValueError, match="must be a date"):
        to_site_time(20261119, LONDON)


def test_dates_from_names_and_paths() -> None:
    assert date_from_name("2014-1-5-hello-world") == (date(2014, 1, 5), "hello-world")
    assert date_from_name("2026-11-19") == (date(2026, 11, 19), "")
    assert date_from_name("hello-world") is None
    assert date_from_name("2026-02-31-impossible") is None
    assert date_from_path("2025/06/26/Rust-1.88.0") == date(2025, 6, 26)
    assert date_from_path("/news/2025/06/26/post/") == date(2025, 6, 26)
    assert date_from_path("releases/1.88.0") is None


def test_cli_day_and_span_parsing() -> None:
    assert parse_span("7d") == 7
    assert parse_span("2w") == 14
    assert parse_span("2026-11-19") is None
    with pytest.raises(ValueError, match="at least one day"):
        parse_span("0d")
    assert parse_day("2026-11-19") == date(2026, 11, 19)
    with pytest.raises(ValueError, match="not a date"):
        parse_day("yesterday")
    assert window_start(date(2026, 11, 26), 7) == date(2026, 11, 20)
