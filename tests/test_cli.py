"""The command line: the contract editors and CI scripts rely on."""

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main

from .conftest import SAMPLE_UNTIL


def build(runner: CliRunner, project: Path, *extra: str):
    return runner.invoke(
        main,
        ["build", "--config", str(project / "digest.toml"), "--until", SAMPLE_UNTIL, *extra],
        catch_exceptions=False,
    )


def test_build_writes_html_text_and_manifest(runner: CliRunner, project: Path) -> None:
    result = build(runner, project)
    assert result.exit_code == 0, result.output
    out = project / "dist"
    assert sorted(p.name for p in out.iterdir()) == ["digest.html", "digest.json", "digest.txt"]
    data = json.loads((out / "digest.json").read_text())
    assert data["schema"] == 1
    assert set(data) == {
        "schema",
        "edition",
        "subject",
        "preheader",
        "window",
        "counts",
        "sections",
        "html_sha256",
        "text_sha256",
    }
    # five Markdown posts and three episodes of the sample podcast feed (posts/feeds/)
    assert data["counts"] == {"posts": 8, "excerpts": 8, "links": 0}
    assert data["html_sha256"] == hashlib.sha256((out / "digest.html").read_bytes()).hexdigest()
    assert data["edition"] == "digest"
    assert data["window"] == {"since": "2026-11-20", "until": "2026-11-26"}
    posts = [p for s in data["sections"] for p in s["posts"]]
    assert len(posts) == 8
    assert set(posts[0]) == {
        "title",
        "url",
        "date",
        "author",
        "categories",
        "excerpt",
        "source",
        "shown",
    }
    assert {p["shown"] for p in posts} == {"excerpt"}
    assert posts[0]["source"] == "2026-11-26-saying-no-without-closing-the-door.md"
    assert posts[0]["date"] == "2026-11-26T07:30:00+00:00"
    sources = {p["source"] for p in posts}
    assert "2026-11-20-draft-thoughts-on-appraisals.md" not in sources  # draft
    assert "2026-12-03-advent-of-small-improvements.md" not in sources  # future
    assert "8 posts from 2026-11-20 to 2026-11-26" in result.output
    assert (out / "digest.html").stat().st_mode & 0o644 == 0o644


def test_flags_override_config(runner: CliRunner, project: Path) -> None:
    out = project / "elsewhere"
    result = build(
        runner,
        project,
        "--since",
        "14d",
        "-c",
        "book review",
        "-c",
        "Interview",
        "--limit",
        "3",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "digest.json").read_text())
    assert data["window"]["since"] == "2026-11-13"
    titles = [p["title"] for s in data["sections"] for p in s["posts"]]
    assert titles == [
        "Book review: The Quiet Rota",  # the three newest, grouped in configured section order
        "A reading list for new ward sisters",
        "Ten minutes with… a night-shift ward manager",
    ]
    assert [s["title"] for s in data["sections"]] == ["Book reviews", "Interviews"]


def test_exclude_category_and_explicit_since(runner: CliRunner, project: Path) -> None:
    result = build(runner, project, "--since", "2026-11-23", "--exclude-category", "greener leader")
    assert result.exit_code == 0, result.output
    data = json.loads((project / "dist" / "digest.json").read_text())
    assert [p["title"] for s in data["sections"] for p in s["posts"]] == [
        "Saying no without closing the door",
        "Missed appointments are a map, not a moral failing",
        "Book review: The Quiet Rota",
        "Episode 15: Teaching the rota to say thank you",  # the podcast's own section
    ]


