"""Feeds over HTTP, against a server on 127.0.0.1: conditional requests and the cache,
failures (status, deadline, size, redirects) as one error naming the feed, gzip,
offline builds, WordPress REST paging, and a tampered cache set aside."""

from __future__ import annotations

import gzip
import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.config import Config, SourceSpec
from digest.errors import DigestError
from digest.links import redact_url
from digest.sources import fetch
from digest.sources.fetch import FetchError, Limits, load_url

from .feedserver import (
    Request,
    Route,
    Slow,
    conditional,
    gzipped,
    redirect,
    serving,
    static,
    status,
)

UTC = ZoneInfo("UTC")


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 feed of (title, link, RFC 822 date) items; each item's guid is its link."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{when}</pubDate><description>About {title}.</description></item>"
        for title, link, when in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Test feed</title><link>https://feeds.example.org/</link>{body}"
        "</channel></rss>"
    ).encode()


FEED = rss(
    ("Second", "https://feeds.example.org/2/", "Tue, 24 Nov 2026 09:00:00 GMT"),
    ("First", "https://feeds.example.org/1/", "Fri, 20 Nov 2026 09:00:00 GMT"),
)


def config_in(tmp_path: Path, *, cache: bool = True, offline: bool = False) -> Config:
    config = Config().but(
        base_url="https://feeds.example.org/",
        timezone="UTC",
        cache_dir=tmp_path / "cache" if cache else None,
        out_dir=tmp_path / "dist",
    )
    return config.but(offline=offline)


def spec(url: str) -> SourceSpec:
    return SourceSpec(feed=url, location=url)


def titles(load: fetch.FeedLoad) -> list[str]:
    return [p.title for p in load.posts]


def test_a_repeat_fetch_asks_with_the_etag_and_uses_the_cached_body(tmp_path: Path) -> None:
    with serving({"/feed": conditional(FEED, etag='"v1"')}) as server:
        first = load_url(spec(server.url("/feed")), config_in(tmp_path))
        second = load_url(spec(server.url("/feed")), config_in(tmp_path))
    asked = server.asked("/feed")
    assert len(asked) == 2
    assert "if-none-match" not in asked[0].headers
    assert asked[1].headers["if-none-match"] == '"v1"'
    assert titles(first) == titles(second) == ["Second", "First"]
    assert second.posts[0].url == "https://feeds.example.org/2/"


def test_last_modified_makes_a_conditional_request_too(tmp_path: Path) -> None:
    stamp = "Wed, 25 Nov 2026 10:00:00 GMT"
    with serving({"/feed": conditional(FEED, last_modified=stamp)}) as server:
        load_url(spec(server.url("/feed")), config_in(tmp_path))
        again = load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert server.asked("/feed")[1].headers["if-modified-since"] == stamp
    assert titles(again) == ["Second", "First"]


def test_without_a_cache_nothing_is_kept_and_nothing_is_conditional(tmp_path: Path) -> None:
    with serving({"/feed": conditional(FEED, etag='"v1"')}) as server:
        load_url(spec(server.url("/feed")), config_in(tmp_path, cache=False))
        load_url(spec(server.url("/feed")), config_in(tmp_path, cache=False))
    assert all("if-none-match" not in r.headers for r in server.asked("/feed"))
    assert not (tmp_path / "cache").exists()


def test_a_server_error_is_one_error_naming_the_feed(tmp_path: Path) -> None:
    with serving({"/feed": status(503)}) as server, pytest.raises(FetchError) as caught:
        load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert caught.value.where == server.url("/feed")
    assert "HTTP 503" in str(caught.value)
    assert caught.value.hint is None  # nothing cached yet: --offline would not help


def test_a_failure_with_a_cached_copy_suggests_offline(tmp_path: Path) -> None:
    answers = iter([static(FEED), status(500)])
    with serving() as server:
        server.routes["/feed"] = lambda request: next(answers)(request)
        load_url(spec(server.url("/feed")), config_in(tmp_path))
        with pytest.raises(FetchError) as caught:
            load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert "HTTP 500" in str(caught.value) and "--offline" in str(caught.value)


def test_a_slow_server_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    slow = {"/feed": lambda r: (200, {}, Slow(FEED, interval=0.1))}
    expected = r"no complete answer within 0.5 seconds"
    with serving(slow) as server, pytest.raises(FetchError, match=expected):
        load_url(spec(server.url("/feed")), config_in(tmp_path), limits=Limits(deadline=0.5))


