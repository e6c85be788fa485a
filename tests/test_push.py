"""--push against a local stand-in of each API on 127.0.0.1, validated against the spec."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import logging
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import ledger
from digest.cli import main
from digest.config import Config
from digest.delivery import export
from digest.errors import ExportError, UnconfirmedError
from digest.exporters import Credentials, Expect, Export, Exporter, HttpRequest
from digest.exporters import push as push_module
from digest.exporters.scrub import Scrubber

from .exporthelp import build_project
from .fakeapi import Answer, FakeApi, Received, drip_body, drip_headers, slow, start
from .leaks import exposes
from .specs import (
    POSTMARK_EMAIL,
    SPECS,
    request_schema,
    require_specs,
    schema_errors,
    ses_errors,
)

SECRET = "sk-test-0123456789abcdef-us21"


def spec_validator(service: str):
    def validate(method: str, path: str, body: Any) -> list[str]:
        if service == "mailchimp":
            template = "/campaigns" if path == "/campaigns" else "/campaigns/{campaign_id}/content"
            return schema_errors(*request_schema("mailchimp", method, template), body)
        if service == "mailgun":
            fields = {k: (v if k in {"to", "o:tag"} else v[0]) for k, v in body.items()}
            return schema_errors(
                *request_schema("mailgun", method, "/v3/{domain_name}/messages"), fields
            )
        if service == "postmark":
            from jsonschema import Draft202012Validator

            return [e.message for e in Draft202012Validator(POSTMARK_EMAIL).iter_errors(body)]
        if service == "listmonk":
            return schema_errors(
                "listmonk/collections.yaml", "/components/schemas/CampaignUpdate", body
            )
        if service == "ses":
            return ses_errors("SendEmailRequest", body)
        paths = {
            "sendgrid": "/v3/mail/send",
            "sendgrid-singlesend": "/v3/marketing/singlesends",
            "buttondown": "/emails",
        }
        return schema_errors(*request_schema(service, method, paths[service]), body)

    return validate


def _accept_any(method: str, path: str, body: Any) -> list[str]:
    return []


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory):
    return build_project(tmp_path_factory.mktemp("push"))


@pytest.fixture
def project(built_project, tmp_path: Path):
    """The built sample, with a ledger of its own for each test (a push records the issue,
    and a second push of the same digest to the same service is refused)."""
    config, dist = built_project
    return config.but(ledger_path=tmp_path / "digest-ledger.jsonl"), dist


# What each service answers when a request works, from its API description (Postmark's
# from its API reference): test_declared_answers_are_the_published_ones checks that each
# exporter expects exactly these, and the stand-in answers with them.
SUCCESS: dict[str, Callable[[Received], Answer]] = {
    "mailchimp": lambda r: (
        (200, {"id": "cmp-1", "web_id": 7, "type": "regular", "status": "save"}, {})
        if r.method == "POST"
        else (200, {"html": "<p>Hi</p>", "plain_text": "Hi"}, {})
    ),
    "sendgrid": lambda r: (202, b"", {}),
    "sendgrid-singlesend": lambda r: (
        201,
        {"id": "27c21bbf-a12c-440b-b8bf-c526975328ca", "name": "Leading Well", "status": "draft"},
        {},
    ),
    "postmark": lambda r: (
        200,
        {
            "To": "reader@example.org",
            "SubmittedAt": "2026-11-26T10:00:00.0000000-05:00",
            "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
            "ErrorCode": 0,
            "Message": "OK",
        },
        {},
    ),
    "mailgun": lambda r: (
        200,
        {"id": "<20261126.1@mg.leadingwell.example.org>", "message": "Queued. Thank you."},
        {},
    ),
    "listmonk": lambda r: (200, {"data": {"id": 7, "status": "draft", "name": "x"}}, {}),
    "buttondown": lambda r: (201, {"id": "497f6eca-6276-4993-bfeb-53cbbbba6f08"}, {}),
    "ses": lambda r: (200, {"MessageId": "0102018f-aaaa-bbbb-cccc-000000000000-000000"}, {}),
}
STATUS = {"sendgrid": 202, "sendgrid-singlesend": 201, "buttondown": 201}


@pytest.fixture
def api_for() -> Iterator[Any]:
    servers = []

    def make(service: str, port: int = 0) -> FakeApi:
        # Decided here, in the test's own thread: with the published specs the stand-in
        # answers 400 to an invalid body, as the real API would; without them (a clone
        # with no ../shared) it still exercises retries, errors and secrets.
        known = SPECS.is_dir() and service in EXPECTED_PATHS
        validate = spec_validator(service) if known else _accept_any
        api, server = start(validate, SUCCESS.get(service, SUCCESS["mailchimp"]), port=port)
        servers.append(server)
        return api

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(push_module, "BACKOFF_SECONDS", 0.01)


ENV = {
    "mailchimp": ("MAILCHIMP_API_URL", {"MAILCHIMP_API_KEY": SECRET}),
    "sendgrid": ("SENDGRID_API_URL", {"SENDGRID_API_KEY": SECRET}),
    "sendgrid-singlesend": ("SENDGRID_API_URL", {"SENDGRID_API_KEY": SECRET}),
    "postmark": ("POSTMARK_API_URL", {"POSTMARK_SERVER_TOKEN": SECRET}),
    "mailgun": ("MAILGUN_API_URL", {"MAILGUN_API_KEY": SECRET}),
    "listmonk": ("LISTMONK_URL", {"LISTMONK_API_TOKEN": SECRET, "LISTMONK_USERNAME": "digest-bot"}),
    "buttondown": ("BUTTONDOWN_API_URL", {"BUTTONDOWN_API_KEY": SECRET}),
    "ses": (
        "SES_API_URL",
        {
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_REGION": "eu-west-1",
        },
    ),
}
EXPECTED_PATHS = {
    "mailchimp": ["/campaigns", "/campaigns/cmp-1/content"],
    "sendgrid": ["/v3/mail/send"],
    "sendgrid-singlesend": ["/v3/marketing/singlesends"],
    "postmark": ["/email"],
    "mailgun": ["/v3/mg.leadingwell.example.org/messages"],
    "listmonk": ["/api/campaigns"],
    "buttondown": ["/v1/emails"],
    "ses": ["/v2/email/outbound-emails"],
}


def env_for(service: str, api: FakeApi) -> dict[str, str]:
    url_var, secrets = ENV[service]
    return {url_var: api.url, **secrets}


def auth_carries_secret(headers: dict[str, str]) -> bool:
    signature = headers.get("Authorization", "")
    if signature.startswith("AWS4-HMAC-SHA256 "):  # signed with the secret, never carrying it
        return (
            "Credential=AKIDEXAMPLE/" in signature
            and "/eu-west-1/ses/aws4_request" in signature
            and SECRET not in signature
        )
    values = [
        v for k, v in headers.items() if k.lower() in {"authorization", "x-postmark-server-token"}
    ]
    for value in values:
        if SECRET in value:
            return True
        if value.startswith("Basic ") and SECRET in base64.b64decode(value[6:]).decode():
            return True
    return False


@pytest.mark.parametrize("service", list(EXPECTED_PATHS))
def test_push_sends_spec_valid_requests(
    project, api_for, service: str, caplog: pytest.LogCaptureFixture
) -> None:
    require_specs()
    config, dist = project
    api = api_for(service)
    with caplog.at_level(logging.DEBUG, logger="digest"):
        [result] = export(config, dist, [service], do_push=True, env=env_for(service, api))
    assert api.invalid == []
    assert [r.path for r in api.received] == EXPECTED_PATHS[service]
    assert all(auth_carries_secret(r.headers) for r in api.received)
    assert [p.status for p in result.pushed] == [STATUS.get(service, 200)] * len(
        EXPECTED_PATHS[service]
    )
    assert bool(result.pushed[0].id) is (service != "sendgrid")  # Mail Send gives no id
    assert SECRET not in caplog.text
    for path in result.files:
        assert SECRET not in path.read_text()
    if service == "mailgun":
        assert api.received[0].headers["Content-Type"].startswith("multipart/form-data")
    if service == "buttondown":
        assert api.received[0].body["status"] == "draft"
        assert api.received[0].headers["Authorization"] == f"Token {SECRET}"


def test_rate_limits_and_a_drafts_server_errors_are_retried(project, api_for, caplog) -> None:
    config, dist = project
    api = api_for("listmonk")  # creates a draft campaign: a second try cannot send anything
    api.script = [
        (429, {"message": "slow down"}, {"Retry-After": "0"}),
        (503, {"message": "busy"}, {}),
        SUCCESS["listmonk"],
    ]
    with caplog.at_level(logging.WARNING, logger="digest"):
        [result] = export(config, dist, ["listmonk"], do_push=True, env=env_for("listmonk", api))
    assert len(api.received) == 3
    assert result.pushed[0].status == 200
    assert (
        "HTTP 429: slow down; retrying" in caplog.text and "HTTP 503: busy; retrying" in caplog.text
    )


def test_persistent_server_errors_give_up_after_four_attempts(project, api_for) -> None:
    config, dist = project
    api = api_for("listmonk")
    api.script = [(500, {"message": "database is down"}, {})] * 4
    with pytest.raises(
        ExportError,
        match=r"listmonk: create campaign failed after 4 attempts: HTTP 500: database is down",
    ):
        export(config, dist, ["listmonk"], do_push=True, env=env_for("listmonk", api))
    assert len(api.received) == 4


def test_client_errors_stop_at_once_with_the_services_message(project, api_for) -> None:
    config, dist = project
    api = api_for("mailchimp")
    api.script = [
        (
            400,
            {
                "title": "Invalid Resource",
                "detail": f"The resource submitted could not be validated (key {SECRET}).",
            },
            {},
        )
    ]
    with pytest.raises(ExportError) as caught:
        export(config, dist, ["mailchimp"], do_push=True, env=env_for("mailchimp", api))
    message = str(caught.value)
    assert (
        "mailchimp: create campaign was refused: HTTP 400: The resource submitted could not be validated"
        in message
    )
    assert SECRET not in message and "(key ****)" in message
    assert len(api.received) == 1


def test_missing_credentials_name_the_variable(project) -> None:
    config, dist = project
    with pytest.raises(ExportError, match=r"mailchimp: MAILCHIMP_API_KEY not set") as caught:
        export(config, dist, ["mailchimp"], do_push=True, env={})
    assert "environment" in str(caught.value)
    with pytest.raises(ExportError, match=r"LISTMONK_USERNAME not set"):
        export(
            config,
            dist,
            ["listmonk"],
            do_push=True,
            env={"LISTMONK_API_TOKEN": "x", "LISTMONK_URL": "http://127.0.0.1:9"},
        )
    with pytest.raises(ExportError, match=r"listmonk: LISTMONK_URL not set"):
        export(
            config,
            dist,
            ["listmonk"],
            do_push=True,
            env={"LISTMONK_API_TOKEN": "x", "LISTMONK_USERNAME": "u"},
        )
    with pytest.raises(ExportError, match="eml cannot be pushed from digest"):
        export(config, dist, ["eml"], do_push=True, env={})
    with pytest.raises(
        ExportError, match=r"ses: AWS_SECRET_ACCESS_KEY and AWS_ACCESS_KEY_ID not set"
    ):
        export(config, dist, ["ses"], do_push=True, env={"AWS_REGION": "eu-west-1"})


def test_unreachable_service_is_a_clear_error(project) -> None:
    config, dist = project
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"POSTMARK_SERVER_TOKEN": SECRET, "POSTMARK_API_URL": f"http://127.0.0.1:{port}"}
    with pytest.raises(
        ExportError, match=r"postmark: send email failed after 4 attempts: cannot connect"
    ) as caught:
        export(config, dist, ["postmark"], do_push=True, env=env)
    assert SECRET not in str(caught.value)


def test_cli_push_reads_credentials_from_the_environment(
    project, api_for, runner: CliRunner, monkeypatch
) -> None:
    config, dist = project
    api = api_for("buttondown")
    for key, value in env_for("buttondown", api).items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(
        main, ["export", "--config", str(config.source), "--to", "buttondown", "--push", str(dist)]
    )
    assert result.exit_code == 0, result.output
    assert "buttondown: create email: HTTP 201" in result.output
    assert SECRET not in result.output
    # the same digest again is refused before anything is sent: it would go out twice
    sent = len(api.received)
    again = ["export", "--config", str(config.source), "--to", "buttondown", "--push", str(dist)]
    refused = runner.invoke(main, again)
    assert refused.exit_code == 1 and len(api.received) == sent
    assert "buttondown: this issue was already pushed as digest-2026-11-26" in refused.output
    assert "--again" in refused.output
    api.script = [(401, {"detail": "Invalid token."}, {})]
    result = runner.invoke(main, [*again, "--again"])
    assert result.exit_code == 1
    assert "error: buttondown: create email was refused: HTTP 401: Invalid token." in result.output
    assert "Traceback" not in result.output


def test_push_files_are_written_even_when_the_push_fails(project, api_for) -> None:
    config, dist = project
    api = api_for("sendgrid")
    (dist / "export" / "sendgrid.json").unlink(missing_ok=True)
    api.script = [
        (
            400,
            {
                "errors": [
                    {"message": "The from address does not match a verified Sender Identity."}
                ]
            },
            {},
        )
    ]
    with pytest.raises(ExportError, match="does not match a verified Sender Identity"):
        export(config, dist, ["sendgrid"], do_push=True, env=env_for("sendgrid", api))
    assert Path(dist / "export" / "sendgrid.json").is_file()


AUTH_HEADERS = {"authorization", "x-postmark-server-token", "x-amz-security-token"}


def echo_auth(received: Received) -> Answer:
    """A 400 quoting the credentials back, as a careless proxy or API does."""
    quoted = "; ".join(
        f"{k}: {v}" for k, v in received.headers.items() if k.lower() in AUTH_HEADERS
    )
    return 400, f"Bad request. You sent {quoted}".encode(), {}


@pytest.mark.parametrize("service", list(EXPECTED_PATHS))
def test_an_echoed_credential_is_scrubbed_in_every_encoding(
    project, api_for, service: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    config, dist = project
    api = api_for(service)
    api.script = [echo_auth]
    env = env_for(service, api)
    if service == "ses":
        env["AWS_SESSION_TOKEN"] = SECRET  # sent raw, in X-Amz-Security-Token
    with caplog.at_level(logging.DEBUG, logger="digest"), pytest.raises(ExportError) as caught:
        export(config, dist, [service], do_push=True, env=env)
    message = str(caught.value)
    assert "You sent" in message and "****" in message
    assert not exposes(message, SECRET)
    assert not exposes(caplog.text, SECRET)
    # the stand-in did receive the secret, in the encoding the scrubber must know
    sent = " ".join(
        v for r in api.received for k, v in r.headers.items() if k.lower() in AUTH_HEADERS
    )
    assert exposes(sent, SECRET)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.binary(max_size=12),
    suffix=st.binary(max_size=12),
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=6, max_size=40),
    urlsafe=st.booleans(),
    padded=st.booleans(),
)
def test_the_scrubber_finds_a_secret_inside_any_base64(
    prefix: bytes, suffix: bytes, secret: str, urlsafe: bool, padded: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    encoded = encode(prefix + secret.encode() + suffix).decode()
    if not padded:
        encoded = encoded.rstrip("=")
    scrub = Scrubber.of([secret])
    for text in (f"Authorization: Basic {encoded}", f"x{encoded}.", f"{secret} and {encoded}"):
        assert not exposes(scrub(text), secret)


def test_the_scrubber_knows_percent_json_and_html_forms() -> None:
    secret = 'a/b+c=d&é"<k>'
    scrub = Scrubber.of([secret, None, ""])
    for form in (
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret),
        json.dumps(secret, ensure_ascii=True),
        html.escape(secret),
    ):
        assert scrub(f"[{form}]") == "[****]" or "****" in scrub(f"[{form}]")
        assert secret not in scrub(f"[{form}]") and form not in scrub(f"[{form}]")
    assert Scrubber.of([])("nothing to hide") == "nothing to hide"
    # innocent text stays as it was
    assert scrub("HTTP 400: Invalid token (see https://example.org/docs)") == (
        "HTTP 400: Invalid token (see https://example.org/docs)"
    )


def ledger_text(config: Config) -> str:
    path = config.paths.ledger
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Config, Path]:
    """A project of its own, for tests that read its ledger."""
    return build_project(tmp_path)


@pytest.mark.parametrize("service", ["postmark", "listmonk"])
def test_a_redirect_is_a_failure_never_followed_nor_recorded(fresh, api_for, service: str) -> None:
    config, dist = fresh
    api, elsewhere = api_for(service), api_for(service)
    api.script = [(302, b"", {"Location": f"{elsewhere.url}{EXPECTED_PATHS[service][0]}"})]
    with pytest.raises(ExportError, match=r"failed: HTTP 302, a redirect to http://127") as caught:
        export(config, dist, [service], do_push=True, env=env_for(service, api))
    assert "nothing was recorded as sent" in str(caught.value)
    assert len(api.received) == 1 and elsewhere.received == []
    assert ledger_text(config) == ""


WRONG_ANSWERS = [
    ("postmark", (200, {"Message": "OK"}, {}), "without the 'MessageID'"),
    (
        "postmark",
        (200, {"MessageID": "m-1", "ErrorCode": 406, "Message": "Inactive"}, {}),
        "ErrorCode = 406",
    ),
    ("mailgun", (200, b"<html>Welcome to the Wi-Fi</html>", {}), "without the JSON body"),
    ("mailgun", (200, {"message": "Queued. Thank you."}, {}), "without the 'id'"),
    ("sendgrid", (200, b"", {}), "HTTP 200, where the API answers 202"),
    ("sendgrid", (202, b"<html>ok</html>", {}), "with a body, where the API sends none"),
    ("listmonk", (200, {"data": {"id": ""}}, {}), "without the 'data.id'"),
    ("buttondown", (201, ["a list"], {}), "without the JSON object"),
    ("ses", (200, {"MessageId": True}, {}), "without the 'MessageId'"),
]


@pytest.mark.parametrize(("service", "answer", "wrong"), WRONG_ANSWERS)
def test_a_2xx_without_the_promised_answer_is_a_failure_not_recorded(
    fresh, api_for, service: str, answer: Answer, wrong: str
) -> None:
    config, dist = fresh
    api = api_for(service)
    api.script = [answer]
    with pytest.raises(ExportError, match=re.escape(wrong)) as caught:
        export(config, dist, [service], do_push=True, env=env_for(service, api))
    assert "nothing was recorded as sent" in str(caught.value)
    assert len(api.received) == 1
    assert ledger_text(config) == ""


def test_an_id_from_a_response_cannot_steer_the_next_path(project, api_for) -> None:
    config, dist = project
    api = api_for("mailchimp")
    api.script = [(200, {"id": "../../lists/x?y=1#z"}, {})]
    export(config, dist, ["mailchimp"], do_push=True, env=env_for("mailchimp", api))
    assert api.received[1].path == "/campaigns/..%2F..%2Flists%2Fx%3Fy%3D1%23z/content"


# Where each exporter's endpoints are described: (spec file, path, method), in request order.
OPERATIONS = {
    "mailchimp": [
        ("mailchimp/mailchimp-campaigns-api-openapi.yml", "/campaigns", "post"),
        (
            "mailchimp/mailchimp-campaigns-api-openapi.yml",
            "/campaigns/{campaign_id}/content",
            "put",
        ),
    ],
    "sendgrid": [("sendgrid/tsg_mail_v3.json", "/v3/mail/send", "post")],
    "sendgrid-singlesend": [
        ("sendgrid/tsg_mc_singlesends_v3.json", "/v3/marketing/singlesends", "post")
    ],
    "mailgun": [("mailgun/openapi.yaml", "/v3/{domain_name}/messages", "post")],
    "listmonk": [("listmonk/collections.yaml", "/campaigns", "post")],
    "buttondown": [("buttondown/openapi.json", "/emails", "post")],
}
# listmonk/SOURCE.txt: this snapshot's schemas are incomplete. Its createCampaign answer
# names CampaignUpdate (no id), while the docs' example answer for POST /api/campaigns
# (docs/docs/content/apis/campaigns.md) is the whole Campaign, id included.
SCHEMA_FIXES = {"#/components/schemas/CampaignUpdate": "#/components/schemas/Campaign"}


def _resolve(document: Any, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        ref = SCHEMA_FIXES.get(schema["$ref"], schema["$ref"])
        schema = document
        for step in ref.lstrip("#/").split("/"):
            schema = schema[step]
    return schema


def declared(config: Config, dist: Path, service: str) -> list[Any]:
    from digest.delivery import load_email, read_built
    from digest.exporters import get_exporter

    exporter = get_exporter(service)
    options, _ = exporter.validate_options(config.exports.get(service, {}))
    produced = exporter.export(load_email(config, read_built(dist), dist), options)
    return [request.expect for request in produced.requests]


@pytest.mark.parametrize("service", [*OPERATIONS, "ses"])
def test_declared_answers_are_the_published_ones(project, service: str) -> None:
    """Each request's Expect names the success status and id path of the service's spec."""
    from .specs import load

    require_specs()
    config, dist = project
    expects = declared(config, dist, service)
    if service == "ses":
        model = load("ses/sesv2-2019-09-27-service-2.json")
        operation = model["operations"]["SendEmail"]
        [expect] = expects
        assert expect.status == operation["http"].get("responseCode", 200)
        assert expect.id in model["shapes"][operation["output"]["shape"]]["members"]
        assert (SUCCESS["ses"](None)[1] or {}).get(expect.id)  # type: ignore[arg-type]
        return
    assert len(expects) == len(OPERATIONS[service])
    for expect, (spec, path, method) in zip(expects, OPERATIONS[service], strict=True):
        document = load(spec)
        responses = document["paths"][path][method]["responses"]
        successes = [code for code in responses if str(code).startswith("2")]
        assert [int(code) for code in successes] == [expect.status], (path, successes)
        answer = _resolve(document, responses[successes[0]])
        schema = answer.get("schema") or answer.get("content", {}).get("application/json", {}).get(
            "schema"
        )
        if expect.empty:
            assert schema is None
            continue
        schema = _resolve(document, schema)
        for step in expect.id.split(".") if expect.id else []:
            assert step in schema.get("properties", {}), (path, expect.id)
            schema = _resolve(document, schema["properties"][step])


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(push_module, "_pause", waited.append)
    return waited


SENDS = ["postmark", "mailgun", "sendgrid", "ses"]


@pytest.mark.parametrize("service", SENDS)
def test_a_5xx_from_a_send_endpoint_is_sent_once_and_recorded_unconfirmed(
    fresh, api_for, service: str, runner: CliRunner
) -> None:
    config, dist = fresh
    api = api_for(service)
    api.script = [(502, {"message": "Bad gateway"}, {})]
    with pytest.raises(UnconfirmedError) as caught:
        export(config, dist, [service], do_push=True, env=env_for(service, api))
    assert len(api.received) == 1  # never twice
    message = str(caught.value)
    assert "may have been sent: HTTP 502" in message
    assert "recorded in the ledger as unconfirmed (digest-2026-11-26)" in message
    assert f"if it went out, run: digest mark-sent {dist}" in message
    assert f"digest export --to {service} --push {dist}" in message
    [entry] = ledger.read(config.paths.ledger)
    assert entry.unconfirmed.startswith(f"{service}: ") and "HTTP 502" in entry.unconfirmed
    assert entry.via == f"push {service}"

    # --new-only neither resends nor drops it: it stops and says how to settle it
    build_args = ["build", "--config", str(config.source), "--until", "2026-11-26", "--new-only"]
    refused = runner.invoke(main, [*build_args, "--out", str(dist.parent / "next")])
    assert refused.exit_code == 1, refused.output
    assert "digest-2026-11-26 may or may not have gone out" in refused.output
    assert "digest mark-sent" in refused.output and "Traceback" not in refused.output

    # the editor checked: it went out
    marked = runner.invoke(main, ["mark-sent", "--config", str(config.source), str(dist)])
    assert marked.exit_code == 0, marked.output
    [entry] = ledger.read(config.paths.ledger)
    assert (entry.id, entry.unconfirmed, entry.via) == ("digest-2026-11-26", "", "mark-sent")
    assert "unconfirmed" not in ledger_text(config)
    after = runner.invoke(main, [*build_args, "--out", str(dist.parent / "next")])
    assert after.exit_code == 0 and "nothing to send" in after.output


def test_an_unconfirmed_issue_pushed_again_is_confirmed(fresh, api_for) -> None:
    config, dist = fresh
    api = api_for("postmark")
    api.script = [(500, {"Message": "oops"}, {})]
    with pytest.raises(UnconfirmedError):
        export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    [entry] = ledger.read(config.paths.ledger)
    assert (entry.id, entry.unconfirmed, entry.via) == ("digest-2026-11-26", "", "push postmark")
    # pushing the confirmed issue again is refused before anything is sent
    sent = len(api.received)
    with pytest.raises(ExportError, match="already pushed as digest-2026-11-26"):
        export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    assert len(api.received) == sent
    # and, pushed anyway, an unconfirmed outcome does not undo the confirmation
    api.script = [(500, {"Message": "oops"}, {})]
    with pytest.raises(UnconfirmedError, match="already recorded as sent"):
        export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api), again=True)
    assert ledger.read(config.paths.ledger) == (entry,)


def test_a_slow_send_endpoint_receives_the_request_once(
    fresh, api_for, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    config, dist = fresh
    monkeypatch.setattr(push_module, "TIMEOUT", httpx.Timeout(0.5))
    api = api_for("mailgun")
    api.script = [slow(1.5, SUCCESS["mailgun"](None))]  # type: ignore[arg-type]
    with pytest.raises(UnconfirmedError, match=r"may have been sent: no answer in time"):
        export(config, dist, ["mailgun"], do_push=True, env=env_for("mailgun", api))
    assert len(api.received) == 1 and pauses == []
    assert ledger.read(config.paths.ledger)[0].unconfirmed


def test_a_slow_create_endpoint_is_not_retried(
    project, api_for, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    """Creating a draft sends no mail, but a second POST that arrived makes a second draft:
    an answer-less create is one request, a clear error, and nothing recorded."""
    config, dist = project
    monkeypatch.setattr(push_module, "TIMEOUT", httpx.Timeout(0.5))
    api = api_for("listmonk")
    api.script = [slow(1.5, SUCCESS["listmonk"](None))]  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="may have gone through: no answer in time") as caught:
        export(config, dist, ["listmonk"], do_push=True, env=env_for("listmonk", api))
    assert not isinstance(caught.value, UnconfirmedError)  # a draft: no mail went out
    assert "check " in str(caught.value) and "--again" in str(caught.value)
    assert len(api.received) == 1 and pauses == []
    assert ledger.read(config.paths.ledger) == ()


def test_a_429_is_retried_after_the_wait_the_service_asks_for(
    fresh, api_for, pauses: list[float]
) -> None:
    config, dist = fresh
    api = api_for("postmark")
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api.script = [
        (429, {"Message": "Rate limit"}, {"Retry-After": "7"}),
        (429, {"Message": "Rate limit"}, {"Retry-After": later}),
    ]
    [result] = export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    assert len(api.received) == 3 and result.pushed[0].id
    assert pauses[0] == 7 and 20 < pauses[1] <= 30
    assert ledger.read(config.paths.ledger)[0].unconfirmed == ""

    api.script = [(429, {"Message": "Daily limit"}, {"Retry-After": "3600"})]
    with pytest.raises(ExportError, match="asks to wait 3600 s: push again later") as caught:
        export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api), again=True)
    assert not isinstance(caught.value, UnconfirmedError)


def test_a_refused_connection_is_retried_and_sends_once(
    fresh, api_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, dist = fresh
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: list[FakeApi] = []

    def service_comes_up(seconds: float) -> None:
        if not started:
            started.append(api_for("postmark", port=port))

    monkeypatch.setattr(push_module, "_pause", service_comes_up)
    env = {"POSTMARK_SERVER_TOKEN": SECRET, "POSTMARK_API_URL": f"http://127.0.0.1:{port}"}
    [result] = export(config, dist, ["postmark"], do_push=True, env=env)
    assert result.pushed[0].id and len(started[0].received) == 1
    assert ledger.read(config.paths.ledger)[0].unconfirmed == ""


class IdempotentService(Exporter):
    """A service whose send endpoint documents an idempotency key (none built in does)."""

    name = "idempotent"
    description = "a stand-in"
    credentials = Credentials(scheme="bearer", secret_env="KEY", base_url_env="URL")

    def export(self, email: Any, options: Any) -> Export:
        return Export(
            files={},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/send",
                    json={"to": "a@example.org"},
                    expect=Expect(status=200, id="id"),
                    idempotency_header="Idempotency-Key",
                ),
            ),
        )


def test_a_send_with_an_idempotency_key_is_retried_with_the_same_key(
    api_for, pauses: list[float]
) -> None:
    exporter = IdempotentService()
    api = api_for("idempotent")
    api.script = [(503, {"message": "busy"}, {}), (200, {"id": "m-1"}, {})]
    env = {"KEY": SECRET, "URL": api.url}
    [answer] = push_module.push(exporter, exporter.export(None, {}), env)
    assert answer.id == "m-1"
    keys = [r.headers["Idempotency-Key"] for r in api.received]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("digest-")
    # the same request in a later run carries the same key: the service recognises it
    assert keys[0] == push_module.idempotency_key(exporter.export(None, {}).requests[0])
    api.script = [(503, {"message": "busy"}, {})] * 4
    with pytest.raises(UnconfirmedError, match="failed after 4 attempts: HTTP 503"):
        push_module.push(exporter, exporter.export(None, {}), env)


@pytest.mark.parametrize("drip", [drip_headers, drip_body])
def test_a_dripping_send_endpoint_cannot_hold_the_push(
    fresh, api_for, monkeypatch: pytest.MonkeyPatch, pauses: list[float], drip: Any
) -> None:
    config, dist = fresh
    monkeypatch.setattr(push_module, "DEADLINE_SECONDS", 1.0)
    api = api_for("postmark")
    api.script = [drip()]  # a byte every 0.2 s: 400 s to finish
    started = time.monotonic()
    with pytest.raises(UnconfirmedError, match="no complete answer within the 1 s deadline"):
        export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    # bounded by the deadline, not by the server (a generous margin for a busy machine)
    assert time.monotonic() - started < 20
    assert len(api.received) == 1 and pauses == []


def test_a_dripping_create_endpoint_is_one_bounded_request(
    project, api_for, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    config, dist = project
    monkeypatch.setattr(push_module, "DEADLINE_SECONDS", 1.0)
    api = api_for("listmonk")
    api.script = [drip_body()] * 4
    started = time.monotonic()
    with pytest.raises(ExportError, match="may have gone through: no complete answer") as caught:
        export(config, dist, ["listmonk"], do_push=True, env=env_for("listmonk", api))
    assert time.monotonic() - started < 15
    assert not isinstance(caught.value, UnconfirmedError)  # a draft: nothing was sent
    assert len(api.received) == 1 and pauses == []


def test_retries_stop_when_the_push_budget_is_spent(
    project, api_for, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    """All the attempts of one request share one budget, waits included."""
    config, dist = project
    monkeypatch.setattr(push_module, "PUSH_BUDGET_SECONDS", 0.0)
    api = api_for("mailchimp")
    api.script = [(503, {"detail": "busy"}, {})] * 4
    with pytest.raises(ExportError, match="budget is spent"):
        export(config, dist, ["mailchimp"], do_push=True, env=env_for("mailchimp", api))
    assert len(api.received) == 1


def test_an_answer_is_read_up_to_a_cap(project, api_for, monkeypatch: pytest.MonkeyPatch) -> None:
    config, dist = project
    monkeypatch.setattr(push_module, "MAX_ANSWER_BYTES", 1000)
    api = api_for("mailgun")
    api.script = [(400, {"message": "x" * 5000}, {})]
    with pytest.raises(ExportError, match="was refused: HTTP 400") as caught:
        export(config, dist, ["mailgun"], do_push=True, env=env_for("mailgun", api))
    # cut at 1000 bytes, the JSON no longer parses: the message is its first raw characters
    assert 'HTTP 400: {"message": "xxxx' in str(caught.value)


@pytest.mark.parametrize("address", ["api.mailgun.net", "ftp://x", "http://[::1", "http://h:99999"])
def test_an_unusable_address_is_refused_before_anything_is_sent(project, address: str) -> None:
    config, dist = project
    env = {"MAILGUN_API_KEY": SECRET, "MAILGUN_API_URL": address}
    with pytest.raises(ExportError, match=r"mailgun: the API address is not an http\(s\) URL"):
        export(config, dist, ["mailgun"], do_push=True, env=env)
    env["MAILGUN_API_URL"] = "ftp://admin:hunter2hunter2@x"
    with pytest.raises(ExportError, match="MAILGUN_API_URL") as caught:
        export(config, dist, ["mailgun"], do_push=True, env=env)
    assert not exposes(str(caught.value), "hunter2hunter2")


def test_a_push_works_from_a_thread_that_runs_an_event_loop(project, api_for) -> None:
    """A library user calling from async code (or playwright's sync API) has a loop running."""
    config, dist = project
    api = api_for("postmark")

    async def caller() -> Any:
        return export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))

    with ThreadPoolExecutor(max_workers=1) as thread:  # this thread may run one already
        [result] = thread.submit(asyncio.run, caller()).result()
    assert result.pushed[0].id and len(api.received) == 1


