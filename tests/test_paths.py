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
    """Every path below ``folder`` (but the cache, which builds may write)."""
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    return {p for p in found if not p.startswith(".digest-cache")}


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


# --- edition names and ledger ids ------------------------------------------------------------


def test_is_safe_name() -> None:
    from digest.manifest import is_safe_name

    good = ["digest", "digest-2026-11-26", "Weekly_2", "a.b", "x" * 200]
    bad = ["", ".", "..", ".hidden", "../x", "a/b", "a\\b", "a b", "é", "x" * 201, "a\n", None, 7]
    assert all(is_safe_name(n) for n in good)
    assert not any(is_safe_name(n) for n in bad)


def test_an_edition_that_climbs_out_of_the_manifest_is_refused(
    runner: CliRunner, project: Path, tmp_path: Path
) -> None:
    """The red-team case: an edition of ../../../x in a manifest, then rebuild --force."""
    import json

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    manifest = project / "dist" / "digest.json"
    data = json.loads(manifest.read_text())
    data["edition"] = "../../../x"
    manifest.write_text(json.dumps(data))
    for command in ("mark-sent", "export"):
        args = [command, str(project / "dist")] + (["--to", "eml"] if command == "export" else [])
        result = cli(runner, project, *args)
        assert result.exit_code == 1, result.output
        assert f"{manifest}: not a valid digest manifest: edition '../../../x'" in result.output
    assert not (project / "digest-ledger.jsonl").exists()

    # a ledger written by hand (or by an older digest) with such an id
    data["edition"] = "digest"
    manifest.write_text(json.dumps(data))
    assert cli(runner, project, "mark-sent", str(project / "dist")).exit_code == 0
    path = project / "digest-ledger.jsonl"
    good = json.loads(path.read_text())
    bad = {**good, "id": "../../../x-2026-11-26", "edition": "../../../x", "subject": "bad"}
    path.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    before = tree(tmp_path)
    result = cli(runner, project, "rebuild", "../../../x-2026-11-26", "--force")
    assert result.exit_code == 1
    assert "'../../../x-2026-11-26' is not an issue id: ids are letters, digits" in result.output
    result = cli(
        runner,
        project,
        "rebuild",
        "../../../x-2026-11-26",
        "--force",
        "--out",
        str(project / "r"),
    )
    assert result.exit_code == 1 and "is not an issue id" in result.output
    assert tree(tmp_path) == before

    # the archive leaves that entry out with a warning, and a damaged line too
    path.write_text(json.dumps(bad) + "\n[]\n" + json.dumps(good) + "\n")
    result = cli(runner, project, "archive", "--out", str(project / "site"))
    assert result.exit_code == 0, result.output
    assert "warning: archive: left out: " in result.output
    assert "line 2 is not a ledger entry: expected a JSON object" in result.output
    # an unsafe id is refused when the line is read, like any other damage
    assert "line 1 is not a ledger entry: 'id': '../../../x-2026-11-26' is not a valid name" in (
        result.output
    )
    assert tree(project / "site") == {
        "index.html",
        "digest-2026-11-26",
        "digest-2026-11-26/index.html",
        "digest-2026-11-26/digest.txt",
    }
    assert tree(tmp_path) - before == {f"site/{p}" for p in tree(project / "site")} | {"site"}


# --- the three output files are one set -------------------------------------------------------

READERS = [
    ("check",),
    ("export", "--to", "eml"),
    ("send", "--smtp", "127.0.0.1:9", "--to", "a@example.org"),
    ("mark-sent",),
]


