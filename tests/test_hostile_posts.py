"""Hostile posts: one bad file is one warning naming it, never a stopped or hung build.

Every case here is a file someone could put in a posts folder (by mistake, or
to break a shared CI build). Each must end as a :class:`~digest.models.Problem`
naming the file (and line where the parser knows it), the other posts loading
as usual, whether the folder is read in this process, in worker processes or
through the frontmatter cache.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cache import cached_read
from digest.cli import main
from digest.config import Config
from digest.sources.markdown import read_posts

from .conftest import SAMPLE_UNTIL, WritePost

MakeConfig = Callable[..., Config]

GOOD = "---\ntitle: Good\n---\nx\n"

# (file name, text, words expected in the warning, line or None)
BAD_VALUES = [
    ("feb30.md", "---\ntitle: A\ndate: 2026-02-30\n---\nx\n", "day is out of range", 3),
    ("year0.md", "---\ntitle: A\ndate: 0000-01-01\n---\nx\n", "year 0 is out of range", 3),
    ("year99999.md", "---\ntitle: A\ndate: 99999-01-01\n---\nx\n", "bad date", None),
    ("year99999q.md", "---\ntitle: A\ndate: '99999-01-01'\n---\nx\n", "bad date", None),
    ("offset.md", "---\ntitle: A\ndate: 2026-01-01 10:00:00 +99:00\n---\nx\n", "as a date", 3),
    ("offset2.md", "---\ntitle: A\ndate: '2026-01-01 10:00 +2500'\n---\nx\n", "bad date", None),
    ("edge.md", "---\ntitle: A\ndate: 9999-12-31T23:00:00-05:00\n---\nx\n", "out of range", None),
    ("edge1.md", "---\ntitle: A\ndate: 0001-01-01T01:00:00+05:00\n---\nx\n", "out of range", None),
    ("edgeq.md", "---\ntitle: A\ndate: '0001-01-01 01:00 +0500'\n---\nx\n", "out of range", None),
    ("int.md", '---\ntitle: !!int "abc"\ndate: 2026-01-01\n---\nx\n', "as a whole number", 2),
    ("float.md", '---\ntitle: A\nx: !!float "abc"\ndate: 2026-01-01\n---\n', "as a number", 3),
    ("ts.md", '---\ntitle: A\ndate: !!timestamp "x"\n---\nx\n', "cannot read 'x' as a date", 3),
    ("py.md", '---\ntitle: !!python/object:os.system "x"\n---\n', "invalid YAML", 2),
    ("pyname.md", "---\ntitle: !!python/name:os.system ''\n---\n", "invalid YAML", 2),
    ("bin.md", "---\ntitle: A\nx: !!binary 'abc'\n---\n", "base64", 3),
    ("key.md", "---\n? [a, b]\n: c\ntitle: A\n---\n", "invalid YAML", None),
    ("toml.md", '+++\ntitle = "A"\ndate = 2026-02-30\n+++\n', "invalid TOML", 3),
    ("tomlnest.md", "+++\na = " + "[" * 5000 + "]" * 5000 + "\n+++\n", "nested too deeply", 1),
    ("jsonnest.md", '{\n"a": ' + "[" * 100_000 + "]" * 100_000 + "\n}\n", "nested too deeply", 1),
    ("bigint.md", '{\n"title": "A", "x": ' + "9" * 5000 + "\n}\n", "unusable post", None),
]


def _expect_one_problem(result, name: str, words: str, line: int | None) -> None:
    assert [p.title for p in result.posts] == ["Good"]
    [problem] = result.problems
    assert problem.where == name
    assert words in problem.message, problem.message
    if line is not None:
        assert problem.line == line, problem
    assert "\n" not in str(problem)


@pytest.mark.parametrize(("name", "text", "words", "line"), BAD_VALUES)
def test_a_bad_value_is_one_warning_naming_the_file(
    write_post: WritePost, tmp_config: MakeConfig, name: str, text: str, words: str, line: int
) -> None:
    write_post(name, text, raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    _expect_one_problem(read_posts(tmp_config()), name, words, line)


def test_bad_values_in_worker_processes_and_through_the_cache(
    write_post: WritePost, tmp_config: MakeConfig, tmp_path: Path
) -> None:
    """The same guarantee where posts are parsed in forked workers and via the cache."""
    for name, text, _, _ in BAD_VALUES:
        write_post(name, text, raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    config = tmp_config()
    expected = {name for name, *_ in BAD_VALUES}
    for result in (
        read_posts(config, workers=2),
        cached_read(tmp_config(cache_dir=tmp_path / "cache")),
        cached_read(tmp_config(cache_dir=tmp_path / "cache")),  # warm: problems from the cache
    ):
        assert [p.title for p in result.posts] == ["Good"]
        assert {p.where for p in result.problems} == expected


def _build(project: Path, *extra: str):
    return CliRunner().invoke(
        main,
        ["build", "--config", str(project / "digest.toml"), "--until", SAMPLE_UNTIL, *extra],
        catch_exceptions=False,
    )


def test_cli_warns_and_strict_fails_never_an_internal_error(project: Path) -> None:
    (project / "posts" / "2026-11-25-feb30.md").write_text(
        "---\ntitle: Leap\ndate: 2026-02-30\n---\nBody\n"
    )
    result = _build(project)
    assert result.exit_code == 0, result.output
    assert "warning: 2026-11-25-feb30.md:3: invalid YAML frontmatter: cannot read" in result.output
    assert "internal error" not in result.output

    result = _build(project, "--strict")
    assert result.exit_code == 1
    assert "error: --strict: 1 warning turned into failure" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """The "billion laughs": each level is a list of ``width`` aliases of the one before."""
    lines = ["---", "lol0: &l0 " + str(["lol"] * width).replace("'", '"')]
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    lines += [f"title: *l{levels}", f"tags: *l{levels}", "date: 2026-11-20", "---", "x", ""]
    return "\n".join(lines)


# Run in a child with about 1 GB of address space: the bomb must be refused, not survived.
_BOUNDED_LOAD = """
import json, pathlib, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from digest.config import load_config
from digest.sources.markdown import read_posts
posts = pathlib.Path(sys.argv[1])
config = load_config(
    None, overrides={"posts_dir": posts, "base_url": "https://x.example/"}, cwd=posts
)
result = read_posts(config)
print(json.dumps({"posts": [p.title for p in result.posts],
                  "problems": [[p.where, p.line, p.message] for p in result.problems]}))
