"""``digest init`` copies values from a site's config into digest.toml: a hostile title can
neither add settings (a newline breaking out of a comment) nor leave a file that does not
load (a character TOML forbids)."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main

INJECTED = 'Blog\\n[ledger]\\npath = \\"/tmp/elsewhere\\"\\n#'


@pytest.mark.parametrize(
    "title", [INJECTED, "Blog\\r\\nbcc = 1", "a\\u007fb", "tab\\there", "line\\u2028sep"]
)
def test_a_hostile_title_stays_one_value(tmp_path: Path, title: str) -> None:
    (tmp_path / "hugo.toml").write_text(f'baseURL = "https://x.example/"\ntitle = "{title}"\n')
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = tomllib.loads((tmp_path / "digest.toml").read_text(encoding="utf-8"))
    raw = tomllib.loads(f'title = "{title}"\n')["title"]
    # [site] name is one line (it goes into headers): breaks and controls become spaces
    spaced = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in raw)
    assert written["site"]["name"] == " ".join(spaced.split())
    assert "ledger" not in written and "bcc" not in written.get("email", {})
    assert set(written) == {"site", "paths", "selection", "email"}
    assert written["email"] == {}  # [email] holds only comments


def test_the_report_quotes_no_terminal_escapes_from_the_site(tmp_path: Path) -> None:
    """A base URL or permalink carrying ESC sequences is reported without them."""
    from digest.init import init_site

    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://x.example/\\u001b[2J"\ntitle = "T"\n'
        '[permalinks]\nposts = "/:year/\\u001b]0;owned\\u0007:slug/"\n'
    )
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "a.md").write_text(
        "---\ntitle: A\ndate: 2026-11-24\n---\nx\n"
    )
    result = init_site(tmp_path)
    lines = result.found + result.guessed
    assert lines and not any("\x1b" in line or "\x07" in line for line in lines), lines
