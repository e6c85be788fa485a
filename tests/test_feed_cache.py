"""A feed parsed once is not parsed again while its bytes are unchanged (issue 14: warm builds).

The sample's second source is a feed file: a warm build must take its posts from
the cache without running (or even importing) the feed parsers, re-parse the
moment the file changes, and ignore a cache file it did not sign.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from digest import cache
from digest.config import load_config
from digest.pipeline import load
from digest.sources import feeds

from .conftest import copy_sample

FEED = "posts/feeds/podcast.xml"


def settled(path: Path) -> None:
    """Give ``path`` a modification time old enough for the cache to trust it."""
    old = time.time() - 60
    os.utime(path, (old, old))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_sample(tmp_path)
    settled(root / FEED)
    return root


def feed_titles(root: Path) -> list[str]:
    config = load_config(root / "digest.toml").but(until=None)
    return [p.title for p in load(config).posts if p.feed]


def test_an_unchanged_feed_is_parsed_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = feed_titles(project)
    assert len(first) == 4  # the sample podcast's episodes, from the raw file
    assert list((project / ".digest-cache" / "feeds-parsed").glob("*.json"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the unchanged feed was parsed again")

    monkeypatch.setattr(feeds, "parse_feed_file", refuse)
    assert feed_titles(project) == first


def test_a_changed_feed_is_parsed_again(project: Path) -> None:
    assert "Episode 16: A new one" not in feed_titles(project)
    path = project / FEED
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("Episode 15: Teaching the rota to say thank you", "Episode 16: A new one"),
        encoding="utf-8",
    )
    settled(path)
    assert "Episode 16: A new one" in feed_titles(project)


def test_a_feed_written_just_now_is_not_cached(project: Path) -> None:
    """Its modification time could hide a second write in the same instant."""
    os.utime(project / FEED)  # now
    feed_titles(project)
    assert not list((project / ".digest-cache" / "feeds-parsed").glob("*.json"))


def test_a_cache_file_it_did_not_sign_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = feed_titles(project)
    (stored,) = (project / ".digest-cache" / "feeds-parsed").glob("*.json")
    raw = stored.read_bytes()
    stored.write_bytes(raw.replace(b"Episode 15", b"Episode 99"))  # the seal no longer matches
    calls: list[str] = []
    real = feeds.parse_feed_file

    def counting(*args: object, **kwargs: object) -> feeds.FeedLoad:
        calls.append("parsed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "parse_feed_file", counting)
    assert feed_titles(project) == first and calls == ["parsed"]


def test_the_key_follows_the_settings_that_shape_the_posts(project: Path) -> None:
    config = load_config(project / "digest.toml")
    key = cache.feed_key(config, "feed.xml", "file", 1, 2)
    assert key == cache.feed_key(config, "feed.xml", "file", 1, 2)
    assert key != cache.feed_key(config.but(timezone="Asia/Tokyo"), "feed.xml", "file", 1, 2)
    assert key != cache.feed_key(config, "feed.xml", "file", 1, 3)
