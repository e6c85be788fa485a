"""Exporters: the registry, each service's payload against its published spec,
placeholders, hostile content, and standard .eml/.mbox files."""

from __future__ import annotations

import email
import importlib.metadata
import json
import mailbox
from email import policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest import exporters as registry_module
from digest.checks import CheckOptions, EmailParts, check
from digest.cli import main
from digest.delivery import export
from digest.errors import ConfigError, ExportError, UsageError
from digest.exporters import BUILTINS, get_exporter, registry
from digest.exporters.base import Email, Export, Exporter

from .exporthelp import HOSTILE_TITLE, PLACEHOLDERS, SERVICES, build_project, service_parts
from .specs import POSTMARK_EMAIL, request_schema, schema_errors, ses_errors


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    return build_project(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    return build_project(tmp_path_factory.mktemp("hostile"), hostile=True)


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


@pytest.mark.parametrize("name", SERVICES)
def test_hostile_post_is_neutralised_for_each_service(hostile, name: str) -> None:
    config, dist = hostile
    assert (
        HOSTILE_TITLE.replace("<", "&lt;").replace(">", "&gt;")
        in (dist / "digest.html").read_text()
    )
    html, text = service_parts(name, payload(config, dist, name))
    placeholder = PLACEHOLDERS[name]
    for part in (html, text):
        if not part:
            continue
        assert part.count(placeholder) == 1, "only digest's own placeholder survives"
        if name in {
            "sendgrid-singlesend",
            "postmark",
            "listmonk",
            "buttondown",
            "ses",
            "mailgun",
            "sendgrid",
        }:
            assert (
                "{{ name }}" not in part and "{% if" not in part and "{{ first_name }}" not in part
            )
        if name == "mailchimp":
            assert "*|FNAME|*" not in part and "*|LNAME|*" not in part
        if name == "mailgun":
            assert "%recipient.name%" not in part
        if name == "sendgrid":
            assert part.count("<%asm_group_unsubscribe_raw_url%>") == 1
    # neutralised, not removed: a reader still sees the title as written
    if text:
        assert HOSTILE_TITLE in " ".join(text.replace("\u200b", "").split())  # the text is wrapped
    visible = html.replace("&#123;", "{").replace("&#124;", "|").replace("&#37;", "%")
    assert "Hi {{ name }} *|FNAME|* %recipient.name%" in visible


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
