"""`digest build` warns about what `digest check` or an exporter would reject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config
from digest.delivery import export
from digest.errors import ExportError
from digest.models import UNSUBSCRIBE_STANDIN
from digest.preflight import markup_in

from .conftest import SAMPLE_UNTIL


def write_project(root: Path, toml: str, posts: dict[str, str]) -> Path:
    (root / "posts").mkdir(parents=True, exist_ok=True)
    for name, text in posts.items():
        (root / "posts" / name).write_text(text, encoding="utf-8")
    (root / "digest.toml").write_text(toml, encoding="utf-8")
    return root / "digest.toml"


POST = """---
title: {title}
author: {author}
date: 2026-11-24
categories: [News]
---
A short body for the post.
"""
SITE = '[site]\nname = "Notes"\nurl = "https://notes.example.org/"\n'
EMAIL = (
    '[email]\nfrom = "Notes <news@notes.example.org>"\n'
    'unsubscribe_url = "https://notes.example.org/unsubscribe"\n'
)


def run(runner: CliRunner, config: Path, *extra: str):
    return runner.invoke(
        main, ["build", "--config", str(config), "--until", SAMPLE_UNTIL, "--no-cache", *extra]
    )


def test_a_config_without_email_settings_warns_and_strict_fails(
    tmp_path: Path, runner: CliRunner
) -> None:
    config = write_project(
        tmp_path, SITE, {"2026-11-24-a.md": POST.format(title="A plain title", author="Ann")}
    )
    result = run(runner, config)
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output
    assert "no unsubscribe link: set [email] unsubscribe_url" in result.output
    assert 'no sender: set [email] from = "Name <address@example.org>"' in result.output
    assert (tmp_path / "dist" / "digest.html").is_file()

    (tmp_path / "dist" / "digest.html").unlink()
    strict = run(runner, config, "--strict", "--out", str(tmp_path / "strict"))
    assert strict.exit_code == 1
    assert "--strict: 2 warnings turned into failure" in strict.output
    assert not (tmp_path / "strict").exists()


def test_a_complete_config_builds_without_warnings(tmp_path: Path, runner: CliRunner) -> None:
    config = write_project(
        tmp_path,
        SITE + EMAIL,
        {"2026-11-24-a.md": POST.format(title="A plain title", author="Ann")},
    )
    result = run(runner, config, "--strict")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


@pytest.mark.parametrize(
    ("title", "author", "found"),
    [
        ('"Hello <em>world</em>"', "Ann", "the title contains HTML ('<em>')"),
        ('"A **bold** claim"', "Ann", "the title contains Markdown ('**bold**')"),
        ('"See [the docs](https://x.example/)"', "Ann", "the title contains Markdown"),
        ('"Plain"', '"<b>Ann</b>"', "the author contains HTML ('<b>')"),
    ],
)
def test_markup_left_in_a_title_or_author_is_a_warning_naming_the_post(
    tmp_path: Path, runner: CliRunner, title: str, author: str, found: str
) -> None:
    config = write_project(
        tmp_path, SITE + EMAIL, {"2026-11-24-odd.md": POST.format(title=title, author=author)}
    )
    result = run(runner, config)
    assert result.exit_code == 0, result.output
    assert f"warning: 2026-11-24-odd.md: {found}" in result.output
    assert run(runner, config, "--strict").exit_code == 1


@pytest.mark.parametrize(
    "plain",
    ["C++ in 2026", "5 * 3 = 15", "Rust's `async` story", "snake_case_names", "a < b and c > d"],
)
def test_ordinary_punctuation_is_not_markup(plain: str) -> None:
    assert markup_in(plain) is None


def test_an_empty_subject_is_a_warning(tmp_path: Path, runner: CliRunner) -> None:
    config = write_project(
        tmp_path,
        SITE + EMAIL + "[digest]\nsubject = \"{{ '' }}\"\n",
        {"2026-11-24-a.md": POST.format(title="A", author="Ann")},
    )
    result = run(runner, config)
    assert "warning: [digest] subject: [subject] the subject is empty" in result.output
    assert run(runner, config, "--strict").exit_code == 1


def test_strict_counts_render_warnings_and_writes_nothing(
    tmp_path: Path, runner: CliRunner
) -> None:
    posts = {
        f"2026-11-2{d}-p{d}.md": POST.format(title=f"Post {d}", author="Ann").replace(
            "A short body for the post.", "word " * 400
        )
        for d in range(0, 7)
    }
    config = write_project(tmp_path, SITE + EMAIL + "[digest]\nsize_budget_kb = 10\n", posts)
    loose = run(runner, config, "--out", str(tmp_path / "loose"))
    assert loose.exit_code == 0, loose.output
    assert "over the 10 KB size budget" in loose.output
    strict = run(runner, config, "--strict", "--out", str(tmp_path / "strict"))
    assert strict.exit_code == 1, strict.output
    assert "--strict" in strict.output and "size budget" in strict.output
    assert not (tmp_path / "strict").exists()


def test_service_exports_fill_in_their_own_unsubscribe_tag_without_a_configured_link(
    tmp_path: Path, runner: CliRunner
) -> None:
    config_path = write_project(
        tmp_path,
        SITE
        + '[email]\nfrom = "Notes <news@notes.example.org>"\n'
        + 'postal_address = "1 Example Street, Springfield"\n'
        + '[export.mailchimp]\nlist_id = "abc123"\n[export.mailgun]\ndomain = "mg.notes.example.org"\n'
        + 'to = ["list@mg.notes.example.org"]\n',
        {"2026-11-24-a.md": POST.format(title="A plain title", author="Ann")},
    )
    result = run(runner, config_path, "--strict")
    # every configured service has its own unsubscribe tag: nothing to warn about
    assert result.exit_code == 0, result.output
    dist = tmp_path / "dist"
    assert UNSUBSCRIBE_STANDIN in (dist / "digest.html").read_text()
    config = load_config(config_path)
    mailchimp, mailgun = export(config, dist, ["mailchimp", "mailgun"])
    body = json.loads(next(p for p in mailchimp.files if p.name == "mailchimp.json").read_text())
    html = json.dumps(body)
    assert "*|UNSUB|*" in html and UNSUBSCRIBE_STANDIN not in html
    mailgun_text = "".join(p.read_text() for p in mailgun.files)
    assert "%unsubscribe_url%" in mailgun_text and UNSUBSCRIBE_STANDIN not in mailgun_text
    # an .eml, or SES without a contact list, has no tag of its own: each refuses the
    # stand-in with what to set (one check, in Exporter.build, for every exporter)
    for name in ("eml", "mbox", "ses"):
        with pytest.raises(ExportError, match=rf"{name}: the digest was built without") as caught:
            export(config.but(recipient="list@notes.example.org"), dist, [name])
        assert "[email] unsubscribe_url" in str(caught.value)
    # and `digest check` notes the stand-in without failing the service flow
    checked = runner.invoke(
        main,
        ["check", str(dist), "--config", str(config_path), "--strict", "--format", "json"],
    )
    assert checked.exit_code == 0, checked.output
    unsubscribe = [f for f in json.loads(checked.output)["findings"] if f["rule"] == "unsubscribe"]
    assert [f["severity"] for f in unsubscribe] == ["info"]
    assert "digest's stand-in" in unsubscribe[0]["message"]
