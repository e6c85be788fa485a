"""Messages an editor can act on: each names the cause and the way out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.wording import plural

from .conftest import REPO


def cli(runner: CliRunner, project: Path, *args: str):
    return runner.invoke(
        main, [args[0], "--config", str(project / "digest.toml"), "--no-cache", *args[1:]]
    )


def test_an_empty_window_names_the_newest_post_and_a_since_that_takes_it_in(
    runner: CliRunner, project: Path
) -> None:
    # the sample's posts run from 2026-09-18 to 2026-12-03
    result = cli(runner, project, "build", "--since", "2027-01-01", "--until", "2027-01-07")
    assert result.exit_code == 0, result.output
    assert (
        "nothing to send: no posts dated 2027-01-01 to 2027-01-07; the newest is dated "
        "2026-12-03 (try --since 2026-11-27 --until 2026-12-03)" in result.output
    )
    # the suggestion works: that window holds the newest post
    again = cli(runner, project, "list", "--since", "2026-11-27", "--until", "2026-12-03")
    assert "2026-12-03" in again.output


def test_a_window_before_every_post_suggests_until(runner: CliRunner, project: Path) -> None:
    result = cli(runner, project, "list", "--since", "2020-01-01", "--until", "2020-01-07")
    assert "every post is dated after the window; the first is dated 2026-09-18" in result.output
    assert "(try --until 2026-09-18)" in result.output


def test_a_window_emptied_by_filters_says_so(runner: CliRunner, project: Path) -> None:
    out = project / "filtered"
    result = cli(
        runner, project, "build", "--until", "2026-11-26", "-c", "Patient Safety", "--out", str(out)
    )
    assert "8 posts dated in the window, left out by the category filters" in result.output
    assert not out.exists()


def test_a_category_that_matches_no_post_lists_the_real_ones_closest_first(
    runner: CliRunner, project: Path
) -> None:
    result = cli(runner, project, "list", "--until", "2026-11-26", "-c", "Leadershp")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "Leadershp" in x)
    assert line.startswith("warning: --category: no post has the category 'Leadershp'; ")
    assert line.split("categories (closest first): ")[1].startswith("Leadership, ")
    strict = cli(runner, project, "list", "--until", "2026-11-26", "-c", "Leadershp", "--strict")
    assert strict.exit_code == 1


def test_a_bad_flag_value_names_the_flag_not_the_file(runner: CliRunner, project: Path) -> None:
    result = cli(runner, project, "build", "-c", "")
    assert result.exit_code == 2  # a bad command-line value is a usage error
    assert "error: --category: expected a list of non-empty strings" in result.output
    assert "digest.toml" not in result.output


@pytest.mark.parametrize(("count", "text"), [(0, "0 posts"), (1, "1 post"), (2, "2 posts")])
def test_plural(count: int, text: str) -> None:
    assert plural(count, "post") == text
    assert plural(count, "entry", "entries").endswith("entry" if count == 1 else "entries")


def test_one_post_is_one_post(runner: CliRunner, project: Path) -> None:
    result = cli(runner, project, "list", "--since", "2026-11-26", "--until", "2026-11-26")
    assert "\n1 post from 2026-11-26 to 2026-11-26" in result.output
    built = cli(runner, project, "build", "--since", "2026-11-26", "--until", "2026-11-26")
    assert "1 post from 2026-11-26 to 2026-11-26" in built.output
    assert "1 posts" not in built.output + result.output


def test_a_runtime_template_error_names_the_file_and_line(runner: CliRunner, project: Path) -> None:
    templates = project / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text(
        '{% extends "builtin/digest.txt.j2" %}\n'
        "{% block footer %}\n"
        "Bye.\n"
        "{{ digest.site_name.nope.deeper }}\n"
        "{% endblock %}\n",
        encoding="utf-8",
    )
    result = cli(runner, project, "build", "--until", "2026-11-26", "--templates", str(templates))
    assert result.exit_code == 1
    assert f"error: {templates / 'digest.txt.j2'}:4: template error:" in result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    ("key", "template"),
    [
        ("subject", "{% for i in range(100000000) %}{% endfor %}x"),
        ("intro", "{% include 'x' %}"),
        ("subject", "{{ 1 / 0 }}"),
    ],
)
def test_a_config_template_that_fails_is_one_clear_error(
    runner: CliRunner, project: Path, key: str, template: str
) -> None:
    (project / "digest.toml").write_text(
        f'[site]\nurl = "https://x.example/"\n[digest]\n{key} = {template!r}\n'
    )
    result = cli(runner, project, "build", "--until", "2026-11-26")
    assert result.exit_code == 1, result.output
    assert f"[digest] {key}: cannot render" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_templates_that_include_themselves_are_one_clear_error(
    runner: CliRunner, project: Path
) -> None:
    templates = project / "templates"
    templates.mkdir()
    (templates / "digest.mjml.j2").write_text('{% include "digest.mjml.j2" %}\n')
    result = cli(runner, project, "build", "--until", "2026-11-26", "--templates", str(templates))
    assert result.exit_code == 1
    assert "include or extend each other without end" in result.output
    assert "internal error" not in result.output


def test_posts_without_a_site_address_say_what_to_set(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no digest.toml here, nor a site address
    shutil.copytree(REPO / "posts", tmp_path / "posts")
    result = runner.invoke(
        main, ["build", "--posts", str(tmp_path / "posts"), "--until", "2026-11-26", "--no-cache"]
    )
    assert result.exit_code == 1, result.output
    assert "could be used (the warnings above say why); set [site] url in digest.toml" in (
        result.output
    )
    assert "no posts were loaded at all" not in result.output
    assert "digest.toml: no sender" not in result.output  # there is no digest.toml to name


def test_a_source_of_drafts_only_says_so(runner: CliRunner, tmp_path: Path) -> None:
    """Nothing selected because every item is unpublished: the message says that, not
    "no posts were loaded at all"."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for n in range(3):
        (posts / f"d{n}.md").write_text(
            f"---\ntitle: D{n}\ndate: 2026-11-24\ndraft: true\n---\nx\n"
        )
    (tmp_path / "digest.toml").write_text('[site]\nurl = "https://x.example/"\n')
    result = runner.invoke(
        main, ["build", "--config", str(tmp_path / "digest.toml"), "--until", "2026-11-26"]
    )
    assert "no published posts were loaded: 3 posts left out as drafts" in result.output
    assert "no posts were loaded at all" not in result.output
