"""Exporters: the registry, each service's payload against its published spec,
placeholders, hostile content, and standard .eml/.mbox files."""

from __future__ import annotations

import email
import html as html_lib
import importlib.metadata
import json
import mailbox
import re
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest import exporters as registry_module
from digest.checks import CheckOptions, EmailParts, check
from digest.cli import main
from digest.config import load_config
from digest.delivery import export
from digest.errors import ConfigError, ExportError, UsageError
from digest.exporters import BUILTINS, get_exporter, registry
from digest.exporters.base import Email, Export, Exporter, neutralise_html, neutralise_text
from digest.output import write_build
from digest.pipeline import build

from .conftest import copy_sample
from .exporthelp import PLACEHOLDERS, SERVICES, UNTIL, build_project, service_parts
from .specs import POSTMARK_EMAIL, request_schema, schema_errors, ses_errors


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    return build_project(tmp_path_factory.mktemp("sample"))


def payload(config, dist: Path, name: str) -> Any:
    [result] = export(config, dist, [name])
    return json.loads(result.files[0].read_text(encoding="utf-8"))


# --- registry ---------------------------------------------------------------------------------


class _Fake:
    def __init__(self, name: str, target: object, dist: str = "digest-fake"):
        self.name = name
        self._target = target
        self.dist = type("Dist", (), {"name": dist})()

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


class ExamplePlugin(Exporter):
    name = "example"
    description = "an example plugin"

    def export(self, email: Email, options: Any) -> Export:
        return Export(files={"export/example.txt": email.subject.encode()})


def test_builtins_are_registered() -> None:
    found, problems = registry()
    assert problems == []
    assert set(found) == set(BUILTINS) == {"eml", "mbox", *SERVICES}
    assert all(entry.origin == "built-in" for entry in found.values())


def test_unknown_exporter_lists_the_choices() -> None:
    with pytest.raises(
        UsageError, match=r"unknown exporter 'mailchimpp'; choose from: buttondown, eml, listmonk"
    ):
        get_exporter("mailchimpp")


def test_plugins_add_but_never_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = [
        _Fake("example", ExamplePlugin),
        _Fake("eml", ExamplePlugin, dist="evil-plugin"),
        _Fake("broken", ImportError("no module named nope")),
        _Fake("wrong", object),
    ]
    monkeypatch.setattr(registry_module, "_entry_points", lambda: fakes)
    found, problems = registry()
    assert found["example"].origin == "plugin digest-fake"
    assert found["eml"].origin == "built-in"
    messages = {p.where: p.message for p in problems}
    assert (
        messages["plugin 'eml' (evil-plugin)"]
        == "refused: the name is taken by the built-in exporter"
    )
    assert messages["plugin 'broken' (digest-fake)"].startswith("failed to load: ImportError")
    assert "not a digest.exporters.base.Exporter" in messages["plugin 'wrong' (digest-fake)"]
    assert isinstance(get_exporter("example"), ExamplePlugin)


def test_real_entry_point_group_is_queried() -> None:
    assert registry_module._entry_points() == list(
        importlib.metadata.entry_points(group="digest.exporters")
    )


def test_exporters_command_lists_everything(runner: CliRunner) -> None:
    result = runner.invoke(main, ["exporters"])
    assert result.exit_code == 0
    assert "mailchimp" in result.output and "MAILCHIMP_API_KEY" in result.output
    assert "ses" in result.output and "no push" in result.output


def test_options_are_validated_like_the_config(sample) -> None:
    exporter = get_exporter("mailchimp")
    with pytest.raises(ConfigError) as caught:
        exporter.validate_options({"segment_id": "seven"})
    text = str(caught.value)
    assert "[export.mailchimp] list_id: required" in text
    assert (
        "[export.mailchimp] segment_id: expected a whole number of at least 1, found 'seven'"
        in text
    )
    _, warnings = exporter.validate_options({"list_id": "x", "lsit_id": "y"})
    assert [w.message for w in warnings] == ["unknown option 'lsit_id' ignored"]
    with pytest.raises(ConfigError, match=r"\[export.listmonk\] lists: expected a non-empty list"):
        get_exporter("listmonk").validate_options({"lists": ["one"]})
    with pytest.raises(ConfigError, match=r"\[export.buttondown\] status"):
        get_exporter("buttondown").validate_options({"status": "send"})


