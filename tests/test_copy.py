"""Copy that follows the digest: the window in words, section limits, subjects, preheaders."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.compose import compose, derive_preheader, period_phrase, tidy_subject
from digest.config import Config, SectionSpec
from digest.delivery import record
from digest.models import DateWindow, Entry, Post, Selection
from digest.pipeline import build

TZ = ZoneInfo("UTC")


def post(name: str, day: int, *cats: str) -> Post:
    return Post(
        source=f"{name}.md",
        title=f"Post {name}",
        date=datetime(2026, 11, day, 9, tzinfo=TZ),
        url=f"https://x.example/{name}/",
        categories=cats,
        author="Ann",
        body=f"The body of {name}, long enough to excerpt.",
    )


def window(since: int, until: int) -> DateWindow:
    return DateWindow(since=date(2026, 11, since), until=date(2026, 11, until))


@pytest.mark.parametrize(
    ("since", "until", "phrase"),
    [
        (20, 26, "this week"),
        (13, 26, "in the last two weeks"),
        (17, 26, "in the last 10 days"),
        # bare "en" is CLDR's (US) English: its long date is "MMMM d, y"
        (26, 26, "on November 26, 2026"),
    ],
)
def test_the_window_in_words(since: int, until: int, phrase: str) -> None:
    assert period_phrase(window(since, until)) == phrase


def test_default_subject_and_more_heading_never_say_this_week_of_another_window() -> None:
    selection = Selection(window=window(17, 26), posts=(post("a", 25, "News"),))
    digest = compose(selection, Config().but(site_name="Notes"))
    assert digest.subject == "Notes: 1 new post in the last 10 days"
    assert digest.more_title == "More posts in the last 10 days"
    assert (digest.window_days, digest.period) == (10, "in the last 10 days")
    weekly = compose(replace(selection, window=window(20, 26)), Config().but(site_name="Notes"))
    assert weekly.subject == "Notes: 1 new post this week"
    assert weekly.more_title == "More this week"


def test_intro_is_a_template_with_the_period() -> None:
    selection = Selection(window=window(13, 26), posts=(post("a", 25),))
    digest = compose(
        selection, Config().but(intro="Posts published {{ period }} ({{ window_days }} days).")
    )
    assert digest.intro == "Posts published in the last two weeks (14 days)."


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("Weekly:", "Weekly"),
        ("Weekly: ", "Weekly"),
        ("News · ", "News"),
        ("News —", "News"),
        ("A | B |", "A | B"),
        ("Is it done?", "Is it done?"),
        ("Release 1.0", "Release 1.0"),
    ],
)
def test_subject_never_ends_with_a_dangling_separator(raw: str, tidy: str) -> None:
    assert tidy_subject(raw) == tidy


def test_empty_first_title_leaves_no_dangling_colon() -> None:
    selection = Selection(window=window(20, 26), posts=())
    digest = compose(selection, Config().but(subject="{{ site_name }} weekly: {{ first_title }}"))
    assert digest.subject == "My blog weekly"


def test_preheader_drops_the_configured_read_more_marker() -> None:
    entries = tuple(
        Entry(post=post(n, 25), excerpt=f"Excerpt {n} ends here (more)", byline="")
        for n in ("a", "b")
    )
    assert derive_preheader(entries, " (more)") == "Excerpt a ends here Excerpt b ends here"
    default = tuple(
        Entry(post=post(n, 25), excerpt=f"Excerpt {n} […]", byline="") for n in ("a", "b")
    )
    assert derive_preheader(default) == "Excerpt a Excerpt b"


def test_posts_beyond_a_section_limit_are_listed_sent_and_counted(
    tmp_path: Path, write_post, tmp_config
) -> None:
    for day in range(20, 25):
        write_post(
            f"2026-11-{day}-release-{day}.md",
            f"""
            ---
            title: Release {day}
            date: 2026-11-{day}
            categories: [Releases]
            ---
            Notes for release {day}.
            """,
        )
    config = tmp_config(until=date(2026, 11, 26), cache_dir=False).but(
        sections=(SectionSpec(title="Releases", categories=("Releases",), limit=2),),
        ledger_path=tmp_path / "ledger.jsonl",
    )
    result = build(config)
    [section] = result.digest.sections
    assert [e.post.title for e in section.entries] == ["Release 24", "Release 23"]
    assert [e.post.title for e in section.more] == ["Release 22", "Release 21", "Release 20"]
    html, text = result.rendered.html, result.rendered.text
    assert "More in Releases" in html and "More in Releases:" in text
    for day in (20, 21, 22):
        assert f"Release {day}" in html and f"Release {day}" in text
        assert f"https://blog.example.org/2026/11/{day}/release-{day}/" in text
    manifest = json.loads((config.paths.out / "digest.json").read_text())
    assert manifest["counts"] == {"posts": 5, "excerpts": 2, "links": 3}
    assert [p["shown"] for p in manifest["sections"][0]["posts"]] == ["excerpt"] * 2 + ["link"] * 3
    # the listed posts count as sent: recording the issue records all five
    issue = record(config, config.paths.out, via="mark-sent")
    assert sorted(p.url for p in issue.posts) == sorted(
        f"https://blog.example.org/2026/11/{day}/release-{day}/" for day in range(20, 25)
    )
