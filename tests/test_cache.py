"""The frontmatter cache: repeat builds skip unchanged files, and never serve stale posts."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from digest.cache import cache_file, cached_read
from digest.config import load_config
from digest.sources import markdown as posts_module
from digest.sources.markdown import read_posts

from .conftest import copy_sample


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    copy_sample(tmp_path)
    # the copies are brand new: age them past the two-second "racy" window
    old = time.time() - 60
    for path in (tmp_path / "posts").rglob("*.md"):
        os.utime(path, (old, old))
    return load_config(tmp_path / "digest.toml")


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files actually parsed (not served from the cache)."""
    seen: list[str] = []
    real = posts_module._load_files

    def spy(folder, rels, config, stats=None):
        seen.extend(rels)
        return real(folder, rels, config, stats)

    monkeypatch.setattr(posts_module, "_load_files", spy)
    return seen


def test_warm_load_equals_cold_and_parses_nothing(config, parsed: list[str]) -> None:
    cold = cached_read(config)
    assert len(parsed) == 31 and cache_file(config).is_file()
    parsed.clear()
    warm = cached_read(config)
    assert parsed == []
    assert warm == cold == read_posts(config)


def test_changed_added_and_removed_files_are_noticed(config, parsed: list[str]) -> None:
    cached_read(config)
    parsed.clear()
    post = config.paths.posts / "2026-11-25-review-the-quiet-rota.md"
    post.write_text(
        post.read_text().replace("Book review: The Quiet Rota", "Same size title: Quiet Rota!")
    )
    later = time.time() - 30
    os.utime(post, (later, later))
    (config.paths.posts / "2026-11-24-gone.md").write_text("---\ntitle: New\n---\n")
    (config.paths.posts / "2026-11-19-what-a-good-handover-sounds-like.md").unlink()
    result = cached_read(config)
    assert sorted(parsed) == ["2026-11-24-gone.md", "2026-11-25-review-the-quiet-rota.md"]
    titles = {p.title for p in result.posts}
    assert "Same size title: Quiet Rota!" in titles and "New" in titles
    assert "What a good handover sounds like" not in titles
    assert result == read_posts(config)


def test_recently_modified_files_are_not_trusted_to_the_cache(config, parsed: list[str]) -> None:
    post = config.paths.posts / "2026-11-23-missed-appointments-are-a-map.md"
    post.write_text(post.read_text())  # modified just now: inside the racy window
    cached_read(config)
    parsed.clear()
    cached_read(config)
    assert parsed == ["2026-11-23-missed-appointments-are-a-map.md"]


def test_settings_that_shape_posts_invalidate_the_cache(config, parsed: list[str]) -> None:
    cached_read(config)
    parsed.clear()
    moved = config.but(base_url="https://elsewhere.example/")
    result = cached_read(moved)
    assert len(parsed) == 31
    assert all(p.url.startswith("https://elsewhere.example/") for p in result.posts)


def test_a_damaged_cache_is_ignored(config, parsed: list[str]) -> None:
    cached_read(config)
    cache_file(config).write_bytes(b"not a pickle")
    parsed.clear()
    result = cached_read(config)
    assert len(parsed) == 31
    assert result == read_posts(config)


def test_no_cache_writes_no_cache(tmp_path: Path, runner) -> None:
    from digest.cli import main

    copy_sample(tmp_path)
    result = runner.invoke(
        main,
        ["build", "--config", str(tmp_path / "digest.toml"), "--until", "2026-11-26", "--no-cache"],
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".digest-cache").exists()
    result = runner.invoke(
        main, ["build", "--config", str(tmp_path / "digest.toml"), "--until", "2026-11-26"]
    )
    assert (tmp_path / ".digest-cache").is_dir()


def test_progress_is_reported(config) -> None:
    calls: list[tuple[int, int]] = []
    read = posts_module.PendingLoad(
        config, workers=2, progress=lambda d, t: calls.append((d, t))
    ).result()
    assert calls and calls[-1] == (31, 31)
    assert read == read_posts(config)