# --- payloads against the published specs ------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_payload_validates_against_the_published_spec(sample, name: str) -> None:
    config, dist = sample
    body = payload(config, dist, name)
    if name == "mailchimp":
        assert schema_errors(*request_schema(name, "POST", "/campaigns"), body["campaign"]) == []
        assert (
            schema_errors(
                *request_schema(name, "PUT", "/campaigns/{campaign_id}/content"), body["content"]
            )
            == []
        )
        assert body["campaign"]["recipients"]["list_id"] == "a1b2c3d4e5"
        assert set(body["content"]) == {"html", "plain_text"}
    elif name == "sendgrid":
        assert schema_errors(*request_schema(name, "POST", "/v3/mail/send"), body) == []
        assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
        assert len(body["categories"]) <= 10 and body["asm"] == {"group_id": 12345}
    elif name == "sendgrid-singlesend":
        assert schema_errors(*request_schema(name, "POST", "/v3/marketing/singlesends"), body) == []
    elif name == "postmark":
        from jsonschema import Draft202012Validator

        assert [e.message for e in Draft202012Validator(POSTMARK_EMAIL).iter_errors(body)] == []
        assert body["MessageStream"] == "broadcast"
    elif name == "ses":
        assert ses_errors("SendEmailRequest", body) == []
        assert body["ListManagementOptions"] == {
            "ContactListName": "leading-well",
            "TopicName": "weekly",
        }
    elif name == "mailgun":
        assert (
            schema_errors(*request_schema(name, "POST", "/v3/{domain_name}/messages"), body) == []
        )
        assert len(body["o:tag"]) <= 3
        assert body["h:List-Unsubscribe"].startswith(
            "<https://leadingwell.example.org/newsletter/unsubscribe>"
        )
    elif name == "listmonk":
        # CampaignRequest in this spec snapshot lacks body/altbody (see SOURCE.txt);
        # CampaignUpdate describes them, so the body is checked against both.
        assert (
            schema_errors("listmonk/collections.yaml", "/components/schemas/CampaignRequest", body)
            == []
        )
        assert (
            schema_errors("listmonk/collections.yaml", "/components/schemas/CampaignUpdate", body)
            == []
        )
        assert body["content_type"] in {"richtext", "html", "markdown", "plain", "visual"}
    elif name == "buttondown":
        assert schema_errors(*request_schema(name, "POST", "/emails"), body) == []
        assert body["status"] == "draft"


@pytest.mark.parametrize("name", SERVICES)
def test_placeholder_replaces_the_unsubscribe_link_last(sample, name: str) -> None:
    config, dist = sample
    html, text = service_parts(name, payload(config, dist, name))
    placeholder = PLACEHOLDERS[name]
    assert html.count(f'href="{placeholder}"') == 1
    assert config.email.unsubscribe_url not in html
    if text:
        assert text.count(placeholder) == 1 and f"Unsubscribe: {placeholder}" in text
    # the HTML stays fit to send: the inbox checks accept the service's placeholder
    report = check(
        EmailParts(
            html=html,
            text=text
            or (dist / "digest.txt").read_text().replace(config.email.unsubscribe_url, placeholder),
            subject="s",
        ),
        CheckOptions(extra_placeholders=(placeholder,)),
    )
    assert [str(f) for f in report.findings if f.rule in {"unsubscribe", "residue", "links"}] == []


