"""Postmark ``POST /email`` on a broadcast message stream, ``{{{ pm:unsubscribe }}}``.

Postmark keeps transactional and bulk mail apart: a digest must go through a
broadcast stream, where Postmark manages unsubscribes and fills in the
placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_nonempty, as_str
from ._json import payload_bytes
from .base import (
    Credentials,
    Email,
    Expect,
    Export,
    Exporter,
    HttpRequest,
    Option,
    recipients,
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
    activity_log = "the message stream's Activity page in Postmark"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        to = ", ".join(recipients(email, options["to"], self.name))
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
            requests=(
                HttpRequest(
                    method="POST",
                    path="/email",
                    json=body,
                    label="send email",
                    expect=Expect(status=200, id="MessageID", fields={"ErrorCode": 0}),
                    sends=True,
                ),
            ),
        )