def read_commands(runner: CliRunner, project: Path, folder: Path) -> list[str]:
    """The output of every command that reads a built folder, each expected to refuse it."""
    outputs = []
    for command, *rest in READERS:
        args = [command, str(folder), *rest]
        if command != "check":
            args[1:1] = ["--config", str(project / "digest.toml")]
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (command, result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output
        outputs.append(result.output)
    return outputs


def test_a_crash_between_renames_leaves_a_set_every_reader_refuses(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    old_text = (project / "dist" / "digest.txt").read_bytes()
    real, moved = os.replace, []

    def crash_after_the_first(src: str, dst: object) -> None:
        if Path(str(dst)).parent == project / "dist":  # not the caches
            if moved:
                raise OSError("power cut")
            moved.append(str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", crash_after_the_first)
    result = cli(runner, project, "build", "--until", "2026-11-19")
    monkeypatch.setattr(os, "replace", real)
    assert result.exit_code == 1 and "power cut" in result.output
    assert moved == [str(project / "dist" / "digest.html")]
    assert (project / "dist" / "digest.txt").read_bytes() == old_text  # a mixed set
    for output in read_commands(runner, project, project / "dist"):
        assert (
            "digest.html is not the one digest.json records: the files are not from one build"
            in output
        )
    assert not (project / "digest-ledger.jsonl").exists()
    assert not (project / "dist" / "digest.eml").exists()


def test_a_text_part_from_another_build_is_refused(runner: CliRunner, project: Path) -> None:
    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    assert (
        cli(
            runner, project, "build", "--until", "2026-11-19", "--out", str(project / "b")
        ).exit_code
        == 0
    )
    (project / "dist" / "digest.txt").write_bytes((project / "b" / "digest.txt").read_bytes())
    for output in read_commands(runner, project, project / "dist"):
        assert "digest.txt is not the one digest.json records" in output
    # the same for an .html file given to check: its .txt and .json siblings are checked
    result = runner.invoke(main, ["check", str(project / "dist" / "digest.html")])
    assert (
        result.exit_code == 1 and "digest.txt is not the one digest.json records" in result.output
    )


def _set(data: dict, path: str, value: object) -> dict:
    target = data
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()
BAD_MANIFESTS = [
    ("window.until", "2026-02-30", 'window.until: not an ISO date, found text "2026-02-30"'),
    ("window.since", 20261120, "window.since: expected text, found a number 20261120"),
    ("window", _DELETE, "window: expected an object, found null"),
    ("subject", ["x"], 'subject: expected text, found a list ["x"]'),
    ("sections", "x", 'sections: expected a list, found text "x"'),
    ("sections.0", 1, "sections[0]: expected an object, found a number 1"),
    ("sections.0.posts.0.url", None, "sections[0].posts[0].url: expected text, found null"),
    ("sections.0.posts.0.date", "yesterday", "sections[0].posts[0].date: not an ISO date"),
    ("sections.0.posts.0.categories", [1], "sections[0].posts[0].categories[0]: expected text"),
    ("edition", "a/b", "edition 'a/b' is not a valid name"),
    ("html_sha256", "abc", 'html_sha256: expected a SHA-256 in hex, found text "abc"'),
]


@pytest.mark.parametrize(("key", "value", "why"), BAD_MANIFESTS)
def test_a_manifest_with_wrong_types_is_one_clear_error(
    runner: CliRunner, project: Path, key: str, value: object, why: str
) -> None:
    import json

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    manifest = project / "dist" / "digest.json"
    manifest.write_text(json.dumps(_set(json.loads(manifest.read_text()), key, value)))
    for output in read_commands(runner, project, project / "dist"):
        assert output.startswith(f"error: {manifest}: not a valid digest manifest: {why}"), output
        assert len(output.splitlines()) == 1


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("[]", "the manifest: expected an object, found a list []"),
        ("{", "not a digest manifest: Expecting property name"),
        ("[" * 100_000 + "]" * 100_000, "not a digest manifest: nested too deeply"),
        ("\udcff", "not a digest manifest: 'utf-8' codec can't decode"),
    ],
)
def test_a_damaged_manifest_is_one_clear_error(
    runner: CliRunner, project: Path, raw: str, why: str
) -> None:
    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    manifest = project / "dist" / "digest.json"
    manifest.write_bytes(raw.encode("utf-8", "surrogateescape"))
    for output in read_commands(runner, project, project / "dist"):
        assert f"error: {manifest}: " in output and why in output
        assert len(output.splitlines()) == 1


def test_a_manifest_without_the_parts_hashes_asks_for_a_new_build(
    runner: CliRunner, project: Path
) -> None:
    import json

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    manifest = project / "dist" / "digest.json"
    data = json.loads(manifest.read_text())
    del data["html_sha256"], data["text_sha256"]
    manifest.write_text(json.dumps(data))
    for output in read_commands(runner, project, project / "dist"):
        assert "html_sha256: expected text, found null" in output
        assert "hint: written by an older digest? build again" in output


# --- the one writer ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/tmp/x", "link/x"])
def test_the_writer_refuses_a_target_outside_its_folder(tmp_path: Path, name: str) -> None:
    from digest.errors import ExportError
    from digest.output import write_binary

    folder, outside = tmp_path / "out", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    with pytest.raises(ExportError, match="refusing to write outside the output folder"):
        write_binary(folder, {"fine.txt": b"1", name: b"2"})
    assert tree(folder) == {"link"} and tree(outside) == set()  # all or nothing


def test_rebuild_refuses_a_ledger_entry_without_a_window(runner: CliRunner, project: Path) -> None:
    import json

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    assert cli(runner, project, "mark-sent", str(project / "dist")).exit_code == 0
    path = project / "digest-ledger.jsonl"
    path.write_text(json.dumps({**json.loads(path.read_text()), "since": ""}) + "\n")
    result = cli(runner, project, "rebuild", "digest-2026-11-26")
    assert result.exit_code == 1
    assert f"error: {path}: the ledger entry 'digest-2026-11-26' has no window" in result.output


def test_each_editions_folder_is_checked_before_any_is_written(
    runner: CliRunner, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "site" / "sustainability"))
    (tmp_path / "site" / "sustainability").mkdir(parents=True)
    result = cli(
        runner,
        project,
        "build",
        "--until",
        UNTIL,
        "--all-editions",
        "--out",
        str(tmp_path / "site"),
    )
    assert result.exit_code == 1
    assert (
        f"refusing to write the digest to {tmp_path / 'site' / 'sustainability'}: it is your home folder"
        in result.output
    )
    assert tree(tmp_path / "site") == {"sustainability"}  # not even the other edition