# Every supported service's syntax, as a post or an editor may write it.
MERGE_TAGS = (
    "{{ name }}",
    "{{{ raw }}}",
    "{{- .Subscriber.Email -}}",
    "{{ .Subscriber.Name }}",
    "{{#if vip}}",
    "{{> footer}}",
    "{% if x %}",
    "{# note #}",
    "*|EMAIL|*",
    "*|FEED:https://evil.example/rss|*",
    "*%7CEMAIL%7C*",
    "%recipient.email%",
    "%recipient%",
    "%unsubscribe_url%",
    "<%asm_group_unsubscribe_raw_url%>",
    "{{amazonSESUnsubscribeUrl}}",
)
# Written from the services' documentation, not from digest's own neutraliser.
RAW_TAG = re.compile(
    r"\{\{|\{%|\{#|\*\||\*%7C|%recipient[^%\s]*%|%[a-z_]*unsubscribe[a-z_]*%|<%", re.IGNORECASE
)
HOSTILE_OPTIONS = {
    "mailchimp": {"title": "Campaign *|DATE|*", "from_name": "From {{ x }} %recipient%"},
    "sendgrid": {"categories": ["cat {{ x }}", "*|EMAIL|*"]},
    "sendgrid-singlesend": {"name": "Single {{ x }} <%asm_preferences_raw_url%>"},
    "postmark": {"tag": "tag {{{ x }}}"},
    "mailgun": {"tags": ["t %recipient.x%"]},
    "listmonk": {"name": "List {{ .Subscriber.Email }}", "tags": ["{{ x }}"]},
}


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a payload, however nested, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")


@pytest.fixture(scope="module")
def merge_tags_everywhere(tmp_path_factory: pytest.TempPathFactory):
    """A digest with every syntax in a post's title, author, category and excerpt (code
    included), the site name, the sender's name and each service's text options."""
    root = copy_sample(tmp_path_factory.mktemp("merge-tags"))
    hostile = " ".join(MERGE_TAGS)
    in_code = " ".join(f"`{tag}`" for tag in MERGE_TAGS)
    (root / "posts" / "2026-11-26-merge-tags.md").write_text(
        "---\n"
        f"title: {json.dumps('Hi ' + hostile)}\n"
        f"author: {json.dumps('By *|FNAME|* {{ .Subscriber.Name }}')}\n"
        f"categories: [{json.dumps('Cat *|LIST:NAME|* {{ tag }} %recipient.x%')}]\n"
        f"excerpt: {json.dumps('Dear *|FNAME|* %recipient.email% ' + in_code)}\n"
        "featured: true\n"
        "date: 2026-11-26 20:00\n"
        "---\nBody.\n",
        encoding="utf-8",
    )
    config = load_config(root / "digest.toml").but(
        until=UNTIL,
        sections=(),
        site_name="Leading {{ site }} *|LIST:COMPANY|*",
        sender='"Well *|FNAME|* %recipient.name%" <digest@leadingwell.example.org>',
    )
    config = config.but(
        exports={k: {**v, **HOSTILE_OPTIONS.get(k, {})} for k, v in config.exports.items()}
    )
    result = build(config, write=False)
    write_build(config.paths.out, result.digest, result.rendered)
    return config, config.paths.out, result.rendered


@pytest.mark.parametrize("name", SERVICES)
def test_no_field_of_any_payload_holds_a_live_merge_tag(merge_tags_everywhere, name: str) -> None:
    """Regression: the subject, preheader, names and tags went raw into every payload, and each
    service defused only its own syntax in the body. Now every field, every syntax."""
    config, dist, rendered = merge_tags_everywhere
    assert "Hi {{ name }} {{{ raw }}}" in rendered.subject
    assert "{{- .Subscriber.Email -}}" in rendered.preheader, "code keeps its characters"
    body = payload(config, dist, name)
    html, text = service_parts(name, body)
    placeholder = PLACEHOLDERS[name]
    assert html.count(placeholder) == 1 and (not text or text.count(placeholder) == 1)
    # the service's preferences tag, where [email] preferences_url is linked, is live too
    preferences = get_exporter(name).preferences_placeholder or "\0"
    seen = []
    for where, value in strings(body):
        live = RAW_TAG.findall(value.replace(placeholder, "", 1).replace(preferences, "", 1))
        assert live == [], f"{name}{where}: {value[:200]!r}"
        seen.append(value)
    everything = "\n".join(seen)
    # neutralised, not removed: every field still reads as written
    visible = html_lib.unescape(everything.replace("\u200b", ""))
    for tag in MERGE_TAGS:
        assert tag in visible
    assert " ".join(rendered.subject.split()) in visible
    if name in {"mailchimp", "sendgrid", "listmonk"}:
        assert "Cat *|LIST:NAME|* {{ tag }}" in visible.replace("\u200b", "")
    if text:
        assert ("Hi " + " ".join(MERGE_TAGS)) in " ".join(text.replace("\u200b", "").split())