def test_unchanged_digest_reuses_its_render_and_changes_invalidate_it(config, monkeypatch) -> None:
    from datetime import date

    from digest import pipeline
    from digest import render as render_module

    calls: list[int] = []
    real = render_module.render_within_budget

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(render_module, "render_within_budget", spy)
    config = config.but(until=date(2026, 11, 26))
    first = pipeline.build(config)
    second = pipeline.build(config)
    assert len(calls) == 1
    assert second.rendered == first.rendered
    assert (config.paths.out / "digest.html").read_text() == first.rendered.html
    # a template override changes the output: rendered again
    templates = config.paths.posts.parent / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "digest.txt.j2").write_text(
        '{% extends "builtin/digest.txt.j2" %}{% block header %}NEW{% endblock %}'
    )
    third = pipeline.build(config.but(templates_dir=templates))
    assert len(calls) == 2 and third.rendered.text.startswith("NEW")
    # so does a post edit
    post = config.paths.posts / "2026-11-23-missed-appointments-are-a-map.md"
    post.write_text(post.read_text().replace("stranded", "left behind"))
    fourth = pipeline.build(config)
    assert len(calls) == 3 and "left behind" in fourth.rendered.text
    # and --no-cache renders every time
    pipeline.build(config.but(cache_dir=None))
    pipeline.build(config.but(cache_dir=None))
    assert len(calls) == 5


def test_a_change_to_digests_code_sets_the_caches_aside(
    config, parsed: list[str], monkeypatch
) -> None:
    from digest import cache

    cached_read(config)
    parsed.clear()
    cached_read(config)
    assert parsed == []
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "an edited posts.py")
    cached_read(config)
    assert len(parsed) == 31  # the same version number, but other code: everything parsed again


# --- the caches are data, never code ------------------------------------------------------------


class _Planted:
    """A pickle that, if ever loaded, leaves a file behind: the proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_never_runs(config, tmp_path: Path, parsed: list[str]) -> None:
    import json
    import pickle
    from datetime import date

    from digest import pipeline

    config = config.but(until=date(2026, 11, 26))
    first = pipeline.build(config)
    [render] = (config.paths.cache / "renders").iterdir()
    marker = tmp_path / "code-ran"
    planted = pickle.dumps(_Planted(marker))
    for path in (cache_file(config), render):  # whatever names the caches have
        path.write_bytes(planted)
    parsed.clear()
    again = pipeline.build(config)
    assert not marker.exists()
    assert len(parsed) == 31  # the planted cache was a miss ...
    assert again.rendered == first.rendered  # ... and the build is the same
    assert json.loads(opened(cache_file(config)))["format"] == "digest post cache"


def opened(path: Path) -> str:
    """A cache file's JSON, its seal checked (see ``digest.cache.cache_key``)."""
    from digest.cache import _unseal

    body = _unseal(path.read_bytes())
    assert body is not None, f"{path} is not sealed with this user's key"
    return body.decode("utf-8")


def sealed_write(path: Path, text: str) -> None:
    """Write ``text`` as digest would, signed: damage inside a valid seal, to test the checks."""
    from digest.cache import _seal

    path.write_bytes(_seal(text.encode("utf-8")))


