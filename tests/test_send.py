"""digest send against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from digest import ledger
from digest.cli import main
from digest.delivery import send
from digest.errors import ExportError, UnconfirmedError
from digest.exporters import smtp as smtp_module

from .exporthelp import build_project
from .leaks import exposes

PASSWORD = "correct horse battery staple"
# The test server allows AUTH without TLS on loopback; aiosmtpd rightly warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"editor"
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_send(config: Any, dist: Path, port: int, **options: Any) -> Path:
    """``send`` to the test server on 127.0.0.1:``port``."""
    return send(config, dist, host="127.0.0.1", port=port, **options)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp_auth() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


class ScriptedSmtp(socketserver.StreamRequestHandler):
    """A misbehaving SMTP server: ``reply(line)`` answers each command line (None: hang up).

    ``drip`` > 0 sends the greeting a byte at a time, that many seconds apart.
    """

    reply: Callable[[bytes], bytes | None]
    greeting = b"220 scripted ESMTP\r\n"
    drip = 0.0

    def handle(self) -> None:
        try:
            if self.drip:
                for byte in b"220-" + b"." * 2000 + b"\r\n" + self.greeting:
                    self.wfile.write(bytes([byte]))
                    time.sleep(self.drip)
            self.wfile.write(self.greeting)
            for line in self.rfile:
                answer = type(self).reply(line.rstrip(b"\r\n"))
                if answer is None:
                    return
                self.wfile.write(answer)
        except OSError:  # the client went away
            pass


def echoing_auth(mechanisms: bytes) -> Callable[[bytes], bytes | None]:
    """Offers ``mechanisms`` and refuses every login, quoting what the client sent."""

    def reply(line: bytes) -> bytes | None:
        command = line.split(b" ", 1)[0].upper()
        if command == b"EHLO":
            return b"250-scripted\r\n250 AUTH " + mechanisms + b"\r\n"
        if command == b"AUTH" and line.split()[1].upper() == b"LOGIN":
            return b"334 UGFzc3dvcmQ6\r\n"  # "Password:"; the next line is the password
        if command == b"QUIT":
            return None
        return b"535 5.7.8 rejected: " + line + b"\r\n"

    return reply


@pytest.fixture
def scripted() -> Iterator[Callable[..., int]]:
    servers: list[socketserver.ThreadingTCPServer] = []

    def make(reply: Callable[[bytes], bytes | None], drip: float = 0.0) -> int:
        handler = type("Handler", (ScriptedSmtp,), {"reply": staticmethod(reply), "drip": drip})
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return int(server.server_address[1])

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    return build_project(tmp_path_factory.mktemp("send"))


def test_received_message_is_byte_for_byte_the_export(project, smtp) -> None:
    config, dist = project
    inbox, port = smtp
    eml = local_send(config, dist, port, recipients=["reader@example.org"], env={})
    [envelope] = inbox.messages
    assert envelope.mail_from == "digest@leadingwell.example.org"
    assert envelope.rcpt_tos == ["reader@example.org"]
    exported = eml.read_bytes()
    assert envelope.original_content == exported
    received = email.message_from_bytes(envelope.original_content, policy=policy.default)
    text_part, html_part = received.iter_parts()
    assert text_part.get_content().replace("\r\n", "\n") == (dist / "digest.txt").read_text(
        encoding="utf-8"
    )
    assert html_part.get_content().replace("\r\n", "\n") == (dist / "digest.html").read_text(
        encoding="utf-8"
    )


def test_login_with_password_from_the_environment(project, smtp_auth) -> None:
    config, dist = project
    inbox, port = smtp_auth
    local_send(
        config,
        dist,
        port,
        recipients=["a@example.org"],
        user="editor",
        env={"DIGEST_SMTP_PASSWORD": PASSWORD},
    )
    assert len(inbox.messages) == 1


def test_auth_failure_is_a_clear_error(project, smtp_auth) -> None:
    config, dist = project
    inbox, port = smtp_auth
    with pytest.raises(ExportError) as caught:
        local_send(
            config,
            dist,
            port,
            recipients=["a@example.org"],
            user="editor",
            env={"DIGEST_SMTP_PASSWORD": "wrong"},
        )
    message = str(caught.value)
    assert message.startswith(
        f"127.0.0.1:{port}: the SMTP server refused the login for editor: 535"
    )
    assert "wrong" not in message
    assert inbox.messages == []


def test_user_without_password_is_refused_before_connecting(project) -> None:
    config, dist = project
    with pytest.raises(ExportError, match="DIGEST_SMTP_PASSWORD is not set"):
        send(
            config,
            dist,
            host="127.0.0.1",
            port=free_port(),
            recipients=["a@example.org"],
            user="editor",
            env={},
        )


def test_connection_refused_is_a_clear_error(project) -> None:
    config, dist = project
    port = free_port()
    with pytest.raises(
        ExportError,
        match=rf"127.0.0.1:{port}: cannot connect to the SMTP server: connection refused",
    ):
        local_send(config, dist, port, recipients=["a@example.org"], env={})


def test_send_command(project, smtp, runner: CliRunner) -> None:
    config, dist = project
    inbox, port = smtp
    result = runner.invoke(
        main,
        [
            "send",
            "--config",
            str(config.source),
            "--smtp",
            f"127.0.0.1:{port}",
            "--to",
            "x@example.org",
            str(dist),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"via 127.0.0.1:{port}" in result.output
    assert len(inbox.messages) == 1
    bad = runner.invoke(
        main,
        [
            "send",
            "--config",
            str(config.source),
            "--smtp",
            "nohostport",
            "--to",
            "x@example.org",
            str(dist),
        ],
    )
    assert bad.exit_code == 2 and "expected HOST:PORT" in bad.output
    refused = runner.invoke(
        main,
        [
            "send",
            "--config",
            str(config.source),
            "--smtp",
            f"127.0.0.1:{free_port()}",
            "--to",
            "x@example.org",
            str(dist),
        ],
    )
    assert (
        refused.exit_code == 1
        and "connection refused" in refused.output
        and "Traceback" not in refused.output
    )


def test_starttls_refused_by_the_server_is_a_clear_error(project, smtp) -> None:
    config, dist = project
    inbox, port = smtp
    with pytest.raises(
        ExportError, match="does not support that: STARTTLS extension not supported"
    ):
        local_send(
            config,
            dist,
            port,
            recipients=["a@example.org"],
            starttls=True,
            env={},
        )
    assert inbox.messages == []


@pytest.mark.parametrize("mechanisms", [b"PLAIN", b"LOGIN", b"PLAIN LOGIN"])
def test_a_server_quoting_the_login_back_never_shows_the_password(
    project, scripted, mechanisms: bytes
) -> None:
    config, dist = project
    port = scripted(echoing_auth(mechanisms))
    with pytest.raises(ExportError, match="refused the login for editor: 535") as caught:
        local_send(
            config,
            dist,
            port,
            recipients=["a@example.org"],
            user="editor",
            env={"DIGEST_SMTP_PASSWORD": PASSWORD},
        )
    message = str(caught.value)
    assert "rejected: " in message and "****" in message
    assert not exposes(message, PASSWORD)


def accepting(after_data: Callable[[], bytes | None]) -> Callable[[bytes], bytes | None]:
    """A server that takes the whole message, then answers its end with ``after_data()``."""
    state = {"data": False, "messages": 0}

    def reply(line: bytes) -> bytes | None:
        if state["data"]:
            if line != b".":
                return b""
            state["data"], state["messages"] = False, state["messages"] + 1
            return after_data()
        command = line.split(b" ", 1)[0].upper()
        if command == b"EHLO":
            return b"250 scripted\r\n"
        if command == b"DATA":
            state["data"] = True
            return b"354 go ahead\r\n"
        if command == b"QUIT":
            return None
        return b"250 ok\r\n"

    reply.state = state  # type: ignore[attr-defined]
    return reply


@pytest.fixture
def fresh(tmp_path):
    return build_project(tmp_path)


def test_a_dripping_server_cannot_hold_the_send(
    fresh, scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, dist = fresh
    monkeypatch.setattr(smtp_module, "DEADLINE_SECONDS", 1.0)
    port = scripted(accepting(lambda: b"250 ok\r\n"), drip=0.2)  # a 400 s greeting
    started = time.monotonic()
    with pytest.raises(ExportError, match="did not finish within the 1 s deadline") as caught:
        local_send(config, dist, port, recipients=["a@example.org"], env={})
    assert time.monotonic() - started < 20  # bounded by the deadline, not by the server
    assert not isinstance(caught.value, UnconfirmedError)  # it never reached the message
    assert ledger.read(config.paths.ledger) == ()


def test_no_answer_to_the_end_of_the_message_is_unconfirmed(
    fresh, scripted, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    config, dist = fresh
    monkeypatch.setattr(smtp_module, "DEADLINE_SECONDS", 1.0)
    stop = threading.Event()

    def hang() -> None:  # no answer to the end of the message, then hang up
        stop.wait(30)

    reply = accepting(hang)
    port = scripted(reply)
    try:
        with pytest.raises(UnconfirmedError) as caught:
            local_send(
                config,
                dist,
                port,
                recipients=["a@example.org"],
                env={},
                record_issue=True,
            )
    finally:
        stop.set()
    message = str(caught.value)
    assert "the message may have been delivered" in message and "not sent again" in message
    assert "recorded in the ledger as unconfirmed (digest-2026-11-26)" in message
    assert f"digest mark-sent {dist}" in message and "the recipients' inboxes" in message
    assert f"digest send --record --smtp 127.0.0.1:{port} --to a@example.org {dist}" in message
    assert reply.state["messages"] == 1  # type: ignore[attr-defined]
    [entry] = ledger.read(config.paths.ledger)
    assert entry.unconfirmed.startswith(f"smtp 127.0.0.1:{port}: ")


def test_a_refusal_of_the_message_is_a_plain_failure(fresh, scripted) -> None:
    config, dist = fresh
    port = scripted(accepting(lambda: b"451 4.3.0 try again later\r\n"))
    with pytest.raises(ExportError, match="451") as caught:
        local_send(config, dist, port, recipients=["a@example.org"], env={})
    assert not isinstance(caught.value, UnconfirmedError)
    assert ledger.read(config.paths.ledger) == ()


def test_some_recipients_refused_is_still_recorded_as_sent(fresh, scripted) -> None:
    config, dist = fresh
    base = accepting(lambda: b"250 ok\r\n")

    def reply(line: bytes) -> bytes | None:
        if line.upper().startswith(b"RCPT TO:<GONE@"):
            return b"550 5.1.1 no such user\r\n"
        return base(line)

    port = scripted(reply)
    with pytest.raises(ExportError, match=r"refused gone@example\.org; the other recipients have"):
        local_send(
            config,
            dist,
            port,
            recipients=["a@example.org", "gone@example.org"],
            env={},
            record_issue=True,
        )
    assert base.state["messages"] == 1  # type: ignore[attr-defined]
    [entry] = ledger.read(config.paths.ledger)
    assert entry.unconfirmed == "" and entry.via == f"send 127.0.0.1:{port}"


def test_a_test_copy_is_not_recorded_so_the_real_issue_still_goes_out(
    fresh, scripted, runner: CliRunner
) -> None:
    """`digest send` is a test send unless --record: the next --new-only build keeps the posts."""
    config, dist = fresh
    port = scripted(accepting(lambda: b"250 ok\r\n"))
    local_send(config, dist, port, recipients=["me@example.org"], env={})
    assert ledger.read(config.paths.ledger) == ()
    local_send(
        config,
        dist,
        port,
        recipients=["list@example.org"],
        env={},
        record_issue=True,
    )
    [entry] = ledger.read(config.paths.ledger)
    assert entry.via == f"send 127.0.0.1:{port}"
