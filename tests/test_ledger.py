"""The ledger, only-new builds, rebuilds and the archive."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import ledger
from digest.cli import main
from digest.config import load_config
from digest.delivery import rebuild, record
from digest.errors import DigestError, ExportError
from digest.pipeline import build

UNTIL = "2026-11-26"


def cli(runner: CliRunner, project: Path, *args: str):
    return runner.invoke(
        main, [args[0], "--config", str(project / "digest.toml"), *args[1:]], catch_exceptions=False
    )


def issue(n: int, edition: str = "weekly") -> ledger.Issue:
    return ledger.Issue(
        id=f"{edition}-2026-11-26",
        edition=edition,
        recorded="2026-11-26T09:00:00+00:00",
        since="2026-11-20",
        until="2026-11-26",
        subject=f"Issue {n}",
        posts=(ledger.SentPost(url=f"https://x.example/{n}/", source=f"{n}.md", sha256="0" * 64),),
        html_sha256=f"{n:064d}",
        text_sha256=f"{n:064d}",
    )


def test_append_read_unique_ids_and_idempotence(tmp_path: Path) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    assert ledger.read(path) == ()
    first = ledger.append(path, issue(1))
    second = ledger.append(path, issue(2))
    again = ledger.append(path, issue(1))
    assert (first.id, second.id, again.id) == (
        "weekly-2026-11-26",
        "weekly-2026-11-26-2",
        "weekly-2026-11-26",
    )
    assert [i.subject for i in ledger.read(path)] == ["Issue 1", "Issue 2"]
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["edition"] == "weekly" for line in lines)
    assert ledger.sent_keys(ledger.read(path), "weekly") >= {"https://x.example/1/", "source:2.md"}
    assert ledger.sent_keys(ledger.read(path), "other") == frozenset()


def _append_many(args: tuple[str, int]) -> None:
    path, worker = args
    for n in range(5):
        ledger.append(Path(path), issue(worker * 100 + n, edition=f"e{worker}"))


def test_concurrent_appends_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    with mp.get_context("fork").Pool(8) as pool:
        pool.map(_append_many, [(str(path), w) for w in range(8)])
    issues = ledger.read(path)
    assert len(issues) == 40
    assert len({i.id for i in issues}) == 40
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_crash_mid_write_leaves_the_ledger_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    ledger.append(path, issue(1))
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(ExportError, match="cannot write: disk full"):
        ledger.append(path, issue(2))
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_damaged_ledger_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    path.write_text(issue(1).to_line() + "\n{not json\n")
    with pytest.raises(ledger.LedgerError, match="line 2 is not a ledger entry"):
        ledger.read(path)


def test_new_only_after_mark_sent(runner: CliRunner, project: Path) -> None:
    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    result = cli(runner, project, "mark-sent", str(project / "dist"))
    assert result.exit_code == 0 and "recorded digest-2026-11-26 (5 posts)" in result.output
    result = cli(
        runner, project, "build", "--until", UNTIL, "--new-only", "--out", str(project / "again")
    )
    assert result.exit_code == 0
    assert "nothing to send: no new posts dated 2026-11-20 to 2026-11-26" in result.output
    assert not (project / "again").exists()
    result = cli(
        runner,
        project,
        "build",
        "--until",
        UNTIL,
        "--new-only",
        "--allow-empty",
        "--out",
        str(project / "empty"),
    )
    assert result.exit_code == 0
    assert (
        "No new posts this week. See you next time."
        in (project / "empty" / "digest.txt").read_text()
    )

    # a backdated post, added after that issue went out, goes out once in the next one
    (project / "posts" / "2026-11-22-late.md").write_text(
        "---\ntitle: A late post\ncategories: [Leadership]\n---\nLate.\n"
    )
    # an updated post (new title, same file and URL) does not go out again
    sent = project / "posts" / "2026-11-25-review-the-quiet-rota.md"
    sent.write_text(
        sent.read_text().replace(
            "Book review: The Quiet Rota", "Book review: The Quiet Rota (updated)"
        )
    )
    result = cli(
        runner,
        project,
        "build",
        "--until",
        "2026-12-03",
        "--new-only",
        "--out",
        str(project / "next"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads((project / "next" / "digest.json").read_text())
    titles = [p["title"] for s in data["sections"] for p in s["posts"]]
    assert sorted(titles) == ["A late post", "An advent calendar of small improvements"]
    assert cli(runner, project, "mark-sent", str(project / "next")).exit_code == 0
    result = cli(
        runner,
        project,
        "build",
        "--until",
        "2026-12-03",
        "--new-only",
        "--out",
        str(project / "third"),
    )
    assert "nothing to send" in result.output


def test_new_only_without_a_ledger_sends_the_window_not_a_backlog(project: Path) -> None:
    config = replace(load_config(project / "digest.toml"), until=date(2026, 11, 26), new_only=True)
    result = build(config, write=False)
    assert len(result.digest.entries) == 5


def test_rebuild_is_byte_for_byte_or_says_what_changed(runner: CliRunner, project: Path) -> None:
    config = load_config(project / "digest.toml")
    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    record(config, project / "dist", via="test")
    result = cli(runner, project, "rebuild", "digest-2026-11-26")
    assert result.exit_code == 0, result.output
    for name in ("digest.html", "digest.txt", "digest.json"):
        assert (project / "dist" / "rebuild" / "digest-2026-11-26" / name).read_bytes() == (
            project / "dist" / name
        ).read_bytes()
    post = project / "posts" / "2026-11-23-missed-appointments-are-a-map.md"
    post.write_text(post.read_text().replace("stranded", "left behind"))
    with pytest.raises(
        ExportError,
        match=r"cannot be reproduced byte for byte: 2026-11-23-missed-appointments-are-a-map.md changed",
    ):
        rebuild(config, "digest-2026-11-26", project / "r2")
    assert not (project / "r2").exists()
    rebuild(config, "digest-2026-11-26", project / "r2", force=True)
    assert (project / "r2" / "digest.html").is_file()
    result = cli(runner, project, "rebuild", "nope")
    assert (
        result.exit_code == 1
        and "no issue 'nope' in the ledger (issues: digest-2026-11-26)" in result.output
    )


def test_archive_lists_issues_with_relative_links(runner: CliRunner, project: Path) -> None:
    config = load_config(project / "digest.toml")
    with pytest.raises(DigestError, match="the ledger has no issues yet"):
        from digest.archive import write_archive

        write_archive(config, project / "site")
    assert cli(runner, project, "build", "--until", UNTIL, "--all-editions").exit_code == 0
    assert cli(runner, project, "mark-sent", str(project / "dist" / "leadership")).exit_code == 0
    assert (
        cli(runner, project, "mark-sent", str(project / "dist" / "sustainability")).exit_code == 0
    )
    result = cli(runner, project, "archive", "--out", str(project / "site"))
    assert result.exit_code == 0, result.output
    index = (project / "site" / "index.html").read_text()
    assert 'href="leadership-2026-11-26/"' in index and 'href="sustainability-2026-11-26/"' in index
    assert "Leadership weekly: Saying no without closing the door" in index
    links = re.findall(r'href="([^"]+)"', index)
    assert links and all(not h.startswith(("/", "http")) for h in links)
    page = (project / "site" / "leadership-2026-11-26" / "index.html").read_text()
    assert (project / "dist" / "leadership" / "digest.html").read_text() == page


def test_archive_loads_the_posts_once_for_all_issues(
    runner: CliRunner, project: Path, monkeypatch
) -> None:
    from digest import archive, pipeline

    assert cli(runner, project, "build", "--until", UNTIL, "--all-editions").exit_code == 0
    for edition in ("leadership", "sustainability"):
        assert cli(runner, project, "mark-sent", str(project / "dist" / edition)).exit_code == 0
    loads: list[int] = []
    real = pipeline.load

    def counting(config, **kwargs):
        loads.append(1)
        return real(config, **kwargs)

    monkeypatch.setattr(archive, "load", counting)
    monkeypatch.setattr(pipeline, "load", counting)
    files = archive.write_archive(load_config(project / "digest.toml"), project / "site")
    assert len(loads) == 1
    assert {f.relative_to(project / "site").as_posix() for f in files} == {
        "index.html",
        "leadership-2026-11-26/index.html",
        "leadership-2026-11-26/digest.txt",
        "sustainability-2026-11-26/index.html",
        "sustainability-2026-11-26/digest.txt",
    }