def test_a_rebuilt_issue_is_not_pushed_twice_to_the_same_service(
    project, api_for, tmp_path: Path
) -> None:
    """A copy edit after the push gives new HTML, but the same edition and week: refused."""
    config, dist = project
    api = api_for("postmark")
    export(config, dist, ["postmark"], do_push=True, env=env_for("postmark", api))
    sent = len(api.received)
    edited = tmp_path / "edited"
    shutil.copytree(dist, edited)
    manifest = json.loads((edited / "digest.json").read_text())
    html = (edited / "digest.html").read_text().replace("Leading Well", "Leading  Well", 1)
    (edited / "digest.html").write_text(html)
    manifest["html_sha256"] = hashlib.sha256(html.encode()).hexdigest()
    (edited / "digest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="this issue was already pushed as digest-2026-11-26"):
        export(config, edited, ["postmark"], do_push=True, env=env_for("postmark", api))
    assert len(api.received) == sent
    # another service has not had it: that push goes ahead
    other = api_for("mailgun")
    export(config, edited, ["mailgun"], do_push=True, env=env_for("mailgun", other))
    assert len(other.received) == 1


@pytest.mark.parametrize(
    "encode",
    [
        lambda raw: raw.hex(),
        lambda raw: raw.hex().upper(),
        lambda raw: "".join(f"%{b:02X}" for b in raw),
        lambda raw: "".join(f"%{b:02x}" for b in raw),
        lambda raw: raw.decode().upper(),
        lambda raw: base64.b64encode(
            b"Authorization: Basic " + base64.b64encode(b"api:" + raw)
        ).decode(),
    ],
    ids=["hex", "HEX", "percent", "percent-lower", "upper", "base64-of-the-header-line"],
)
def test_the_scrubber_knows_more_encodings(encode: Callable[[bytes], str]) -> None:
    from digest.exporters.scrub import Scrubber

    shown = encode(SECRET.encode())
    scrubbed = Scrubber.of([SECRET])(f"the service said: {shown} (bad key)")
    assert shown not in scrubbed and "****" in scrubbed
    assert Scrubber.of([SECRET])("an innocent 0123456789abcdef line") == (
        "an innocent 0123456789abcdef line"
    )
