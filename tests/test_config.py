from pathlib import Path

import pytest

from digest.config import Config, load_config
from digest.errors import ConfigError

from .conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, cwd=tmp_path)
    assert config.source is None
    assert config.timezone == "UTC"
    assert config.window_days == 7
    assert config.excerpt_words == 55
    assert config.excerpt_more == " […]"
    assert config.posts_dir == (tmp_path / "posts").resolve()
    assert config.out_dir == (tmp_path / "dist").resolve()
    assert config.warnings == ()


def test_sample_config_is_valid_and_complete() -> None:
    config = load_config(REPO / "digest.toml")
    assert config.warnings == ()
    assert config.site_name == "Leading Well"
    assert config.base_url.endswith("/")
    assert [s.title for s in config.sections][:2] == ["Leadership", "Greener Leader"]
    assert config.posts_dir == (REPO / "posts").resolve()
    assert config.unsubscribe_url.startswith("https://")
    assert config.unsubscribe_mailto.startswith("mailto:")


def test_every_problem_is_reported_with_key_expected_and_found(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[site]
url = "ftp://example.org"
timezone = "Mars/Olympus"
[selection]
days = 0
categories = "Leadership"
limit = "ten"
[digest]
excerpt_words = true
[[sections]]
categories = ["x"]
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    text = str(caught.value)
    assert len(problems) == 6, text
    assert "[site] url: expected an absolute http(s) URL" in text and "'ftp://example.org'" in text
    assert "[site] timezone: expected an IANA time zone name" in text and "'Mars/Olympus'" in text
    assert "[selection] days: expected a whole number of at least 1, found 0" in text
    assert "[selection] limit: expected a whole number" in text and "'ten'" in text
    assert "[digest] excerpt_words: expected a whole number of at least 5, found True" in text
    assert "sections: section 1: expected a non-empty title" in text
    assert str(path) in text


def test_single_string_category_is_accepted_as_a_list(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[selection]\ncategories = "Leadership"\n'))
    assert config.categories == ("Leadership",)


def test_sections_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sections: section 1: expected a non-empty title"):
        load_config(write(tmp_path, '[[sections]]\ncategories = ["x"]\n'))
    with pytest.raises(ConfigError, match=r"section 1 \('A'\): expected a whole number"):
        load_config(write(tmp_path, '[[sections]]\ntitle = "A"\nlimit = -1\n'))


def test_unknown_keys_warn_with_a_suggestion(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[site]\nnmae = "x"\n[selectoin]\ndays = 3\n'))
    messages = [w.message for w in config.warnings]
    assert "unknown key [site] 'nmae' ignored (did you mean 'name'?)" in messages
    assert "unknown key 'selectoin' ignored (did you mean 'selection'?)" in messages


def test_toml_syntax_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\nname = "unterminated\n')
    with pytest.raises(ConfigError, match=r"digest.toml: not valid TOML: .*line 2"):
        load_config(path)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_paths_in_the_file_are_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "site"
    sub.mkdir()
    path = write(sub, '[paths]\nposts = "content/posts"\nout = "../public"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.posts_dir == sub / "content" / "posts"
    assert config.out_dir == tmp_path / "public"


def test_flags_override_the_file_and_are_validated_the_same_way(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\nurl = "https://a.example/"\ntimezone = "UTC"\n')
    config = load_config(path, overrides={"base_url": "https://b.example/sub", "timezone": None})
    assert config.base_url == "https://b.example/sub/"
    assert config.timezone == "UTC"
    with pytest.raises(ConfigError, match=r"--base-url: expected an absolute http\(s\) URL"):
        load_config(path, overrides={"base_url": "javascript:alert(1)"})


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.site_name = "x"  # type: ignore[misc]


def test_a_table_that_is_not_a_table_is_reported_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, 'site = "My blog"\n'))
    assert caught.value.problems == ("[site]: expected a table, found 'My blog'",)
