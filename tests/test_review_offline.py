"""``--offline`` with a feed cache file that was tampered with says so, instead of claiming
that nothing was ever cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.sources.fetch import FetchError, load_url
from tests.feedserver import conditional, serving
from tests.test_fetch import FEED, config_in, spec


def test_offline_with_a_tampered_cache_says_it_is_damaged(tmp_path: Path) -> None:
    with serving({"/feed": conditional(FEED, etag='"v1"')}) as server:
        url = server.url("/feed")
        load_url(spec(url), config_in(tmp_path))
    [cached] = (tmp_path / "cache" / "feeds").glob("*.json")
    cached.write_bytes(cached.read_bytes().replace(b"responses", b"responzes"))
    with pytest.raises(FetchError, match="damaged") as caught:
        load_url(spec(url), config_in(tmp_path, offline=True))
    assert "without --offline" in str(caught.value.hint)


def test_offline_with_nothing_cached_does_not_speak_of_damage(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no cached copy") as caught:
        load_url(spec("http://127.0.0.1:9/feed"), config_in(tmp_path, offline=True))
    assert "damaged" not in str(caught.value)
