"""Buttondown ``POST /v1/emails``: always a draft unless the editor explicitly asks to send.

Buttondown adds its own footer with the unsubscribe link; the digest's link
becomes ``{{ unsubscribe_url }}`` so that it works for every subscriber.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ._json import payload_bytes
from .base import (
    Credentials,
    Email,
    Expect,
    Export,
    Exporter,
    HttpRequest,
    Option,
    service_parts,
)

STATUSES = ("draft", "about_to_send")


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise ValueError('expected "draft" or, to send on push, "about_to_send"')
    return str(value)


class ButtondownExporter(Exporter):
    name = "buttondown"
    description = 'Buttondown email (POST /v1/emails), a draft unless status = "about_to_send"'
    placeholder = "{{ unsubscribe_url }}"
    options: ClassVar[Mapping[str, Option]] = {
        "status": Option(_status, default="draft", help='"draft" (default) or "about_to_send"')
    }
    credentials = Credentials(
        scheme="header",
        header="Authorization",
        prefix="Token ",
        secret_env="BUTTONDOWN_API_KEY",
        base_url_env="BUTTONDOWN_API_URL",
    )
    default_base_url = "https://api.buttondown.com"
    activity_log = "the Emails page in Buttondown"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, _text = service_parts(self, email, options)
        body = {
            "subject": email.subject,
            "description": email.preheader,
            "body": html,
            "status": options["status"],
        }
        return Export(
            files={"export/buttondown.json": payload_bytes(body)},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/v1/emails",
                    json=body,
                    label="create email",
                    expect=Expect(status=201, id="id"),
                    sends=options["status"] == "about_to_send",
                ),
            ),
        )
