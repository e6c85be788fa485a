"""``digest init`` on hostile site config files: bounded work, one clear error, and a
digest.toml that never points outside the site folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main


def _alias_bomb(levels: int) -> str:
    """A "billion laughs" YAML document: ``9 ** levels`` strings from a few hundred bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"[:levels]
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join([*lines, "baseURL: https://x.example/", ""])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("hugo.yaml", _alias_bomb(7)),  # 9**7 ≈ 4.8 million values when walked
        ("hugo.yaml", "baseURL: https://x.example/\nparams: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("hugo.toml", "baseURL = 'https://x.example/'\nparams = " + "[" * 5000 + "]" * 5000),
        ("hugo.json", '{"baseURL": "https://x.example/", "p": ' + "[" * 5000 + "]" * 5000 + "}"),
        ("_config.yml", "url: https://x.example\nx: " + "[" * 5000 + "]" * 5000 + "\n"),
    ],
    ids=["alias-bomb", "deep-yaml", "deep-toml", "deep-json", "deep-jekyll"],
)
def test_hostile_config_is_one_clear_error(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code != 0, result.output
    assert name in result.output, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "digest.toml").exists()
