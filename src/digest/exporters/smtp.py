"""Test sends over SMTP: the only user of smtplib.

The exported ``.eml`` bytes are sent exactly as written, so what arrives is
byte for byte what the editor can open. The password comes from the
environment only (``DIGEST_SMTP_PASSWORD``) and never appears in a message:
the server's replies are scrubbed of it in every form it travels in (``AUTH
PLAIN`` and ``AUTH LOGIN`` send it base64-encoded, and a server may quote
them back).

The socket timeout bounds each read and write, and one deadline
(:data:`DEADLINE_SECONDS`) the whole conversation: a watchdog shuts the
socket down when it passes, so a server that drips its replies a byte at a
time cannot hold the send. Nothing is ever sent twice: there are no retries,
and a failure after the end of the message left (the server may have
accepted it) is an :class:`~digest.errors.UnconfirmedError`.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
from collections.abc import Sequence
from typing import Any

from ..errors import ExportError, UnconfirmedError
from .scrub import Scrubber

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"
DEADLINE_SECONDS = 120.0  # connect, log in and deliver: the whole conversation
END_OF_DATA = b"\r\n.\r\n"


class _Client(smtplib.SMTP):
    """smtplib's client, noting when the message has left."""

    message_sent = False  # the end of DATA was sent: the server may have accepted it
    expired = False  # the watchdog stopped it

    def send(self, s: Any) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(END_OF_DATA):
            self.message_sent = True


def _watch(client: _Client, done: threading.Event) -> None:
    """At the deadline, shut the client's socket down (and any it opens after) until done.

    A shutdown makes a blocked read or write return at once, in any state of
    smtplib, TLS included; polling also catches a socket still being connected.
    """
    if done.wait(DEADLINE_SECONDS):
        return
    client.expired = True
    while True:
        if client.sock is not None:
            with contextlib.suppress(OSError):  # already closed
                client.sock.shutdown(socket.SHUT_RDWR)
        if done.wait(0.05):
            return


def _reply(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)


def _explain(exc: OSError, user: str | None, expired: bool = False) -> str:
    """What went wrong, in the words of the server where it gave some."""
    if expired:
        return f"the SMTP server did not finish within the {DEADLINE_SECONDS:g} s deadline"
    if isinstance(exc, ConnectionRefusedError):
        return "cannot connect to the SMTP server: connection refused"
    if isinstance(exc, TimeoutError):
        return "the SMTP server did not answer in time"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the SMTP server refused the login for {user}: {exc.smtp_code} {_reply(exc)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the SMTP server does not support that: {exc}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"the SMTP server refused every recipient: {', '.join(sorted(exc.recipients))}"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP error: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"STARTTLS failed: {exc.reason}"
    return f"cannot connect to the SMTP server: {exc.strerror or exc}"


def send_bytes(
    data: bytes,
    *,
    host: str,
    port: int,
    sender: str,
    recipients: Sequence[str],
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
) -> list[str]:
    """Deliver ``data``; returns the recipients the server refused while it took the rest.

    Those it took have the message: the caller records it as sent, then reports them.
    """
    where = f"{host}:{port}"
    if user and not password:
        raise ExportError(
            f"--user {user} given but {PASSWORD_ENV} is not set",
            where=where,
            hint=f"export {PASSWORD_ENV}=… (the password is never taken from a flag)",
        )
    scrub = Scrubber.of([password])
    client = _Client(timeout=timeout)
    done = threading.Event()
    threading.Thread(target=_watch, args=(client, done), daemon=True).start()
    try:
        with client:
            client.connect(host, port)
            client.ehlo()
            if starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if user:
                client.login(user, password or "")
            refused = client.sendmail(sender, list(recipients), data)
    except OSError as exc:  # smtplib.SMTPException and ssl.SSLError are OSErrors
        problem = scrub(_explain(exc, user, client.expired))
        if client.message_sent and not isinstance(exc, smtplib.SMTPResponseException):
            raise UnconfirmedError(
                f"the message may have been delivered: {problem}; not sent again",
                reason=f"smtp {where}: {problem}",
                check="the recipients' inboxes (or the SMTP server's log)",
                where=where,
            ) from None
        raise ExportError(problem, where=where) from None
    finally:
        done.set()
    return sorted(refused)