def test_output_is_byte_identical_across_runs(runner: CliRunner, project: Path) -> None:
    build(runner, project)
    first = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    build(runner, project)
    assert {p.name: p.read_bytes() for p in (project / "dist").iterdir()} == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "'last week' is not a date like 2026-11-19"),
        (["--until", "2026-02-30"], "not a date like 2026-11-19"),
        (["--limit", "0"], "--limit"),
        (["--no-such-flag"], "No such option"),
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, project: Path, args: list[str], message: str
) -> None:
    result = build(runner, project, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_empty_window_is_a_usage_error(runner: CliRunner, project: Path) -> None:
    result = build(runner, project, "--since", "2026-12-01")
    assert result.exit_code == 2
    assert (
        "error: the window is empty: --since 2026-12-01 is after --until 2026-11-26"
        in result.output
    )


def test_config_and_content_errors_exit_1(runner: CliRunner, project: Path) -> None:
    result = build(runner, project, "--posts", str(project / "missing"))
    assert result.exit_code == 1
    assert "error: posts folder not found" in result.output
    (project / "digest.toml").write_text('[site]\ntimezone = "Nowhere/Land"\n')
    result = build(runner, project)
    assert result.exit_code == 1
    assert "[site] timezone: expected an IANA time zone name" in result.output
    assert "Traceback" not in result.output


def test_malformed_post_warns_and_build_goes_on_unless_strict(
    runner: CliRunner, project: Path
) -> None:
    (project / "posts" / "2026-11-25-broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    result = build(runner, project)
    assert result.exit_code == 0, result.output
    assert "warning: 2026-11-25-broken.md:3: invalid YAML frontmatter" in result.output
    before = (project / "dist" / "digest.html").read_bytes()

    result = build(runner, project, "--strict", "--limit", "1")
    assert result.exit_code == 1
    assert "warning: 2026-11-25-broken.md:3" in result.output
    assert "error: --strict: 1 warning turned into failure" in result.output
    assert (project / "dist" / "digest.html").read_bytes() == before  # nothing written


def test_failed_run_leaves_earlier_output_intact(runner: CliRunner, project: Path) -> None:
    assert build(runner, project).exit_code == 0
    before = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    templates = project / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("{% for %}\n")
    result = build(runner, project, "--templates", str(templates))
    assert result.exit_code == 1
    assert "digest.txt.j2:1: template syntax error" in result.output
    assert {p.name: p.read_bytes() for p in (project / "dist").iterdir()} == before
    assert not list((project / "dist").glob(".*.tmp"))


def test_nothing_selected_writes_nothing(runner: CliRunner, project: Path) -> None:
    result = build(runner, project, "--until", "2020-01-01")
    assert result.exit_code == 0
    assert "nothing to send: no posts dated 2019-12-26 to 2020-01-01" in result.output
    assert not (project / "dist").exists()


def test_runs_on_defaults_without_a_config_file(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "digest.toml").unlink()
    monkeypatch.chdir(project)
    result = runner.invoke(
        main, ["build", "--until", SAMPLE_UNTIL, "--base-url", "https://b.example/"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((project / "dist" / "digest.json").read_text())
    assert data["sections"][0]["posts"][0]["url"].startswith("https://b.example/2026/11/")


def test_list_table_and_json(runner: CliRunner, project: Path) -> None:
    args = ["list", "--config", str(project / "digest.toml"), "--until", SAMPLE_UNTIL]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split() == ["date", "section", "title", "author", "source"]
    assert "8 posts from 2026-11-20 to 2026-11-26" in table.output
    as_json = runner.invoke(main, [*args, "--json"])
    data = json.loads(as_json.output)
    assert len([p for s in data["sections"] for p in s["posts"]]) == 8
    assert not (project / "dist").exists()


def test_quiet_and_verbose(runner: CliRunner, project: Path) -> None:
    quiet = build(runner, project, "-q")
    assert quiet.exit_code == 0 and quiet.output == ""
    verbose = build(runner, project, "-v")
    assert "digest: 34 posts loaded (drafts left out: 1); 8 selected" in verbose.output


def test_python_dash_m_and_version(runner: CliRunner) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("digest (digest-newsletter, the newsletter digest tool) ")


def test_progress_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from digest import cli

    with cli._progress("loading posts", quiet=False) as update:
        assert update is None  # captured stderr is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with cli._progress("loading posts", quiet=True) as update:
        assert update is None  # -q
    with cli._progress("loading posts", quiet=False) as update:
        assert update is not None
        update(500, 1000)
        update(1000, 1000)
    assert "loading posts" in capsys.readouterr().err


@pytest.mark.parametrize("server", ["nohost", "127.0.0.1:", "127.0.0.1:99999", ":25", "[::1]:x"])
def test_smtp_takes_host_port_and_says_what_it_expected(
    runner: CliRunner, tmp_path: Path, server: str
) -> None:
    result = runner.invoke(main, ["send", str(tmp_path), "--smtp", server, "--to", "a@example.org"])
    assert result.exit_code == 2
    assert "expected HOST:PORT, e.g. 127.0.0.1:1025" in result.output
    assert "Traceback" not in result.output


def test_host_port_parses_ipv6_and_names() -> None:
    from digest.cli import _HostPort

    assert _HostPort().convert("[::1]:1025", None, None) == ("::1", 1025)
    assert _HostPort().convert("mail.example.org:587", None, None) == ("mail.example.org", 587)