def test_mark_sent_hashes_no_file_outside_the_posts_folder(
    runner: CliRunner, project: Path
) -> None:
    """A manifest's post sources are not trusted: only files in the posts folder are read."""
    import json

    assert cli(runner, project, "build", "--until", UNTIL).exit_code == 0
    manifest = project / "dist" / "digest.json"
    data = json.loads(manifest.read_text())
    data["sections"][0]["posts"][0]["source"] = "../digest.toml"
    manifest.write_text(json.dumps(data))
    assert cli(runner, project, "mark-sent", str(project / "dist")).exit_code == 0
    [line] = (project / "digest-ledger.jsonl").read_text().splitlines()
    posts = json.loads(line)["posts"]
    assert posts[0] == {"url": posts[0]["url"], "source": "../digest.toml", "sha256": ""}
    assert all(len(p["sha256"]) == 64 for p in posts[1:] if "feed" not in p)
    assert all(p["sha256"] == "" for p in posts if "feed" in p)  # a feed item has no file


@pytest.mark.parametrize("system", ["/etc", "/usr", "/usr/share/digest", "/var/lib/x"])
def test_out_refuses_system_folders(runner: CliRunner, project: Path, system: str) -> None:
    result = cli(runner, project, "build", "--until", UNTIL, "--out", system)
    assert result.exit_code == 1, result.output
    assert "it is the system folder" in result.output
    assert not Path(system, "digest.html").exists()


@pytest.mark.parametrize(
    "target", ["digest.toml", "posts/report.xml", "templates/x.xml", "/etc/digest-report.json"]
)
def test_check_report_refuses_the_projects_own_files(
    runner: CliRunner, project: Path, target: str
) -> None:
    (project / "templates").mkdir(exist_ok=True)
    config = str(project / "digest.toml")
    assert (
        runner.invoke(main, ["build", "--config", config, "--until", "2026-11-26"]).exit_code == 0
    )
    before = (project / "digest.toml").read_bytes()
    output = target if target.startswith("/") else str(project / target)
    result = runner.invoke(
        main, ["check", str(project / "dist"), "--config", config, "-o", output, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    assert "refusing to write the report to" in result.output
    assert (project / "digest.toml").read_bytes() == before
    assert not Path(output).exists() or target == "digest.toml"