@pytest.mark.parametrize("name", ["eml", "mbox"])
def test_eml_headers_and_parts_hold_no_live_merge_tag(merge_tags_everywhere, name: str) -> None:
    """A relay may merge tags in SMTP mail too (Mandrill, Mailgun): the file is defused alike."""
    config, dist, rendered = merge_tags_everywhere
    [result] = export(config, dist, [name])
    if name == "eml":
        message = email.message_from_bytes(result.files[0].read_bytes(), policy=policy.default)
    else:
        box = mailbox.mbox(str(result.files[0]), create=False)
        [raw] = list(box)
        box.close()
        message = email.message_from_bytes(raw.as_bytes(), policy=policy.default)
    values = [str(v) for _, v in message.items()]
    values += [part.get_content() for part in message.iter_parts()]
    for value in values:
        assert RAW_TAG.findall(value) == [], value[:200]
    assert message["Subject"].replace("\u200b", "") == " ".join(rendered.subject.split())
    assert "Well *|FNAME|* %recipient.name%" in message["From"].replace("\u200b", "")
    assert message["From"].addresses[0].addr_spec == "digest@leadingwell.example.org"


def test_neutralising_is_idempotent_and_keeps_what_readers_see() -> None:
    hostile = " ".join(MERGE_TAGS) + " https://x.example/caf%C3%A9t%C3%A9/ 100%"
    text, html = neutralise_text(hostile), neutralise_html(html_lib.escape(hostile))
    assert neutralise_text(text) == text and neutralise_html(html) == html
    assert RAW_TAG.findall(text) == [] and RAW_TAG.findall(html) == []
    assert text.replace("\u200b", "") == hostile and html_lib.unescape(html) == hostile
    # a percent-escaped URL is not a Mailgun variable: links in the text part keep working
    assert "https://x.example/caf%C3%A9t%C3%A9/" in text


def test_export_without_unsubscribe_url_is_a_clear_error(tmp_path: Path) -> None:

    config, dist = build_project(tmp_path)
    config = config.but(unsubscribe_url="", unsubscribe_mailto="")
    with pytest.raises(ExportError, match=r"digest\.toml names no unsubscribe link, and the built"):
        export(config, dist, ["listmonk"])


# --- .eml and .mbox --------------------------------------------------------------------------


