"""``digest init`` never points digest at a folder outside the site (a hostile
``contentDir = "../../etc"`` or an absolute path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config


@pytest.mark.parametrize("content_dir", ["../../outside", "ABSOLUTE"])
def test_content_dir_outside_the_site_is_not_used(tmp_path: Path, content_dir: str) -> None:
    site = tmp_path / "a" / "b" / "site"
    outside = tmp_path / "outside"
    (outside / "posts").mkdir(parents=True)
    (outside / "posts" / "p.md").write_text("---\ntitle: P\ndate: 2024-05-02\n---\nBody.\n")
    site.mkdir(parents=True)
    value = str(outside) if content_dir == "ABSOLUTE" else "../../../outside"
    (site / "hugo.toml").write_text(f"baseURL = 'https://x.example/'\ncontentDir = '{value}'\n")
    result = CliRunner().invoke(main, ["init", str(site)])
    assert result.exit_code == 0, result.output
    assert "outside the site folder" in result.output
    posts = load_config(site / "digest.toml").paths.posts
    assert posts.resolve().is_relative_to(site.resolve()), posts
