"""Test sends over SMTP: the only user of smtplib.

The exported ``.eml`` bytes are sent exactly as written, so what arrives is
byte for byte what the editor can open. The password comes from the
environment only (``DIGEST_SMTP_PASSWORD``) and never appears in a message:
the server's replies are scrubbed of it in every form it travels in (``AUTH
PLAIN`` and ``AUTH LOGIN`` send it base64-encoded, and a server may quote
them back).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence

from ..errors import ExportError
from .scrub import Scrubber

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)


def _explain(exc: OSError, user: str | None) -> str:
    """What went wrong, in the words of the server where it gave some."""
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
) -> None:
    where = f"{host}:{port}"
    if user and not password:
        raise ExportError(
            f"--user {user} given but {PASSWORD_ENV} is not set",
            where=where,
            hint=f"export {PASSWORD_ENV}=… (the password is never taken from a flag)",
        )
    scrub = Scrubber.of([password])
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            client.ehlo()
            if starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if user:
                client.login(user, password or "")
            refused = client.sendmail(sender, list(recipients), data)
    except OSError as exc:  # smtplib.SMTPException and ssl.SSLError are OSErrors
        raise ExportError(scrub(_explain(exc, user)), where=where) from None
    if refused:
        raise ExportError(
            scrub(f"the SMTP server refused: {', '.join(sorted(refused))}"), where=where
        )
