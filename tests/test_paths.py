"""Every write stays inside its root: --out guards, safe names, consistent builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main

UNTIL = "2026-11-26"


def cli(runner: CliRunner, project: Path, *args: str):
    return runner.invoke(main, [args[0], "--config", str(project / "digest.toml"), *args[1:]])


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# --- --out refuses the project's own folders -----------------------------------------------


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("posts", "it is the posts folder"),
        ("posts/2026", "it is inside the posts folder"),
        ("templates", "it is the templates folder"),
        ("templates/x", "it is inside the templates folder"),
        (".", "it is the project folder (where digest.toml is)"),
        ("..", "it contains the posts folder"),
    ],
)
def test_build_refuses_an_out_folder_of_the_project(
    runner: CliRunner, project: Path, out: str, why: str
) -> None:
    (project / "templates").mkdir()
    before = tree(project)
    result = cli(runner, project, "build", "--until", UNTIL, "--out", str(project / out))
    assert result.exit_code == 1, result.output
    assert f"refusing to write the digest to {(project / out).resolve()}: {why}" in result.output
    assert "internal error" not in result.output and len(result.output.splitlines()) == 1
    assert tree(project) == before


def test_build_refuses_the_home_folder_and_the_root(
    runner: CliRunner, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = cli(runner, project, "build", "--until", UNTIL, "--out", str(home))
    assert result.exit_code == 1 and "it is your home folder" in result.output
    assert list(home.iterdir()) == []
    result = cli(runner, project, "build", "--until", UNTIL, "--out", "/")
    assert result.exit_code == 1 and "it is the root of the file system" in result.output
    # [paths] out in digest.toml is held to the same rule as --out
    toml = project / "digest.toml"
    toml.write_text(toml.read_text().replace('out = "dist"', 'out = "posts"'))
    result = cli(runner, project, "build", "--until", UNTIL)
    assert result.exit_code == 1 and "it is the posts folder" in result.output
    result = cli(runner, project, "build", "--until", UNTIL, "--all-editions")
    assert result.exit_code == 1 and "it is the posts folder" in result.output


def test_an_ordinary_out_folder_inside_the_project_is_fine(
    runner: CliRunner, project: Path
) -> None:
    result = cli(runner, project, "build", "--until", UNTIL, "--out", str(project / "site/news"))
    assert result.exit_code == 0, result.output
    assert (project / "site" / "news" / "digest.html").is_file()


def test_rebuild_and_archive_refuse_the_posts_folder(runner: CliRunner, project: Path) -> None:
    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    assert cli(runner, project, "mark-sent", str(project / "dist")).exit_code == 0
    before = tree(project / "posts")
    for args in (
        ("rebuild", "digest-2026-11-26", "--out", str(project / "posts")),
        ("archive", "--out", str(project / "posts" / "site")),
    ):
        result = cli(runner, project, *args)
        assert result.exit_code == 1, result.output
        assert "refusing to write the digest to" in result.output
    assert tree(project / "posts") == before
