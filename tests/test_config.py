import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, load_config
from digest.errors import ConfigError, UsageError

from .conftest import REPO, SAMPLE_UNTIL


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, cwd=tmp_path)
    assert config.source is None
    assert config.site.timezone == "UTC"
    assert config.selection.days == 7
    assert config.digest.excerpt_words == 55
    assert config.digest.excerpt_more == " […]"
    assert config.paths.posts == (tmp_path / "posts").resolve()
    assert config.paths.out == (tmp_path / "dist").resolve()
    assert config.warnings == ()


def test_sample_config_is_valid_and_complete() -> None:
    config = load_config(REPO / "digest.toml")
    assert config.warnings == ()
    assert config.site.name == "Leading Well"
    assert config.site.url.endswith("/")
    assert [s.title for s in config.sections][:2] == ["Leadership", "Greener Leader"]
    assert config.paths.posts == (REPO / "posts").resolve()
    assert config.email.unsubscribe_url.startswith("https://")
    assert config.email.unsubscribe_mailto.startswith("mailto:")


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
    assert config.selection.categories == ("Leadership",)


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
    assert config.paths.posts == sub / "content" / "posts"
    assert config.paths.out == tmp_path / "public"


def test_flags_override_the_file_and_are_validated_the_same_way(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\nurl = "https://a.example/"\ntimezone = "UTC"\n')
    config = load_config(path, overrides={"base_url": "https://b.example/sub", "timezone": None})
    assert config.site.url == "https://b.example/sub/"
    assert config.site.timezone == "UTC"
    # a bad value from the command line is a usage error (exit 2), naming the flag
    with pytest.raises(UsageError, match=r"--base-url: expected an absolute http\(s\) URL"):
        load_config(path, overrides={"base_url": "javascript:alert(1)"})


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.site.name = "x"  # type: ignore[misc]


def test_a_table_that_is_not_a_table_is_reported_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, 'site = "My blog"\n'))
    assert caught.value.problems == ("[site]: expected a table, found 'My blog'",)


# --- header values: nothing from the config may add a header line --------------------------

HEADER_KEYS = [
    ("site", "name"),
    ("digest", "subject"),
    ("email", "from"),
    ("email", "reply_to"),
    ("email", "to"),
    ("email", "list_id"),
    ("email", "unsubscribe_url"),
    ("email", "unsubscribe_mailto"),
    ("email", "view_online_url"),
]
INJECTIONS = {
    "https://a@example.org/u\nBcc: evil@example.org": "a line feed",
    "https://a@example.org/u\r\nBcc: evil@example.org": "CR LF",
    "https://a@example.org/u\rBcc: evil@example.org": "a carriage return",
    "https://a@example.org/u\u2028Bcc: evil@example.org": "a line separator",
    "https://a@example.org/u\x85Bcc: evil@example.org": "a next-line control",
    "https://a@example.org/u\x00x": "a NUL",
}


def toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (control characters escaped)."""
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04X}" for c in text) + '"'


@pytest.mark.parametrize(("table", "key"), HEADER_KEYS)
@pytest.mark.parametrize("value", list(INJECTIONS), ids=list(INJECTIONS.values()))
def test_a_header_value_with_a_line_break_is_refused(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    path = write(tmp_path, f"[{table}]\n{key} = {toml_string(value)}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: [{table}] {key}: expected one line"), text
    assert "\n" not in text and "\r" not in text and "\u2028" not in text  # the message is one line


def test_an_edition_subject_with_a_line_break_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[editions.weekly]\nsubject = "Hi\\nBcc: evil@example.org"\n')
    with pytest.raises(ConfigError, match=r"editions: edition 'weekly': expected one line"):
        load_config(path)


def test_single_line_header_values_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[email]\nfrom = "Café Ünïcode <a@example.org>"\nto = "b@example.org"\n'
        '[digest]\nsubject = """{{ site_name }}: this week\n"""\n',  # a trailing newline is trimmed
    )
    config = load_config(path)
    assert config.email.sender == "Café Ünïcode <a@example.org>"
    assert config.digest.subject == "{{ site_name }}: this week"


def test_a_header_injection_in_the_config_is_one_clean_line_from_the_cli(
    runner: CliRunner, project: Path
) -> None:
    toml = project / "digest.toml"
    toml.write_text(
        toml.read_text().replace(
            'reply_to = "editor@leadingwell.example.org"',
            'reply_to = "editor@leadingwell.example.org\\r\\nBcc: evil@example.org"',
        )
    )
    result = runner.invoke(main, ["build", "--config", str(toml), "--until", SAMPLE_UNTIL])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(toml) in lines[0], result.output
    assert "[email] reply_to: expected one line" in lines[0]
    assert "internal error" not in result.output and "Traceback" not in result.output


def eml_headers(project: Path) -> list[str]:
    data = (project / "dist" / "digest.eml").read_bytes()
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line for line in head.split("\r\n") if not line.startswith((" ", "\t"))]


def test_a_post_title_cannot_inject_headers_through_the_subject(
    runner: CliRunner, project: Path
) -> None:
    toml = project / "digest.toml"  # its subject shows {{ first_title }}
    post = project / "posts" / "2026-11-26-saying-no-without-closing-the-door.md"
    post.write_text(
        post.read_text().replace(
            'title: "Saying no without closing the door"',
            'title: "Saying no\\r\\nBcc: evil@example.org\\u2028X-Evil: 1"',
        )
    )
    config = ["--config", str(toml)]
    built = runner.invoke(main, ["build", *config, "--until", SAMPLE_UNTIL])
    assert built.exit_code == 0, built.output
    subject = json.loads((project / "dist" / "digest.json").read_text())["subject"]
    assert subject.startswith("Leading Well weekly: Saying no Bcc: evil@example.org X-Evil: 1 ")
    exported = runner.invoke(main, ["export", str(project / "dist"), "--to", "eml", *config])
    assert exported.exit_code == 0, exported.output
    names = [line.split(":", 1)[0].lower() for line in eml_headers(project)]
    assert "bcc" not in names and "x-evil" not in names


def test_a_manifest_subject_cannot_inject_headers(runner: CliRunner, project: Path) -> None:
    config = ["--config", str(project / "digest.toml")]
    assert runner.invoke(main, ["build", *config, "--until", SAMPLE_UNTIL]).exit_code == 0
    manifest = project / "dist" / "digest.json"
    data = json.loads(manifest.read_text())
    data["subject"] = "Hello\r\nBcc: evil@example.org\nX-Evil: 1"
    manifest.write_text(json.dumps(data))
    result = runner.invoke(main, ["export", str(project / "dist"), "--to", "eml", *config])
    assert result.exit_code == 0, result.output
    headers = eml_headers(project)
    assert "Subject: Hello Bcc: evil@example.org X-Evil: 1" in headers
    assert not [h for h in headers if h.lower().startswith(("bcc:", "x-evil:"))]