def _damage(text: str, how: str) -> str:
    import json

    data = json.loads(text)
    posts = data["posts"]
    if how == "truncated":
        return text[: len(text) // 2]
    if how == "foreign":
        return json.dumps([1, 2, 3])
    if how == "deep":
        return "[" * 100_000 + "]" * 100_000
    changes = {
        "other format": lambda: data.update(format="something else"),
        "another zone": lambda: data.update(zone="Mars/Olympus_Mons"),
        "title not text": lambda: posts["title"].__setitem__(0, {"a": 1}),
        "impossible date": lambda: posts["date"].__setitem__(0, "2026-02-30T09:00:00"),
        "date with an offset": lambda: posts["date"].__setitem__(0, "2026-11-20T09:00:00+01:00"),
        "date not text": lambda: posts["date"].__setitem__(0, 20261120),
        "fold not 0 or 1": lambda: posts["date_fold"].__setitem__(0, 2),
        "fold true": lambda: posts["date_fold"].__setitem__(0, True),
        "a column too short": lambda: posts["url"].pop(),
        "a column missing": lambda: posts.pop("author"),
        "an extra column": lambda: posts.update(body_html=[""] * len(posts["url"])),
        "categories not a list": lambda: posts["categories"].__setitem__(0, "news"),
        "a category not text": lambda: posts["categories"].__setitem__(0, [1]),
        "unknown kind": lambda: data["kinds"].__setitem__(0, "module"),
        "size not a number": lambda: data["sizes"].__setitem__(0, "1"),
        "fewer sizes than files": lambda: data["sizes"].pop(),
        "a problem not a record": lambda: data["problems"].append([1]),
        "files not a list": lambda: data.update(files="x"),
    }
    changes[how]()
    return json.dumps(data)


DAMAGE = [
    "truncated",
    "foreign",
    "deep",
    "other format",
    "another zone",
    "title not text",
    "impossible date",
    "date with an offset",
    "date not text",
    "fold not 0 or 1",
    "fold true",
    "a column too short",
    "a column missing",
    "an extra column",
    "categories not a list",
    "a category not text",
    "unknown kind",
    "size not a number",
    "fewer sizes than files",
    "a problem not a record",
    "files not a list",
]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_or_foreign_cache_is_a_miss(
    config, parsed: list[str], caplog: pytest.LogCaptureFixture, how: str
) -> None:
    import logging

    cold = cached_read(config)
    path = cache_file(config)
    sealed_write(path, _damage(opened(path), how))
    parsed.clear()
    with caplog.at_level(logging.DEBUG, logger="digest"):
        warm = cached_read(config)
    assert len(parsed) == 31 and warm == cold
    assert any(
        r.levelno == logging.DEBUG and r.getMessage().startswith("ignoring the")
        for r in caplog.records
    )
    parsed.clear()
    assert cached_read(config) == cold and parsed == []  # and it is mended


def test_a_damaged_render_cache_renders_again(config, monkeypatch) -> None:
    import json
    from datetime import date

    from digest import pipeline
    from digest import render as render_module

    calls: list[int] = []
    real = render_module.render_within_budget
    monkeypatch.setattr(
        render_module, "render_within_budget", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    config = config.but(until=date(2026, 11, 26))
    first = pipeline.build(config)
    [render] = (config.paths.cache / "renders").iterdir()
    data = json.loads(opened(render))
    data["rendered"][0] = 42  # the HTML is not text
    sealed_write(render, json.dumps(data))
    again = pipeline.build(config)
    assert len(calls) == 2 and again.rendered == first.rendered and again.digest == first.digest


def test_dates_come_back_exactly_as_the_loader_made_them() -> None:
    """Same wall time, zone and fold: a warm build's render key equals the cold build's."""
    import pickle
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from digest.cache import decoder, to_json

    london = ZoneInfo("Europe/London")
    values = [
        datetime(2026, 11, 20, 9, 0, tzinfo=london),
        datetime(2026, 3, 29, 1, 30, tzinfo=london),  # in the spring gap
        datetime(2026, 10, 25, 1, 30, tzinfo=london),  # ambiguous, first
        datetime(2026, 10, 25, 1, 30, tzinfo=london, fold=1),  # ambiguous, second
        datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=5))),  # another zone
    ]
    decode = decoder(datetime, london)
    for value in values:
        back = decode(to_json(value))
        assert back == value and back.utcoffset() == value.utcoffset()
        if value.tzinfo is london:
            assert (back.fold, back.tzinfo) == (value.fold, london)
            assert pickle.dumps(back) == pickle.dumps(value)


def test_caches_key_on_the_versions_of_the_libraries_that_shape_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An upgrade of premailer, mjml-python or Jinja must not reuse renders made before it."""
    import digest.cache as cache
    from digest.pipeline import choose, load

    from .conftest import sample_config_in

    config = sample_config_in(tmp_path).but(until=date(2026, 11, 26))
    selection, _ = choose(config, loaded=load(config))
    names = dict(cache.library_versions())
    assert {"premailer", "mjml-python", "jinja2", "markdown-it-py", "nh3"} <= set(names)
    assert all(version != "absent" for version in names.values())
    before = (cache.render_key(config, selection), cache.fingerprint(config))
    upgraded = tuple((n, "999.0" if n == "premailer" else v) for n, v in names.items())
    monkeypatch.setattr(cache, "library_versions", lambda: upgraded)
    cache.code_fingerprint.cache_clear()
    try:
        after = (cache.render_key(config, selection), cache.fingerprint(config))
    finally:
        monkeypatch.undo()
        cache.code_fingerprint.cache_clear()
    assert after[0] != before[0] and after[1] != before[1]
    assert (cache.render_key(config, selection), cache.fingerprint(config)) == before


def test_a_planted_or_edited_render_cache_is_not_trusted(config, tmp_path: Path) -> None:
    """JSON cannot run code, but a cache from elsewhere could change the email: a render
    edited after it was signed, or a file not signed with this user's key, is a miss."""
    import json

    from digest import pipeline

    config = config.but(until=date(2026, 11, 26))
    first = pipeline.build(config)
    [render] = (config.paths.cache / "renders").iterdir()
    head, _, body = render.read_bytes().partition(b"\n")
    evil = body.replace(b"https://leadingwell.example.org/", b"https://evil.example/")
    assert evil != body
    for planted in (head + b"\n" + evil, evil, json.dumps({"format": "x"}).encode()):
        render.write_bytes(planted)
        again = pipeline.build(config)
        assert "evil.example" not in again.rendered.html + again.rendered.text
        assert again.rendered == first.rendered


