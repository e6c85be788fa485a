"""Mailgun ``POST /v3/{domain}/messages``: form fields, at most 3 tags, ``%unsubscribe_url%``.

The file holds the form fields (lists for repeated fields); ``--push`` sends
them as ``multipart/form-data``, as the API expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_nonempty, as_str_list
from ._json import payload_bytes
from .base import (
    Credentials,
    Email,
    Expect,
    Export,
    Exporter,
    HttpRequest,
    Option,
    categories,
    list_unsubscribe,
    recipients,
    service_parts,
)


class MailgunExporter(Exporter):
    name = "mailgun"
    description = "Mailgun messages (form fields), %unsubscribe_url% placeholder"
    placeholder = "%unsubscribe_url%"
    placeholder_aliases = ("%tag_unsubscribe_url%",)  # Mailgun's per-tag unsubscribe
    options: ClassVar[Mapping[str, Option]] = {
        "domain": Option(
            as_nonempty, required=True, help="your sending domain, e.g. mg.example.org"
        ),
        "to": Option(
            as_str_list,
            default=(),
            help="recipients or a mailing list address; default: [email] to",
        ),
        "tags": Option(as_str_list, default=("digest",), help="up to 3"),
    }
    credentials = Credentials(
        scheme="basic", secret_env="MAILGUN_API_KEY", user="api", base_url_env="MAILGUN_API_URL"
    )
    default_base_url = "https://api.mailgun.net"
    activity_log = "the Logs page of Mailgun's dashboard"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        to = recipients(email, options["to"], self.name)
        fields: dict[str, Any] = {
            "from": email.sender,
            "to": to,
            "subject": email.subject,
            "text": text,
            "html": html,
            "o:tag": categories(email, 3, tuple(options["tags"])),
        }
        if email.reply_to:
            fields["h:Reply-To"] = email.reply_to
        if list_unsubscribe(email):
            fields["h:List-Unsubscribe"] = list_unsubscribe(email)
        if email.unsubscribe_url:
            fields["h:List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return Export(
            files={"export/mailgun.json": payload_bytes(fields)},
            requests=(
                HttpRequest(
                    method="POST",
                    path=f"/v3/{options['domain']}/messages",
                    form=fields,
                    label="send message",
                    expect=Expect(status=200, id="id"),
                    sends=True,
                ),
            ),
        )
