"""Several sources in one digest: --posts and --feed, [[sources]] with categories and
sections, de-duplication, --new-only, the ledger and rebuild with feeds, config errors,
and no traceback on any failure."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from digest.cli import main
from digest.config import load_config
from digest.errors import ConfigError, UsageError
from digest.sources.combine import canonical_url

from .conftest import REPO, SAMPLE_UNTIL
from .feedserver import conditional, serving, static, status

UNTIL = "2026-11-26"


def rss(*items: tuple[str, str, str, str]) -> str:
    """RSS 2.0 with (title, link, RFC 822 date, category) items; guids are their links."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{when}</pubDate><category>{category}</category>"
        f"<description>What {title} is about, in a sentence.</description></item>"
        for title, link, when, category in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Partner blog</title><link>https://partner.example.org/</link>{body}"
        "</channel></rss>"
    )


PODCAST = rss(
    ("Episode 3", "https://pod.example.org/3/", "Wed, 25 Nov 2026 06:00:00 GMT", "Audio"),
    ("Episode 2", "https://pod.example.org/2/", "Sat, 21 Nov 2026 06:00:00 GMT", "Audio"),
    ("Episode 1", "https://pod.example.org/1/", "Fri, 06 Nov 2026 06:00:00 GMT", "Audio"),
)


def write_site(root: Path, toml_extra: str = "", *, paths: str = "") -> Path:
    """A small project: two Markdown posts in the window, and digest.toml."""
    posts = root / "posts"
    posts.mkdir(parents=True)
    (posts / "2026-11-24-on-rotas.md").write_text(
        "---\ntitle: On rotas\ndate: 2026-11-24\nauthor: Ann\ncategories: [Leadership]\n---\n"
        "Rotas are promises made to people.\n",
        encoding="utf-8",
    )
    (posts / "2026-11-23-on-handovers.md").write_text(
        "---\ntitle: On handovers\ndate: 2026-11-23\ncategories: [Safety]\n---\n"
        "A handover is short and ordered.\n",
        encoding="utf-8",
    )
    (root / "digest.toml").write_text(
        '[site]\nname = "Test"\nurl = "https://blog.example.org/"\ntimezone = "UTC"\n'
        f'[email]\nunsubscribe_url = "https://blog.example.org/unsub"\n{paths}\n{toml_extra}',
        encoding="utf-8",
    )
    return root


def run(runner: CliRunner, root: Path, *args: str) -> Result:
    command, *rest = args
    return runner.invoke(
        main,
        [command, "--config", str(root / "digest.toml"), *rest],
        catch_exceptions=False,
    )


def manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "dist" / "digest.json").read_text(encoding="utf-8"))


def posts_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for s in data["sections"] for p in s["posts"]]