def test_the_cache_key_is_made_once_per_user_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import cache

    monkeypatch.delenv("DIGEST_CACHE_KEY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache.cache_key.cache_clear()
    try:
        key = cache.cache_key()
        path = tmp_path / "xdg" / "digest" / "cache-key"
        assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
        cache.cache_key.cache_clear()
        assert cache.cache_key() == key and len(key) == 32
        monkeypatch.setenv("DIGEST_CACHE_KEY", "shared-by-this-ci")
        cache.cache_key.cache_clear()
        assert cache.cache_key() == b"shared-by-this-ci"
    finally:
        cache.cache_key.cache_clear()


def test_the_post_cache_drops_posts_that_no_longer_exist(config, parsed: list[str]) -> None:
    """Issue 14, goal 4: a deleted post leaves the cache file (it does not grow forever),
    and a warm load whose files are all unchanged parses nothing and writes nothing."""
    import json

    cold = cached_read(config)
    before = json.loads(opened(cache_file(config)))
    gone = [
        "2026-11-19-what-a-good-handover-sounds-like.md",
        "2026-11-23-missed-appointments-are-a-map.md",
    ]
    assert set(gone) <= set(before["files"])
    for name in gone:
        (config.paths.posts / name).unlink()
    parsed.clear()
    after_delete = cached_read(config)
    assert parsed == []  # nothing changed but the deletions: nothing parsed
    data = json.loads(opened(cache_file(config)))
    assert set(data["files"]) == set(before["files"]) - set(gone)
    posts = data["kinds"].count("post")
    assert all(len(column) == posts for column in data["posts"].values())
    assert not {p.source for p in after_delete.posts} & set(gone)
    assert len(after_delete.posts) == len(cold.posts) - 2
    written = cache_file(config).stat().st_mtime_ns
    assert cached_read(config) == after_delete == read_posts(config)
    assert cache_file(config).stat().st_mtime_ns == written  # unchanged: not rewritten


def test_the_post_cache_grows_linearly(tmp_path: Path) -> None:
    """Twice the posts, twice the cache file (within a few per cent): no per-build history."""
    sizes = []
    old = time.time() - 60
    for count in (200, 400):
        root = tmp_path / str(count)
        (root / "posts").mkdir(parents=True)
        for index in range(count):
            post = root / "posts" / f"2026-01-01-post-{index:04d}.md"
            post.write_text(f"---\ntitle: Post {index:04d}\ncategories: [a, b]\n---\nBody.\n")
            os.utime(post, (old, old))
        (root / "digest.toml").write_text('[site]\nurl = "https://example.org/"\n')
        config = load_config(root / "digest.toml")
        cached_read(config)
        cached_read(config)  # a warm read adds nothing
        sizes.append(cache_file(config).stat().st_size)
    assert 1.9 < sizes[1] / sizes[0] < 2.1


def test_a_cached_render_keeps_its_check_findings(config, monkeypatch) -> None:
    """A warm build does not parse the HTML again for the cheap checks: their findings are
    cached with the render, and it warns exactly as the build that rendered it did."""
    import digest.checks as checks_module
    from digest import pipeline

    calls: list[int] = []
    real = checks_module.cheap_findings
    monkeypatch.setattr(
        checks_module, "cheap_findings", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    long = "A subject line far longer than any inbox shows before it cuts it off, " * 2
    config = config.but(until=date(2026, 11, 26), subject=long)  # a finding on the output
    first = pipeline.build(config)
    again = pipeline.build(config)
    assert len(calls) == 1
    assert again.warnings == first.warnings
    assert any("[subject]" in str(w) for w in again.warnings)


def test_library_versions_are_those_importlib_metadata_reports() -> None:
    """The quick reading (dist-info folder names) agrees with the standard library's."""
    import importlib.metadata

    from digest import cache

    for name, version in cache.library_versions():
        try:
            expected = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = "absent"
        assert version == expected, name


def test_posts_from_the_cache_or_workers_share_equal_values(config) -> None:
    """Equal authors, categories and tags are one object each (memory at 100,000 posts),
    and the posts are equal to those a plain load makes, field for field."""
    import dataclasses

    cold = cached_read(config)
    for loaded in (cached_read(config), posts_module.PendingLoad(config, workers=2).result()):
        assert loaded.posts == cold.posts == read_posts(config, workers=1).posts
        for name in ("author", "categories", "tags"):
            values = [getattr(p, name) for p in loaded.posts]
            assert len({id(v) for v in values}) == len(set(values)), name
        post = loaded.posts[0]
        assert dataclasses.replace(post, body="x").body == "x" and hash(post) == hash(cold.posts[0])
