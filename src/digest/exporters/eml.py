"""Standard email files: ``.eml`` (one message) and ``.mbox`` (a mailbox of one).

Built with the standard library's ``email`` and ``mailbox`` packages: a
``multipart/alternative`` message, text part first and HTML last (clients
show the last part they can), UTF-8 with quoted-printable, and the list
headers mailbox providers require of bulk mail: ``List-Id``,
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 2369, 2919, 8058).
"""

from __future__ import annotations

import hashlib
import mailbox
import tempfile
from collections.abc import Mapping
from email import policy
from email.charset import QP, Charset
from email.errors import InvalidHeaderDefect, MessageError
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ExportError
from .base import (
    Email,
    Export,
    Exporter,
    address,
    list_unsubscribe,
    neutralise_text,
    require,
)

UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP


def _domain(email: Email) -> str:
    _, addr = address(email.sender)
    if "@" in addr:
        return addr.rsplit("@", 1)[1]
    return urlsplit(email.site_url).hostname or "localhost"


def message_id(email: Email) -> str:
    """Stable for the same digest, so rebuilding gives the same file."""
    digest = hashlib.sha256((email.subject + email.html + email.text).encode("utf-8")).hexdigest()
    return f"<digest.{email.issue_date.isoformat()}.{digest[:16]}@{_domain(email)}>"


def _header(message: EmailMessage, name: str, value: str, source: str) -> None:
    """Set a header from configured or composed text, as neutralised as the rest.

    The ``email`` package decodes RFC 2047 encoded words as it parses a header,
    even malformed ones, so the header is neutralised again as it reads; a value
    it cannot parse (it raises ValueError, HeaderParseError, even IndexError or
    AttributeError on odd input) is a clear error.
    """
    try:
        message[name] = value
        for _ in range(3):  # a decoded value may itself hold an encoded word
            shown = str(message[name])
            if neutralise_text(shown) == shown:
                break
            del message[name]
            message[name] = neutralise_text(shown)
        else:
            raise ValueError("it keeps decoding to template syntax")
        # An address with e.g. an unbalanced quote would go out as one encoded word.
        defects = message[name].defects if name in {"From", "Reply-To", "To"} else ()
        invalid = any(isinstance(defect, InvalidHeaderDefect) for defect in defects)
    except (ValueError, IndexError, AttributeError, TypeError, MessageError):
        invalid = True
    if invalid:
        raise ExportError(
            f"{source} cannot be written as the {name} header: {value!r}",
            hint="write addresses as: Name <user@example.org>",
        )


def build_message(email: Email) -> EmailMessage:
    sender = require(email.sender, "the sender", "[email] from")
    if not (email.unsubscribe_url or email.unsubscribe_mailto):
        raise ExportError(
            "bulk mail needs an unsubscribe address for its List-Unsubscribe header",
            hint="set [email] unsubscribe_url and/or unsubscribe_mailto in digest.toml",
        )
    message = EmailMessage(policy=policy.SMTP)
    _header(message, "From", sender, "[email] from")
    if email.reply_to:
        _header(message, "Reply-To", email.reply_to, "[email] reply_to")
    _header(message, "To", email.recipient or "undisclosed-recipients:;", "[email] to")
    _header(message, "Subject", email.subject, "the subject")
    message["Date"] = format_datetime(email.date)
    message["Message-ID"] = message_id(email)
    list_name = email.site_name.replace('"', "'").replace("\\", "\\\\")
    list_id = f'"{list_name}" <{email.list_id or "digest." + _domain(email)}>'
    _header(message, "List-Id", list_id, "[site] name and [email] list_id")
    message["List-Unsubscribe"] = list_unsubscribe(email)
    if email.unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    message.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary derived from the content (not random), so the same digest gives the same file.
    message.set_boundary(f"=_digest_{message_id(email)[8:-1].split('@')[0].replace('.', '_')}")
    return message


class EmlExporter(Exporter):
    name = "eml"
    description = "an RFC 5322 .eml file (multipart/alternative) that opens in any mail client"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        data = build_message(email).as_bytes(policy=policy.SMTP)
        return Export(files={"digest.eml": data})


class MboxExporter(Exporter):
    name = "mbox"
    description = "an mbox mailbox holding the digest, for mail clients and archives"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        message = build_message(email)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "digest.mbox"
            box = mailbox.mbox(path, create=True)
            try:
                box.lock()
                # The From_ line's date is the message's, so the file is reproducible.
                mbox_message = mailbox.mboxMessage(message)
                _, addr = address(email.sender)
                if not addr.isascii() or not addr or any(c.isspace() for c in addr):
                    addr = "digest"  # the From_ line is ASCII, one word
                mbox_message.set_from(addr, email.date.utctimetuple())
                box.add(mbox_message)
                box.flush()
            finally:
                box.unlock()
                box.close()
            return Export(files={"digest.mbox": path.read_bytes()})


__all__ = ["EmlExporter", "MboxExporter", "build_message", "message_id"]