def test_a_redirect_to_http_is_followed(tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/old"] = redirect(server.url("/new"), 301)
        server.routes["/new"] = static(FEED)
        load = load_url(spec(server.url("/old")), config_in(tmp_path))
    assert titles(load) == ["Second", "First"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml"])
def test_a_redirect_away_from_http_is_refused(tmp_path: Path, target: str) -> None:
    with serving({"/feed": redirect(target)}) as server, pytest.raises(FetchError) as caught:
        load_url(spec(server.url("/feed")), config_in(tmp_path))
    scheme = target.split(":")[0]
    assert f"redirected to {scheme}:" in str(caught.value)
    assert "/etc/passwd" not in str(caught.value)


def test_redirect_loops_and_chains_are_bounded(tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/a"] = redirect(server.url("/b"))
        server.routes["/b"] = redirect(server.url("/a"))
        for hop in range(10):
            server.routes[f"/chain{hop}"] = redirect(server.url(f"/chain{hop + 1}"))
        with pytest.raises(FetchError, match="redirect loop"):
            load_url(spec(server.url("/a")), config_in(tmp_path))
        with pytest.raises(FetchError, match="more than 5 redirects"):
            load_url(spec(server.url("/chain0")), config_in(tmp_path))
    assert len(server.asked("/a")) == 1 and len(server.asked("/b")) == 1
    assert len([r for r in server.requests if r.path.startswith("/chain")]) == 6


def test_a_gzipped_feed_is_read(tmp_path: Path) -> None:
    with serving({"/feed": gzipped(FEED)}) as server:
        load = load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert "gzip" in server.asked("/feed")[0].headers["accept-encoding"]
    assert titles(load) == ["Second", "First"]


def test_an_oversized_feed_is_refused(tmp_path: Path) -> None:
    big = {"/feed": static(FEED + b" " * 5000)}
    expected = r"larger than the 1,000 bytes allowed for a feed"
    with serving(big) as server, pytest.raises(FetchError, match=expected):
        load_url(spec(server.url("/feed")), config_in(tmp_path), limits=Limits(max_bytes=1000))


def test_a_gzip_bomb_stops_at_the_cap_of_decoded_bytes(tmp_path: Path) -> None:
    bomb = gzip.compress(b"<" + b" " * 5_000_000, compresslevel=1)  # 5 MB decoded
    assert len(bomb) < 100_000  # less than the cap on the wire
    route = {"/feed": lambda r: (200, {"Content-Encoding": "gzip"}, bomb)}
    with serving(route) as server, pytest.raises(FetchError, match="stopped reading"):
        load_url(spec(server.url("/feed")), config_in(tmp_path), limits=Limits(max_bytes=100_000))


def test_offline_reads_the_cache_and_asks_nothing(tmp_path: Path) -> None:
    with serving({"/feed": static(FEED)}) as server:
        url = server.url("/feed")
        load_url(spec(url), config_in(tmp_path))
    count = len(server.requests)
    load = load_url(spec(url), config_in(tmp_path, offline=True))  # the server is gone
    assert titles(load) == ["Second", "First"]
    assert len(server.requests) == count


def test_offline_without_a_cached_copy_names_the_feed(tmp_path: Path) -> None:
    url = "https://feeds.example.org/never-fetched.xml"
    with pytest.raises(FetchError) as caught:
        load_url(spec(url), config_in(tmp_path, offline=True))
    assert caught.value.where == url and "no cached copy" in str(caught.value)
    with pytest.raises(FetchError, match="the cache is off"):
        load_url(spec(url), config_in(tmp_path, cache=False, offline=True))


def test_a_tampered_cache_is_ignored(tmp_path: Path) -> None:
    with serving({"/feed": conditional(FEED, etag='"v1"')}) as server:
        load_url(spec(server.url("/feed")), config_in(tmp_path))
        [cached] = (tmp_path / "cache" / "feeds").glob("*.json")
        raw = cached.read_bytes()
        assert b"First" not in raw  # stored encoded; the URL is not stored at all
        assert server.url("/feed").encode() not in raw
        tampered = raw.replace(b'\\"v1\\"', b'\\"v2\\"')  # the etag, as JSON writes it
        assert tampered != raw
        cached.write_bytes(tampered)  # the seal no longer matches
        load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert "if-none-match" not in server.asked("/feed")[1].headers
    with pytest.raises(FetchError, match="no cached copy"):
        cached.write_bytes(b"not a cache file")
        load_url(spec(server.url("/feed")), config_in(tmp_path, offline=True))


def test_credentials_in_a_feed_url_never_reach_a_message(tmp_path: Path) -> None:
    with serving({"/feed": status(502)}) as server:
        url = server.url("/feed").replace("http://", "http://editor:hunter2@") + "?token=s3cr3t"
        with pytest.raises(FetchError) as caught:
            load_url(SourceSpec(feed=url, location=url), config_in(tmp_path))
    message = str(caught.value)
    assert "HTTP 502" in message
    assert "hunter2" not in message and "s3cr3t" not in message and "editor" not in message
    assert redact_url(url) in message
    # the credentials did reach the server, as basic auth: the URL asked for them
    assert server.asked("/feed")[0].headers["authorization"].startswith("Basic ")


def test_an_unreachable_feed_is_one_error(tmp_path: Path) -> None:
    with serving() as server:
        url = server.url("/feed")
    with pytest.raises(FetchError) as caught:  # nothing listens there any more
        load_url(spec(url), config_in(tmp_path), limits=Limits(deadline=5))
    assert caught.value.where == url


def test_something_that_is_not_a_feed_is_one_error_naming_it(tmp_path: Path) -> None:
    page = b"<!doctype html><html><body>Welcome</body></html>"
    with serving({"/": static(page, "text/html")}) as server, pytest.raises(DigestError) as caught:
        load_url(spec(server.url("/")), config_in(tmp_path))
    assert caught.value.where == server.url("/") and "HTML page" in str(caught.value)


# --- WordPress REST -------------------------------------------------------------------------


def rest_post(number: int, day: str) -> dict[str, object]:
    return {
        "id": number,
        "date": f"{day}T09:00:00",
        "date_gmt": f"{day}T09:00:00",
        "link": f"https://wp.example.org/{number}/",
        "status": "publish",
        "title": {"rendered": f"Post {number}"},
        "excerpt": {"rendered": f"<p>Excerpt of post {number}.</p>"},
        "content": {"rendered": f"<p>Post {number} in full.</p>"},
    }


def rest_pages(pages: list[list[dict[str, object]]], total: bool = True) -> Route:
    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        number = int(request.query.get("page", "1"))
        if number > len(pages):
            return (
                400,
                {"Content-Type": "application/json"},
                b'{"code":"rest_post_invalid_page_number"}',
            )
        headers = {"Content-Type": "application/json"}
        if total:
            headers["X-WP-TotalPages"] = str(len(pages))
        return 200, headers, json.dumps(pages[number - 1]).encode()

    return answer


def test_wordpress_rest_is_paged_with_after_until_the_window_is_covered(tmp_path: Path) -> None:
    # newest first, as the REST API lists them; page 2 reaches back before the window
    page1 = [rest_post(n, f"2026-11-{26 - n:02d}") for n in range(1, 4)]
    page2 = [rest_post(n, f"2026-11-{26 - n:02d}") for n in range(4, 8)]
    page3 = [rest_post(n, "2026-10-01") for n in range(8, 10)]
    since = datetime(2026, 11, 20, tzinfo=UTC)
    with serving({"/wp-json/wp/v2/posts": rest_pages([page1, page2, page3])}) as server:
        load = load_url(spec(server.url("/wp-json/wp/v2/posts")), config_in(tmp_path), since=since)
    asked = server.asked("/wp-json/wp/v2/posts")
    assert [r.query.get("page", "1") for r in asked] == ["1", "2"]  # page 3 not needed
    first = asked[0].query
    assert first["per_page"] == "100" and "_embed" in first
    assert first["after"] == "2026-11-19T23:59:59+00:00"
    assert titles(load) == [f"Post {n}" for n in range(1, 8)]


def test_wordpress_rest_stops_at_the_last_page(tmp_path: Path) -> None:
    pages = [[rest_post(1, "2026-11-25")], [rest_post(2, "2026-11-24")]]
    with serving({"/wp-json/wp/v2/posts": rest_pages(pages)}) as server:
        load = load_url(spec(server.url("/wp-json/wp/v2/posts")), config_in(tmp_path))
    assert [r.query.get("page", "1") for r in server.requests] == ["1", "2"]
    assert titles(load) == ["Post 1", "Post 2"] and not load.problems


def test_wordpress_rest_paging_has_a_hard_cap(tmp_path: Path) -> None:
    full = [[rest_post(p * 100 + n, "2026-11-25") for n in range(100)] for p in range(6)]
    with serving({"/wp-json/wp/v2/posts": rest_pages(full, total=False)}) as server:
        load = load_url(
            spec(server.url("/wp-json/wp/v2/posts")),
            config_in(tmp_path),
            limits=Limits(max_pages=3),
        )
    assert len(server.requests) == 3 and len(load.posts) == 300
    assert any("stopped after 3 pages" in p.message for p in load.problems)


def test_wordpress_rest_pages_are_cached_for_offline_builds(tmp_path: Path) -> None:
    pages = [[rest_post(1, "2026-11-25")], [rest_post(2, "2026-11-24")]]
    with serving({"/wp-json/wp/v2/posts": rest_pages(pages)}) as server:
        url = server.url("/wp-json/wp/v2/posts")
        load_url(spec(url), config_in(tmp_path))
    offline = load_url(spec(url), config_in(tmp_path, offline=True))
    assert titles(offline) == ["Post 1", "Post 2"]


def test_redact_url_hides_userinfo_and_secret_parameters() -> None:
    assert redact_url("https://me:pw@example.org/feed?api_key=k&page=2") == (
        "https://example.org/feed?api_key=***&page=2"
    )
    assert redact_url("https://example.org/feed/") == "https://example.org/feed/"
    assert redact_url("feeds/podcast.xml") == "feeds/podcast.xml"


# --- real captures (../shared/feeds), served from 127.0.0.1 ----------------------------------

SHARED_FEEDS = (
    Path(os.environ.get("DIGEST_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    / "feeds"
)


def _capture(name: str, file: str) -> bytes:
    path = SHARED_FEEDS / name / file
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "file", "content_type"),
    [
        ("wp-rss-cyklistbloggen", "feed.xml", "application/rss+xml; charset=UTF-8"),
        ("jsonfeed-inessential", "feed.json", "application/feed+json"),
        ("wp-rss-techcrunch", "feed.xml", "text/xml"),  # a newline before <?xml
    ],
)
def test_real_feeds_arrive_whole_gzipped_and_again_from_a_304(
    tmp_path: Path, name: str, file: str, content_type: str
) -> None:
    raw = _capture(name, file)
    # the items' links, read from the raw file independently of digest's parsers
    if file.endswith(".json"):
        links = {item["url"] for item in json.loads(raw)["items"]}
    else:
        root = ET.fromstring(raw.strip())
        links = {(item.findtext("link") or "").strip() for item in root.iter("item")}
    packed = gzip.compress(raw)
    route = conditional(raw, etag='"real"')

    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        code, headers, _ = route(request)
        body = packed if code == 200 else b""
        return code, {**headers, "Content-Type": content_type, "Content-Encoding": "gzip"}, body

    with serving({"/feed": answer}) as server:
        first = load_url(spec(server.url("/feed")), config_in(tmp_path))
        again = load_url(spec(server.url("/feed")), config_in(tmp_path))
    assert [r.headers.get("if-none-match") for r in server.requests] == [None, '"real"']
    assert len(first.posts) == len(links)
    assert first.posts == again.posts
    assert {p.feed for p in first.posts} == {server.url("/feed")}


def test_a_real_wordpress_rest_capture_over_http(tmp_path: Path) -> None:
    raw = _capture("wp-rest-demo-wp-api", "posts.json")
    published = [p for p in json.loads(raw) if p.get("status", "publish") == "publish"]
    with serving({"/wp-json/wp/v2/posts": static(raw, "application/json")}) as server:
        load = load_url(spec(server.url("/wp-json/wp/v2/posts")), config_in(tmp_path))
    [request] = server.requests  # no X-WP-TotalPages and fewer than 100 posts: one page
    assert request.query["per_page"] == "100" and request.query["_embed"] == "1"
    assert load.kind == "wp-rest"
    assert sorted(p.url for p in load.posts) == sorted(p["link"] for p in published)


@pytest.mark.parametrize("url", ["http://xn--a.org/feed", "http://127.0.0.1:99999/feed"])
def test_an_unusable_address_is_one_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(FetchError) as caught:
        load_url(spec(url), config_in(tmp_path), limits=Limits(deadline=5))
    assert caught.value.where == url and "cannot fetch the feed" in str(caught.value)
