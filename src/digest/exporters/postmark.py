"""Postmark ``POST /email`` on a broadcast message stream, ``{{{ pm:unsubscribe }}}``.

Postmark keeps transactional and bulk mail apart: a digest must go through a
broadcast stream, where Postmark manages unsubscribes and fills in the
placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_nonempty, as_str
from ..errors import ExportError
from ._json import payload_bytes
from .base import (
    DEFUSE_BRACES,
    Credentials,
    Email,
    Export,
    Exporter,
    HttpRequest,
    Option,
    service_parts,
)


class PostmarkExporter(Exporter):
    name = "postmark"
    description = "Postmark /email on a broadcast stream, {{{ pm:unsubscribe }}} placeholder"
    placeholder = "{{{ pm:unsubscribe }}}"
    options: ClassVar[Mapping[str, Option]] = {
        "to": Option(as_str, default="", help="recipient; default: [email] to"),
        "message_stream": Option(as_nonempty, default="broadcast", help="a broadcast stream id"),
        "tag": Option(as_str, default="digest"),
    }
    credentials = Credentials(
        scheme="header",
        header="X-Postmark-Server-Token",
        secret_env="POSTMARK_SERVER_TOKEN",
        base_url_env="POSTMARK_API_URL",
    )
    default_base_url = "https://api.postmarkapp.com"

    def neutralise(self, html: str, text: str) -> tuple[str, str]:
        return DEFUSE_BRACES(html, text)

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email)
        to = options["to"] or email.recipient
        if not to:
            raise ExportError(
                "Postmark needs a recipient", hint="set [export.postmark] to or [email] to"
            )
        body: dict[str, Any] = {
            "From": email.sender,
            "To": to,
            "Subject": email.subject,
            "HtmlBody": html,
            "TextBody": text,
            "MessageStream": options["message_stream"],
            "Tag": options["tag"][:1000],
        }
        if email.reply_to:
            body["ReplyTo"] = email.reply_to
        return Export(
            files={"export/postmark.json": payload_bytes(body)},
            requests=(HttpRequest(method="POST", path="/email", json=body, label="send email"),),
        )
