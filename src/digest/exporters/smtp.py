"""Test sends over SMTP: the only user of smtplib.

The exported ``.eml`` bytes are sent exactly as written, so what arrives is
byte for byte what the editor can open. The password comes from the
environment only (``DIGEST_SMTP_PASSWORD``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence

from ..errors import ExportError

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"


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
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            client.ehlo()
            if starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if user:
                client.login(user, password or "")
            refused = client.sendmail(sender, list(recipients), data)
    except ConnectionRefusedError:
        raise ExportError(
            "cannot connect to the SMTP server: connection refused", where=where
        ) from None
    except TimeoutError:
        raise ExportError("the SMTP server did not answer in time", where=where) from None
    except smtplib.SMTPAuthenticationError as exc:
        reason = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise ExportError(
            f"the SMTP server refused the login for {user}: {exc.smtp_code} {reason}", where=where
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ExportError(f"the SMTP server does not support that: {exc}", where=where) from None
    except smtplib.SMTPRecipientsRefused as exc:
        names = ", ".join(sorted(exc.recipients))
        raise ExportError(
            f"the SMTP server refused every recipient: {names}", where=where
        ) from None
    except smtplib.SMTPException as exc:
        raise ExportError(f"SMTP error: {exc}", where=where) from None
    except ssl.SSLError as exc:
        raise ExportError(f"STARTTLS failed: {exc.reason}", where=where) from None
    except OSError as exc:
        raise ExportError(
            f"cannot connect to the SMTP server: {exc.strerror or exc}", where=where
        ) from None
    if refused:
        raise ExportError(f"the SMTP server refused: {', '.join(sorted(refused))}", where=where)