"""


def _load_in_bounded_child(posts: Path) -> dict[str, list[object]]:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _BOUNDED_LOAD, str(posts)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, list[object]] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs resource limits")
def test_yaml_alias_bomb_is_refused_quickly_in_bounded_memory(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post("bomb.md", alias_bomb(), raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    result = _load_in_bounded_child(tmp_config().paths.posts)
    assert result["posts"] == ["Good"]
    [[where, line, message]] = result["problems"]
    assert where == "bomb.md"
    assert "aliases expand to more than 100,000 values" in str(message)
    assert isinstance(line, int) and 2 <= line <= 12


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: &t [a, *t]\ndate: 2026-11-20\n---\n",
        "---\ntitle: A\ndate: 2026-11-20\nx: &m {k: *m}\n---\n",
    ],
)
def test_recursive_yaml_alias_is_refused(
    write_post: WritePost, tmp_config: MakeConfig, text: str
) -> None:
    write_post("loop.md", text, raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    _expect_one_problem(read_posts(tmp_config()), "loop.md", "refers to itself", None)


def test_modest_yaml_aliases_still_work(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post(
        "2026-11-20-a.md",
        "---\ntitle: A & B*\nme: &me {name: Ann Lee}\nauthors: [*me]\n"
        "tags: &t [x, y]\ncategories: *t\n---\nx\n",
        raw=True,
    )
    [post] = read_posts(tmp_config()).posts
    assert (post.title, post.author, post.categories) == ("A & B*", "Ann Lee", ("x", "y"))


def _load_with_deadline(config: Config, unblock: Path | None = None, seconds: float = 20.0):
    """``read_posts`` in a thread; a load still running after ``seconds`` fails the test.

    ``unblock`` is a FIFO to open for writing afterwards, which releases a
    reader stuck on it so that a failing test does not leave a thread behind.
    """
    import threading

    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(read_posts(config)), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() and unblock is not None:
        import os

        os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
    assert box, f"loading the posts still hung after {seconds} s"
    return box[0]


def test_a_fifo_is_skipped_not_waited_on(write_post: WritePost, tmp_config: MakeConfig) -> None:
    import os

    write_post("2026-11-20-good.md", GOOD, raw=True)
    fifo = tmp_config().paths.posts / "x.md"
    os.mkfifo(fifo)
    result = _load_with_deadline(tmp_config(), unblock=fifo)
    _expect_one_problem(result, "x.md", "a named pipe (FIFO), not a post file", None)


def test_a_socket_and_a_device_are_skipped(
    write_post: WritePost, tmp_config: MakeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import socket
    import stat

    write_post("2026-11-20-good.md", GOOD, raw=True)
    posts = tmp_config().paths.posts
    monkeypatch.chdir(posts)  # a socket path must be short: bind it relative to the folder
    server = socket.socket(socket.AF_UNIX)
    server.bind("sock.md")
    expected = {"sock.md": "a socket"}
    try:
        os.mknod(posts / "zero.md", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
        expected["zero.md"] = "a character device"
    except OSError:
        pass  # not permitted here: the socket still covers "not a regular file"
    try:
        result = _load_with_deadline(tmp_config())
    finally:
        server.close()
    assert [p.title for p in result.posts] == ["Good"]
    assert {p.where: p.message.split(",")[0] for p in result.problems} == expected


def test_symlinks_are_followed_only_inside_the_posts_folder(
    write_post: WritePost, tmp_config: MakeConfig, tmp_path: Path
) -> None:
    write_post("2026-11-20-good.md", GOOD, raw=True)
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\ndate: 2026-11-20\n---\nprivate\n")
    posts = tmp_config().paths.posts
    (posts / "out.md").symlink_to(outside)
    (posts / "hop.md").symlink_to(posts / "out.md")  # inside, but ends outside
    (posts / "up.md").symlink_to(Path("..") / "secret.md")
    # inside, to another post: that post is read as itself, not twice (it went out twice)
    (posts / "2026-11-21-alias.md").symlink_to("2026-11-20-good.md")
    (posts / "dangling.md").symlink_to(posts / "gone.md")
    result = read_posts(tmp_config())
    assert sorted(p.title for p in result.posts) == ["Good"]
    messages = {p.where: p.message for p in result.problems}
    assert set(messages) == {"out.md", "hop.md", "up.md", "dangling.md", "2026-11-21-alias.md"}
    assert messages["2026-11-21-alias.md"] == (
        "a symbolic link to the post 2026-11-20-good.md, which is read as itself"
    )
    for name in ("out.md", "hop.md", "up.md"):
        assert f"a symbolic link to {outside}, outside the posts folder" in messages[name]
    assert messages["dangling.md"].startswith("cannot read")
    with pytest.raises(Exception, match="outside the posts folder"):
        from digest.sources.markdown import with_bodies

        [good] = [p for p in result.posts if p.source == "2026-11-20-good.md"]
        (posts / "2026-11-20-good.md").unlink()
        (posts / "2026-11-20-good.md").symlink_to(outside)  # swapped after loading
        with_bodies((good,), tmp_config())


def test_post_files_over_the_size_cap_are_skipped_unread(
    write_post: WritePost, tmp_config: MakeConfig, tmp_path: Path
) -> None:
    write_post("2026-11-20-good.md", GOOD, raw=True)
    write_post("2026-11-20-big.md", "---\ntitle: Big\n---\n" + "word " * 1000, raw=True)
    result = read_posts(tmp_config(max_post_bytes=2000))
    _expect_one_problem(result, "2026-11-20-big.md", "5,019 bytes, larger than the 2,000", None)
    assert "[selection] max_post_bytes" in result.problems[0].message
    assert Config().selection.max_post_bytes == 10_000_000
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "digest.toml").write_text("[selection]\nmax_post_bytes = 2000\n")
    from digest.config import load_config

    assert load_config(tmp_path / "site" / "digest.toml").selection.max_post_bytes == 2000
    assert len(read_posts(tmp_config()).posts) == 2  # the default lets it through


def test_not_utf8_names_its_line(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post("2026-11-20-good.md", GOOD, raw=True)
    (tmp_config().paths.posts / "latin1.md").write_bytes(b"---\ntitle: A\nauthor: Ren\xe9\n---\n")
    _expect_one_problem(read_posts(tmp_config()), "latin1.md", "not UTF-8 text (byte 24)", 3)


@pytest.mark.parametrize(
    ("front", "words"),
    [
        ("title: {a: 1}", "title must be text, found a mapping"),
        ("title: [a, b]", "title must be text, found a list"),
        ("title: !!binary aGVsbG8=", "title must be text, found binary data"),
        ("title: Yes", "title is true (a yes/no value), not text"),
        ("title: .nan", "title must be text, found a number"),
        ("title: A\nauthor: {a: 1}", "author is a mapping without a name"),
        ("title: A\nauthor: {name: {a: 1}}", "author name must be text, found a mapping"),
        ("title: A\nauthors: [Ann, [x, {y: 1}]]", "author must be text, found a list"),
        ("title: A\nauthor: !!binary aGVsbG8=", "author must be text, found binary data"),
        ("title: A\ncategories: [{a: 1}]", "category must be text, found a mapping"),
        ("title: A\ntags: {a: 1}", "tag must be text, found a mapping"),
        ("title: A\nimage: {src: /a.png, alt: [x]}", "image alt must be text, found a list"),
        ("title: A\nslug: {a: 1}", "slug must be text, found a mapping"),
    ],
)
def test_text_fields_that_are_not_text_are_a_warning(
    write_post: WritePost, tmp_config: MakeConfig, front: str, words: str
) -> None:
    write_post("2026-11-21-odd.md", f"---\n{front}\n---\nx\n", raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    _expect_one_problem(read_posts(tmp_config()), "2026-11-21-odd.md", words, None)


def test_numbers_and_dates_as_titles_are_their_text(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post(
        "2026-11-20-a.md", "---\ntitle: 1984\nauthor: 42\ntags: [2026, 3.5]\n---\n", raw=True
    )
    write_post("2026-11-20-b.md", "---\ntitle: 2026-11-19\n---\n", raw=True)
    posts = {p.source: p for p in read_posts(tmp_config()).posts}
    assert (posts["2026-11-20-a.md"].title, posts["2026-11-20-a.md"].author) == ("1984", "42")
    assert posts["2026-11-20-a.md"].tags == ("2026", "3.5")
    assert posts["2026-11-20-b.md"].title == "2026-11-19"


def test_a_huge_date_or_url_value_is_refused_quickly_in_one_short_line(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post(
        "date.md", '---\ntitle: A\ndate: "2026-01-01' + " " * 500_000 + 'x"\n---\n', raw=True
    )
    write_post(
        "2026-11-20-url.md", "---\ntitle: A\nurl: 'j:" + "x" * 500_000 + "'\n---\n", raw=True
    )
    write_post("2026-11-20-good.md", GOOD, raw=True)
    result = read_posts(tmp_config())
    assert [p.title for p in result.posts] == ["Good"]
    messages = {p.where: p.message for p in result.problems}
    assert messages["date.md"].startswith("bad date: date '2026-01-01")
    assert "is not an http(s) address" in messages["2026-11-20-url.md"]
    assert all(len(m) < 200 for m in messages.values()), messages


@pytest.mark.parametrize(
    ("opening", "closing", "item"), [("---\ntags: [", "]\n---\n", "a, "), ("{\n", "\n}\n", "   ")]
)
def test_frontmatter_over_a_million_characters_is_refused_unparsed(
    write_post: WritePost, tmp_config: MakeConfig, opening: str, closing: str, item: str
) -> None:
    write_post("huge.md", opening + item * 400_000 + closing + "x\n", raw=True)
    write_post("2026-11-20-good.md", GOOD, raw=True)
    _expect_one_problem(read_posts(tmp_config()), "huge.md", "more than the 1,000,000", 1)


def test_a_worker_that_dies_is_one_warning_not_a_hung_build(
    write_post: WritePost, tmp_config: MakeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parser crash or the out-of-memory killer ends a worker without an exception:
    multiprocessing.Pool then waits forever. The files are read again one by one."""
    import os
    import threading

    import digest.sources.markdown as loader

    for day in range(1, 21):
        write_post(f"2026-11-{day:02d}-p.md", f"---\ntitle: P{day}\n---\nx\n", raw=True)
    parse = loader.parse_post
    test_process = os.getpid()

    def dies_on_one(text: str, rel: str, config: Config):  # type: ignore[no-untyped-def]
        if rel == "2026-11-07-p.md" and os.getpid() != test_process:
            os._exit(3)  # only ever in a forked worker, never in the test process
        return parse(text, rel, config)

    monkeypatch.setattr(loader, "parse_post", dies_on_one)
    monkeypatch.setattr(loader.PendingLoad, "CHUNK", 4)
    box: list[object] = []

    def load() -> None:
        box.append(read_posts(tmp_config(), workers=2))

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(120)
    assert box, "the load hung on a dead worker"
    result = box[0]
    assert sorted(p.title for p in result.posts) == sorted(f"P{d}" for d in range(1, 21) if d != 7)
    [problem] = result.problems
    assert problem.where == "2026-11-07-p.md" and "the process reading it died" in problem.message