def test_posts_and_feed_flags_combine_into_one_digest(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": static(PODCAST.encode())}) as server:
        url = server.url("/pod.xml")
        result = run(
            runner, root, "build", "--until", UNTIL, "--posts", str(root / "posts"), "--feed", url
        )
    assert result.exit_code == 0, result.output
    posts = posts_of(manifest(root))
    # newest first across sources; Episode 1 (6 November) is outside the window
    newest_first = sorted(posts, key=lambda p: p["date"], reverse=True)
    assert [p["title"] for p in newest_first] == [
        "Episode 3",
        "On rotas",
        "On handovers",
        "Episode 2",
    ]
    # no [[sections]]: one section per first category, the episodes under their own
    assert [s["title"] for s in manifest(root)["sections"]] == ["Audio", "Leadership", "Safety"]
    by_title = {p["title"]: p for p in posts}
    assert by_title["Episode 3"]["feed"] == url
    assert by_title["Episode 3"]["source"] == "https://pod.example.org/3/"
    assert by_title["On rotas"]["source"] == "2026-11-24-on-rotas.md"
    assert "feed" not in by_title["On rotas"]  # a Markdown post's entry is as before
    assert "4 posts from 2026-11-20 to 2026-11-26" in result.output


def test_feed_alone_replaces_the_posts_folder(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    feed = tmp_path / "pod.xml"
    feed.write_text(PODCAST, encoding="utf-8")
    result = run(runner, root, "list", "--until", UNTIL, "--feed", str(feed), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(p["title"] for p in posts_of(data)) == ["Episode 2", "Episode 3"]
    assert {p["feed"] for p in posts_of(data)} == {str(feed)}


def test_sources_table_adds_categories_and_places_a_section(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "pod.xml").write_text(PODCAST, encoding="utf-8")
    root = write_site(
        tmp_path,
        '[[sources]]\nposts = "posts"\n'
        '[[sources]]\nfeed = "feeds/pod.xml"\nname = "Pod"\n'
        'categories = ["Podcast", "audio"]\nsection = "Listen"\n'
        '[[sections]]\ntitle = "Leadership"\ncategories = ["Leadership", "Audio"]\n',
    )
    result = run(runner, root, "build", "--until", UNTIL)
    assert result.exit_code == 0, result.output
    data = manifest(root)
    sections = {s["title"]: [p["title"] for p in s["posts"]] for s in data["sections"]}
    # the episodes' own category (Audio) would put them under Leadership: the source's
    # section wins; the Markdown posts stay where their categories put them
    assert sections == {
        "Leadership": ["On rotas"],
        "Listen": ["Episode 3", "Episode 2"],
        "Other": ["On handovers"],
    }
    episode = posts_of(data)[1]
    assert episode["categories"] == ["Audio", "Podcast"]  # "audio" was already there
    assert episode["feed"] == "feeds/pod.xml"  # as given, relative to digest.toml


def test_a_source_section_without_configured_sections_is_its_own(tmp_path: Path) -> None:
    from digest.pipeline import plan

    (tmp_path / "pod.xml").write_text(PODCAST, encoding="utf-8")
    root = write_site(
        tmp_path,
        '[[sources]]\nposts = "posts"\n[[sources]]\nfeed = "pod.xml"\nsection = "Podcast"\n',
    )
    digest = plan(load_config(root / "digest.toml").but(until=_day(UNTIL), cache_dir=None)).digest
    assert [(s.title, len(s.entries)) for s in digest.sections] == [
        ("Podcast", 2),
        ("Leadership", 1),
        ("Safety", 1),
    ]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def test_the_same_post_from_two_sources_is_listed_once(runner: CliRunner, tmp_path: Path) -> None:
    # the blog's own feed repeats a Markdown post, its URL spelled differently
    own = rss(
        (
            "On rotas",
            "http://BLOG.example.org:80/2026/11/24/on-rotas?utm_source=rss#top",
            "Tue, 24 Nov 2026 09:00:00 GMT",
            "Leadership",
        ),
        ("Feed only", "https://blog.example.org/feed-only/", "Mon, 23 Nov 2026 09:00:00 GMT", "X"),
    )
    root = write_site(tmp_path)
    (tmp_path / "own.xml").write_text(own, encoding="utf-8")
    result = run(
        runner,
        root,
        "list",
        "--until",
        UNTIL,
        "--posts",
        str(root / "posts"),
        "--feed",
        str(tmp_path / "own.xml"),
        "--feed",
        str(tmp_path / "own.xml"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    posts = posts_of(json.loads(result.output))
    assert sorted(p["title"] for p in posts) == ["Feed only", "On handovers", "On rotas"]
    rotas = next(p for p in posts if p["title"] == "On rotas")
    assert "feed" not in rotas  # the first source listed (the Markdown folder) wins


def test_canonical_url_ignores_what_does_not_name_another_page() -> None:
    same = {
        canonical_url(u)
        for u in (
            "https://Example.org/a/",
            "http://example.org:80/a",
            "https://example.org:443/a/#comments",
            "https://example.org/a/?utm_source=rss&utm_medium=feed",
        )
    }
    assert len(same) == 1
    assert canonical_url("https://example.org/a/?p=1") != canonical_url("https://example.org/a/")
    assert canonical_url("https://example.org/a/") != canonical_url("https://example.org/b/")


def test_new_only_and_the_ledger_leave_out_feed_posts_already_sent(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": conditional(PODCAST.encode(), etag='"e1"')}) as server:
        url = server.url("/pod.xml")
        flags = ("--posts", str(root / "posts"), "--feed", url)
        first = run(runner, root, "build", "--until", UNTIL, *flags)
        assert first.exit_code == 0, first.output
        marked = run(runner, root, "mark-sent", str(root / "dist"))
        assert marked.exit_code == 0, marked.output
        ledger = [
            json.loads(line) for line in (root / "digest-ledger.jsonl").read_text().splitlines()
        ]
        sent = {(p["source"], p.get("feed", "")) for p in ledger[0]["posts"]}
        assert ("https://pod.example.org/3/", url) in sent
        assert ("2026-11-24-on-rotas.md", "") in sent
        again = run(runner, root, "build", "--until", UNTIL, "--new-only", "--allow-empty", *flags)
        assert again.exit_code == 0, again.output
    assert posts_of(manifest(root)) == []
    # the second build asked conditionally and was answered 304
    assert server.asked("/pod.xml")[1].headers.get("if-none-match") == '"e1"'


def test_rebuild_reproduces_a_feed_issue_from_the_cache(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": static(PODCAST.encode())}) as server:
        url = server.url("/pod.xml")
        built = run(
            runner, root, "build", "--until", UNTIL, "--posts", str(root / "posts"), "--feed", url
        )
        assert built.exit_code == 0, built.output
    assert run(runner, root, "mark-sent", str(root / "dist")).exit_code == 0
    sent_html = (root / "dist" / "digest.html").read_bytes()
    # the server is gone: the rebuild reads the feed as cached, without the network
    result = run(runner, root, "rebuild", "digest-2026-11-26", "--out", str(tmp_path / "again"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "digest.html").read_bytes() == sent_html


def test_offline_builds_from_the_cache_or_names_the_missing_feed(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": static(PODCAST.encode())}) as server:
        url = server.url("/pod.xml")
    missing = run(runner, root, "build", "--until", UNTIL, "--feed", url, "--offline")
    assert missing.exit_code == 1
    assert missing.output.startswith(f"error: {url}: no cached copy")
    assert "Traceback" not in missing.output
    with serving({"/pod.xml": static(PODCAST.encode())}) as server:
        url = server.url("/pod.xml")
        assert run(runner, root, "build", "--until", UNTIL, "--feed", url).exit_code == 0
    offline = run(runner, root, "build", "--until", UNTIL, "--feed", url, "--offline")
    assert offline.exit_code == 0, offline.output
    assert len(posts_of(manifest(root))) == 2


def test_a_failing_feed_is_one_error_without_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": status(503)}) as server:
        url = server.url("/pod.xml") + "?key=abc123"
        result = run(runner, root, "build", "--until", UNTIL, "--feed", url)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        f"error: {url.replace('abc123', '***')}: cannot fetch the feed: HTTP 503 Service Unavailable"
    ]
    assert "abc123" not in result.output


def test_a_missing_feed_file_is_one_error(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    result = run(runner, root, "build", "--until", UNTIL, "--feed", "nowhere.xml")
    assert result.exit_code == 1
    assert result.output == "error: nowhere.xml: feed file not found\n"


def test_feed_flag_refuses_other_schemes(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    result = run(runner, root, "build", "--feed", "ftp://example.org/feed.xml")
    assert result.exit_code == 2
    assert "--feed: expected a file path or an http(s) URL" in result.output


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[[sources]]\nfeed = "a.xml"\nposts = "posts"\n',
            'source 1: expected one of feed = "…" or posts = "…"',
        ),
        ('[[sources]]\nname = "x"\n', 'source 1: expected one of feed = "…" or posts = "…"'),
        (
            '[[sources]]\nfeed = "a.xml"\nsecton = "x"\n',
            "source 1: unknown key 'secton' (did you mean 'section'?)",
        ),
        (
            '[[sources]]\nfeed = "gopher://example.org/"\n',
            "source 1: expected a file path or an http(s) URL",
        ),
        (
            '[[sources]]\nfeed = "a.xml"\ncategories = [1]\n',
            "source 1: expected a list of non-empty strings",
        ),
        (
            '[[sources]]\nposts = "a"\n[[sources]]\nposts = "b"\n',
            "source 2: only one posts folder can be a source",
        ),
        (
            '[[sources]]\nfeed = "a.xml"\n[[sources]]\nfeed = "a.xml"\n',
            "source 2: the feed 'a.xml' is listed twice",
        ),
        ('sources = "a.xml"\n', "sources: expected an array of tables"),
    ],
)
def test_sources_config_errors_name_the_key_and_the_problem(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "digest.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "digest.toml")
    assert message in str(caught.value)


def test_paths_posts_and_a_posts_source_together_are_refused(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text(
        '[paths]\nposts = "posts"\n[[sources]]\nposts = "posts"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"\[paths\] posts and \[\[sources\]\] posts"):
        load_config(tmp_path / "digest.toml")


def test_sources_without_posts_do_not_imply_the_posts_folder(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text(
        '[paths]\nposts = "posts"\n[[sources]]\nfeed = "https://example.org/feed/"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "digest.toml")
    assert [s.location for s in config.all_sources] == ["https://example.org/feed/"]
    assert any("[paths] posts is not read" in w.message for w in config.warnings)


def test_flag_feeds_keep_the_options_the_file_gives_them(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text(
        '[[sources]]\nfeed = "pod.xml"\nsection = "Listen"\n', encoding="utf-8"
    )
    config = load_config(
        tmp_path / "digest.toml", overrides={"feeds": ("pod.xml", "other.xml")}, cwd=tmp_path
    )
    assert [(s.feed, s.section) for s in config.all_sources] == [
        ("pod.xml", "Listen"),
        ("other.xml", ""),
    ]
    with pytest.raises(UsageError, match="--feed"):
        load_config(tmp_path / "digest.toml", overrides={"feeds": ("mailto:x@example.org",)})


def test_the_sample_digest_is_built_from_two_sources(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        main,
        ["build", "--config", str(project / "digest.toml"), "--until", SAMPLE_UNTIL, "--no-cache"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = manifest(project)
    feeds = {p.get("feed", "") for p in posts_of(data)}
    assert feeds == {"", "posts/feeds/podcast.xml"}
    podcast = next(s for s in data["sections"] if s["title"] == "From the podcast")
    # the sample feed's items dated 20-26 November 2026, read from the raw file
    raw = (REPO / "posts" / "feeds" / "podcast.xml").read_text(encoding="utf-8")
    in_week = [d for d in ("20 Nov 2026", "22 Nov 2026", "25 Nov 2026") if d in raw]
    assert len(podcast["posts"]) == len(in_week) == 3
    assert "13 Nov 2026" in raw  # the older episode, outside the window
    assert all("Podcast" in p["categories"] for p in podcast["posts"])


def test_a_feed_whose_every_item_is_broken_says_so(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    undated = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>No date</title><link>https://x.example.org/1/</link></item>"
        "</channel></rss>"
    )
    (tmp_path / "broken.xml").write_text(undated, encoding="utf-8")
    result = run(runner, root, "build", "--until", UNTIL, "--feed", str(tmp_path / "broken.xml"))
    assert result.exit_code == 1
    assert f"error: none of the 1 post or item in {tmp_path / 'broken.xml'} could be used" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_a_feed_that_is_a_named_pipe_is_not_read(runner: CliRunner, tmp_path: Path) -> None:
    import os

    root = write_site(tmp_path)
    os.mkfifo(tmp_path / "pipe.xml")  # reading it would wait for a writer forever
    result = run(runner, root, "build", "--until", UNTIL, "--feed", str(tmp_path / "pipe.xml"))
    assert result.exit_code == 1
    assert (
        result.output
        == f"error: {tmp_path / 'pipe.xml'}: feed file is not a regular file: not read\n"
    )


def test_the_archive_carries_feed_posts_from_the_cache(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    with serving({"/pod.xml": static(PODCAST.encode())}) as server:
        url = server.url("/pod.xml")
        built = run(runner, root, "build", "--until", UNTIL, "--feed", url)
        assert built.exit_code == 0, built.output
    assert run(runner, root, "mark-sent", str(root / "dist")).exit_code == 0
    # the server is gone and digest.toml names no feed: the ledger does, and the cache has it
    result = run(runner, root, "archive", "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "digest-2026-11-26" / "index.html").read_text(encoding="utf-8")
    assert "Episode 3" in page and "Episode 2" in page


def test_a_rebuild_that_differs_names_the_feed(runner: CliRunner, tmp_path: Path) -> None:
    root = write_site(tmp_path)
    feed = tmp_path / "pod.xml"
    feed.write_text(PODCAST, encoding="utf-8")
    assert run(runner, root, "build", "--until", UNTIL, "--feed", str(feed)).exit_code == 0
    assert run(runner, root, "mark-sent", str(root / "dist")).exit_code == 0
    feed.write_text(PODCAST.replace("Episode 3", "Episode three"), encoding="utf-8")
    result = run(runner, root, "rebuild", "digest-2026-11-26", "--out", str(tmp_path / "again"))
    assert result.exit_code == 1
    assert f"{feed} may have changed since" in result.output
