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
from digest.posts import read_posts

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
