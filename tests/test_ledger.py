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
from digest.config import LEDGER_NAME, load_config
from digest.delivery import record
from digest.errors import DigestError, ExportError
from digest.pipeline import build, rebuild

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
    assert result.exit_code == 0 and "recorded digest-2026-11-26 (8 posts)" in result.output
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
    config = load_config(project / "digest.toml").but(until=date(2026, 11, 26), new_only=True)
    result = build(config, write=False)
    assert len(result.digest.entries) == 8  # 5 posts, 3 podcast episodes


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


DAMAGED_LINES = [
    ("[]", "expected a JSON object, found a list []"),
    ("1", "expected a JSON object, found a number 1"),
    ('"x"', 'expected a JSON object, found text "x"'),
    ("null", "expected a JSON object, found null"),
    ("true", "expected a JSON object, found true/false true"),
    ("{not json", "Expecting property name enclosed in double quotes"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"id": "x"}', "'edition' is missing"),
]


def _wrong(key: str, value: object) -> str:
    data = json.loads(issue(9).to_line())
    data[key] = value
    return json.dumps(data)


WRONG_TYPES = [
    (_wrong("id", 7), "'id': expected text, found a number 7"),
    (_wrong("subject", None), "'subject': expected text, found null"),
    (_wrong("until", "2026-02-30"), "'until': not a date like 2026-11-26: '2026-02-30'"),
    (_wrong("posts", "a.md"), "'posts': expected a list, found text \"a.md\""),
    (_wrong("posts", [1]), "'posts'[0]: expected a JSON object, found a number 1"),
    (_wrong("posts", [{"url": ["u"], "source": "a.md"}]), "'posts'[0].url: expected text"),
    (_wrong("extra", []), "'extra': expected an object, found a list []"),
]


@pytest.mark.parametrize(("line", "why"), DAMAGED_LINES + WRONG_TYPES)
def test_a_damaged_ledger_line_of_any_type_is_one_clear_error(
    runner: CliRunner, project: Path, line: str, why: str
) -> None:
    path = project / LEDGER_NAME
    path.write_text(issue(1).to_line() + "\n" + line + "\n")
    with pytest.raises(ledger.LedgerError, match="line 2 is not a ledger entry") as caught:
        ledger.read(path)
    assert why in str(caught.value) and str(caught.value).startswith(str(path))
    for args in (
        ("build", "--until", UNTIL, "--new-only"),
        ("rebuild", "weekly-2026-11-26"),
        ("build", "--until", UNTIL),  # builds, then cannot record it
    ):
        result = runner.invoke(main, [args[0], "--config", str(project / "digest.toml"), *args[1:]])
        if args == ("build", "--until", UNTIL):
            result = cli(runner, project, "mark-sent", str(project / "dist"))
        assert result.exit_code == 1, result.output
        assert f"error: {path}: line 2 is not a ledger entry: " in result.output
        assert "internal error" not in result.output and "Traceback" not in result.output
    assert path.read_text().splitlines()[1] == line  # and a failed record changed nothing


def test_unknown_keys_in_the_ledger_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    data = json.loads(issue(1).to_line())
    data["delivered_to"] = {"mailchimp": "c-1"}  # what a newer digest might add
    data["posts"][0]["title"] = "a newer key in a post"
    written = json.dumps(data) + "\n"
    path.write_text(written)
    [read] = ledger.read(path)
    assert read.subject == "Issue 1" and read.posts[0].source == "1.md"
    ledger.append(path, issue(2))
    assert path.read_text().startswith(written)
    assert [i.subject for i in ledger.read(path)] == ["Issue 1", "Issue 2"]


def test_append_refuses_an_unsafe_id_or_edition(tmp_path: Path) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    for bad in (replace(issue(1), id="../../x"), replace(issue(1), edition="../x", id="ok")):
        with pytest.raises(ledger.LedgerError, match="refusing to record issue"):
            ledger.append(path, bad)
    assert not path.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "../../../evil"}, "'id': '../../../evil' is not a valid name"),
        ({"edition": "a/b"}, "'edition': 'a/b' is not a valid name"),
        ({"recorded": "notadate"}, "'recorded': not a date and time"),
    ],
)
def test_a_ledger_line_with_an_unsafe_name_or_bad_time_is_refused_everywhere(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    path = tmp_path / "digest-ledger.jsonl"
    data = {**json.loads(issue(1).to_line()), **change}
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(ledger.LedgerError, match=re.escape(message)):
        ledger.read(path)
