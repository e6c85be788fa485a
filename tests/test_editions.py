"""Editions: one digest per audience, rendered in parallel, optionally exclusive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config
from digest.delivery import export
from digest.errors import ConfigError, UsageError
from digest.pipeline import build_editions

from .conftest import REPO

UNTIL = date(2026, 11, 26)


def titles(path: Path) -> list[str]:
    data = json.loads((path / "digest.json").read_text())
    return [p["title"] for s in data["sections"] for p in s["posts"]]


def test_sample_declares_two_editions() -> None:
    config = load_config(REPO / "digest.toml")
    assert [(e.name, e.priority) for e in config.editions] == [
        ("leadership", 10),
        ("sustainability", 5),
    ]


def test_all_editions_each_to_its_own_folder(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        main,
        [
            "build",
            "--config",
            str(project / "digest.toml"),
            "--until",
            "2026-11-26",
            "--all-editions",
        ],
    )
    assert result.exit_code == 0, result.output
    assert titles(project / "dist" / "leadership") == [
        "Saying no without closing the door",
        "Book review: The Quiet Rota",
        "Ten minutes with… a night-shift ward manager",
        "Episode 13: Five minutes before the shift",  # the sample podcast, in Leadership
    ]
    assert titles(project / "dist" / "sustainability") == [
        "Greener Leader #7: the anaesthetic gas we stopped buying",
        "Missed appointments are a map, not a moral failing",
    ]
    data = json.loads((project / "dist" / "sustainability" / "digest.json").read_text())
    assert data["edition"] == "sustainability"
    assert data["subject"] == "Greener Leader: 2 new posts this week"
    assert (
        "sustainable and fair healthcare"
        in (project / "dist" / "sustainability" / "digest.txt").read_text()
    )
    single = runner.invoke(
        main,
        [
            "build",
            "--config",
            str(project / "digest.toml"),
            "--until",
            "2026-11-26",
            "--edition",
            "nope",
        ],
    )
    assert (
        single.exit_code == 2
        and "unknown edition 'nope'; choose from: leadership, sustainability" in single.output
    )


def test_exclusive_editions_leave_shared_posts_to_the_higher_priority(project: Path) -> None:
    config = load_config(project / "digest.toml").but(until=UNTIL)
    shared = project / "posts" / "2026-11-24-greener-leader-7-anaesthetic-gases.md"
    shared.write_text(
        shared.read_text().replace(
            'categories = ["Greener Leader", "Sustainability"]',
            'categories = ["Greener Leader", "Leadership"]',
        )
    )
    both = build_editions(config, ["leadership", "sustainability"], write=False)
    title = "Greener Leader #7: the anaesthetic gas we stopped buying"
    assert title in [e.post.title for e in both["leadership"].digest.entries]
    assert title in [e.post.title for e in both["sustainability"].digest.entries]
    exclusive = build_editions(
        config.but(exclusive_editions=True), ["sustainability", "leadership"], write=False
    )
    assert title in [e.post.title for e in exclusive["leadership"].digest.entries]
    assert title not in [e.post.title for e in exclusive["sustainability"].digest.entries]


def test_parallel_rendering_matches_sequential(project: Path) -> None:
    config = load_config(project / "digest.toml").but(until=UNTIL)
    names = ["leadership", "sustainability"]
    parallel = build_editions(config, names, write=False, workers=2)
    sequential = build_editions(config, names, write=False, workers=1)
    assert {k: v.rendered for k, v in parallel.items()} == {
        k: v.rendered for k, v in sequential.items()
    }


def test_edition_templates_and_export_targets(project: Path) -> None:
    (project / "templates" / "green").mkdir(parents=True)
    (project / "templates" / "green" / "digest.txt.j2").write_text(
        '{% extends "builtin/digest.txt.j2" %}{% block header %}GREEN EDITION{% endblock %}'
    )
    toml = project / "digest.toml"
    toml.write_text(
        toml.read_text().replace(
            "[editions.sustainability]\n",
            '[editions.sustainability]\ntemplates = "templates/green"\n',
        )
    )
    config = load_config(toml).but(until=UNTIL)
    results = build_editions(config, ["sustainability", "leadership"])
    assert results["sustainability"].rendered.text.startswith("GREEN EDITION")
    assert not results["leadership"].rendered.text.startswith("GREEN EDITION")
    edition = config.for_edition("sustainability")
    [exported] = export(edition, edition.paths.out, ["mailchimp"])
    campaign = json.loads(exported.files[0].read_text())["campaign"]
    assert campaign["recipients"]["list_id"] == "green9a2b7"


def test_edition_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('[editions."Bad Name"]\ncategories = ["x"]\n')
    with pytest.raises(ConfigError, match="names are lowercase letters"):
        load_config(path)
    path.write_text("[editions.a]\ncolour = 1\n")
    with pytest.raises(ConfigError, match="edition 'a': unknown key 'colour'"):
        load_config(path)
    from digest.config import Config

    with pytest.raises(UsageError, match="unknown edition 'a'; choose from: none are declared"):
        Config().for_edition("a")


def test_list_shows_an_editions_selection(runner: CliRunner, project: Path) -> None:
    result = runner.invoke(
        main,
        [
            "list",
            "--config",
            str(project / "digest.toml"),
            "--until",
            "2026-11-26",
            "--edition",
            "sustainability",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["edition"] == "sustainability"
    assert [p["title"] for s in data["sections"] for p in s["posts"]] == [
        "Greener Leader #7: the anaesthetic gas we stopped buying",
        "Missed appointments are a map, not a moral failing",
    ]


def test_exporting_an_edition_folder_uses_the_editions_targets(
    runner: CliRunner, project: Path
) -> None:
    toml = str(project / "digest.toml")
    assert (
        runner.invoke(
            main, ["build", "--config", toml, "--until", "2026-11-26", "--all-editions"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        ["export", "--config", toml, "--to", "mailchimp", str(project / "dist" / "leadership")],
    )
    assert result.exit_code == 0, result.output
    campaign = json.loads(
        (project / "dist" / "leadership" / "export" / "mailchimp.json").read_text()
    )["campaign"]
    assert campaign["recipients"]["list_id"] == "lead5c4f1e"
    result = runner.invoke(
        main, ["mark-sent", "--config", toml, str(project / "dist" / "sustainability")]
    )
    assert "recorded sustainability-2026-11-26" in result.output


def test_a_broken_post_is_reported_once_not_per_edition(project: Path, caplog) -> None:
    (project / "posts" / "2026-11-25-broken.md").write_text("---\ntitle: [oops\n---\n")
    config = load_config(project / "digest.toml").but(until=UNTIL)
    with caplog.at_level("WARNING", logger="digest"):
        results = build_editions(config, ["leadership", "sustainability"], write=False)
    assert sum("2026-11-25-broken.md" in r.getMessage() for r in caplog.records) == 1
    assert all(any(p.where == "2026-11-25-broken.md" for p in r.warnings) for r in results.values())


def test_preview_takes_edition_like_build(
    project: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import digest.preview

    seen: list[str] = []

    class FakePreview:
        def __init__(self, configure, port: int) -> None:
            self.configure = configure
            self.url = f"http://127.0.0.1:{port}/"

        def start(self) -> FakePreview:
            seen.append(self.configure().run.edition)
            return self

        def stop(self) -> None:
            seen.append("stopped")

    class Interrupted:
        def wait(self) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(digest.preview, "Preview", FakePreview)
    monkeypatch.setattr(threading, "Event", Interrupted)
    args = ["preview", "--config", str(project / "digest.toml"), "--no-open", "--port", "0"]
    result = runner.invoke(main, [*args, "--edition", "leadership"])
    assert result.exit_code == 0, result.output
    assert seen == ["leadership", "stopped"]
    unknown = runner.invoke(main, [*args, "--edition", "nope"])
    assert unknown.exit_code != 0 and "nope" in unknown.output