def test_eml_is_a_standard_two_part_message(sample) -> None:
    config, dist = sample
    [result] = export(config, dist, ["eml"])
    raw = result.files[0].read_bytes()
    assert result.files[0] == dist / "digest.eml"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert (
        text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    )
    assert text_part["Content-Transfer-Encoding"] == "quoted-printable"
    assert text_part.get_content_charset() == "utf-8"
    # SMTP line endings (CRLF) on the wire; the same text once normalised
    assert text_part.get_content().replace("\r\n", "\n") == (dist / "digest.txt").read_text(
        encoding="utf-8"
    )
    assert html_part.get_content().replace("\r\n", "\n") == (dist / "digest.html").read_text(
        encoding="utf-8"
    )
    assert message["From"] == "Leading Well <digest@leadingwell.example.org>"
    assert message["Reply-To"] == "editor@leadingwell.example.org"
    assert message["To"] == "editor@leadingwell.example.org"
    assert message["Subject"] == json.loads((dist / "digest.json").read_text())["subject"]
    assert message["Date"] == "Thu, 26 Nov 2026 09:00:00 +0000"
    assert message["Message-ID"].startswith("<digest.2026-11-26.") and message[
        "Message-ID"
    ].endswith("@leadingwell.example.org>")
    assert message["List-Id"] == '"Leading Well" <weekly.leadingwell.example.org>'
    assert message["List-Unsubscribe"] == (
        "<https://leadingwell.example.org/newsletter/unsubscribe>, "
        "<mailto:unsubscribe@leadingwell.example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = export(config, dist, ["eml"])[0].files[0].read_bytes()
    assert again == raw, "deterministic"


def test_mbox_holds_the_same_message(sample) -> None:
    config, dist = sample
    [result] = export(config, dist, ["mbox"])
    box = mailbox.mbox(str(result.files[0]), create=False)
    try:
        [message] = list(box)
        assert message["Subject"] == json.loads((dist / "digest.json").read_text())["subject"]
        assert message.get_from().startswith(
            "digest@leadingwell.example.org Thu Nov 26 09:00:00 2026"
        )
        assert message.is_multipart() and len(message.get_payload()) == 2
    finally:
        box.close()


def test_eml_needs_a_sender(tmp_path: Path) -> None:

    config, dist = build_project(tmp_path)
    with pytest.raises(ExportError, match=r"the sender is not set"):
        export(config.but(sender=""), dist, ["eml"])


def test_export_command_and_build_export(runner: CliRunner, tmp_path: Path) -> None:
    config, dist = build_project(tmp_path)
    result = runner.invoke(
        main,
        ["export", "--config", str(config.source), "--to", "listmonk", "--to", "eml", str(dist)],
    )
    assert result.exit_code == 0, result.output
    assert (dist / "export" / "listmonk.json").is_file() and (dist / "digest.eml").is_file()
    result = runner.invoke(
        main, ["export", "--config", str(config.source), "--to", "nope", str(dist)]
    )
    assert result.exit_code == 2 and "unknown exporter 'nope'; choose from:" in result.output
    out = tmp_path / "one-run"
    result = runner.invoke(
        main,
        [
            "build",
            "--config",
            str(config.source),
            "--until",
            "2026-11-26",
            "--out",
            str(out),
            "--export",
            "mailgun",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "export" / "mailgun.json").is_file()
    result = runner.invoke(main, ["build", "--config", str(config.source), "--push"])
    assert result.exit_code == 2 and "--push needs --export NAME" in result.output


def test_a_merge_tag_cannot_hide_in_an_encoded_word(sample) -> None:
    """The email package (and any relay) decodes RFC 2047 words in headers: decoded first."""
    config, dist = sample
    hidden = config.but(
        sender="=?utf-8?q?=7B=7Bx=7D=7D?=<digest@leadingwell.example.org>",
        site_name="=?utf-8?q?*|LIST:COMPANY|*?=",
    )
    [result] = export(hidden, dist, ["eml"])
    message = email.message_from_bytes(result.files[0].read_bytes(), policy=policy.default)
    assert RAW_TAG.findall(str(message["From"]) + str(message["List-Id"])) == []
    assert str(message["From"]).replace("\u200b", "").startswith("{{x}}")
    assert (
        payload(hidden, dist, "postmark")["From"] == "{\u200b{x}} <digest@leadingwell.example.org>"
    )


def test_a_sender_the_email_package_cannot_parse_is_a_clear_error(sample) -> None:
    config, dist = sample
    with pytest.raises(ExportError, match=r"\[email\] from cannot be written as the From header"):
        export(config.but(sender=". <digest@leadingwell.example.org>"), dist, ["eml"])


def test_mbox_from_line_stays_ascii(sample) -> None:
    config, dist = sample
    [result] = export(config.but(sender="Ed <{{édith}}@leadingwell.example.org>"), dist, ["mbox"])
    assert result.files[0].read_bytes().startswith(b"From digest ")


def test_an_address_the_email_package_would_mangle_is_a_clear_error(sample) -> None:
    """An unbalanced quote made the whole From one encoded word, address included."""
    config, dist = sample
    with pytest.raises(ExportError, match=r"\[email\] from cannot be written as the From header"):
        export(config.but(sender='"Well <digest@leadingwell.example.org>'), dist, ["eml"])
