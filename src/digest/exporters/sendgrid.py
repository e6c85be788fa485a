"""Twilio SendGrid v3: Mail Send (to named recipients) and Marketing Single Sends (to lists).

Mail Send content lists ``text/plain`` before ``text/html`` (SendGrid
requires that order); unsubscribes go through an unsubscribe group (ASM) and
its ``<%asm_group_unsubscribe_raw_url%>`` tag; at most 10 categories. A Single
Send goes to marketing lists and uses ``{{{unsubscribe}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_str, as_str_list, int_at_least
from ..errors import ExportError
from ._json import payload_bytes
from .base import (
    Credentials,
    Email,
    Expect,
    Export,
    Exporter,
    HttpRequest,
    Option,
    address,
    categories,
    recipients,
    service_parts,
)

CREDENTIALS = Credentials(
    scheme="bearer", secret_env="SENDGRID_API_KEY", base_url_env="SENDGRID_API_URL"
)


def _addresses(values: list[str]) -> list[dict[str, str]]:
    out = []
    for value in values:
        name, addr = address(value)
        out.append({"email": addr, **({"name": name} if name else {})})
    return out


class SendGridExporter(Exporter):
    name = "sendgrid"
    description = "SendGrid v3 Mail Send, unsubscribe group tag <%asm_group_unsubscribe_raw_url%>"
    placeholder = "<%asm_group_unsubscribe_raw_url%>"
    preferences_placeholder = "<%asm_preferences_raw_url%>"  # the ASM preferences page
    options: ClassVar[Mapping[str, Option]] = {
        "to": Option(as_str_list, default=(), help="recipients; default: [email] to"),
        "asm_group_id": Option(int_at_least(1), required=True, help="the unsubscribe group id"),
        "categories": Option(as_str_list, default=(), help="up to 10, before the section titles"),
    }
    credentials = CREDENTIALS
    default_base_url = "https://api.sendgrid.com"
    activity_log = "SendGrid's Activity Feed"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        to = recipients(email, options["to"], self.name)
        sender = _addresses([email.sender])[0]
        body: dict[str, Any] = {
            "personalizations": [{"to": _addresses(to)}],
            "from": sender,
            "subject": email.subject,
            "content": [
                {"type": "text/plain", "value": text},
                {"type": "text/html", "value": html},
            ],
            "categories": categories(email, 10, tuple(options["categories"])),
            "asm": {"group_id": options["asm_group_id"]},
            # SendGrid writes List-Unsubscribe for ASM groups; one-click needs the Post header.
            "headers": {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            if email.unsubscribe_url
            else {},
        }
        if email.reply_to:
            body["reply_to"] = _addresses([email.reply_to])[0]
        if not body["headers"]:
            del body["headers"]
        return Export(
            files={"export/sendgrid.json": payload_bytes(body)},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/v3/mail/send",
                    json=body,
                    label="mail send",
                    expect=Expect(status=202, empty=True),
                    sends=True,
                ),
            ),
        )


class SendGridSingleSendExporter(Exporter):
    name = "sendgrid-singlesend"
    description = "SendGrid Marketing Single Send to lists, {{{unsubscribe}}} placeholder"
    placeholder = "{{{unsubscribe}}}"
    preferences_placeholder = "{{{unsubscribe_preferences}}}"
    options: ClassVar[Mapping[str, Option]] = {
        "list_ids": Option(as_str_list, required=True, help="marketing list ids"),
        "sender_id": Option(int_at_least(1), required=True, help="a verified sender id"),
        "suppression_group_id": Option(
            int_at_least(1), help="unsubscribe group; else the custom URL"
        ),
        "name": Option(as_str, default=""),
    }
    credentials = CREDENTIALS
    default_base_url = "https://api.sendgrid.com"

    def preferences_tag(self, options: Mapping[str, Any]) -> str | None:
        """SendGrid's preferences page lists unsubscribe groups: only with one."""
        return self.preferences_placeholder if options["suppression_group_id"] else None

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        config: dict[str, Any] = {
            "subject": email.subject,
            "html_content": html,
            "plain_content": text,
            "generate_plain_content": False,
            "sender_id": options["sender_id"],
        }
        if options["suppression_group_id"]:
            config["suppression_group_id"] = options["suppression_group_id"]
        elif email.unsubscribe_url:
            config["custom_unsubscribe_url"] = email.unsubscribe_url
        else:
            raise ExportError(
                "a Single Send needs an unsubscribe group or URL",
                hint="set [export.sendgrid-singlesend] suppression_group_id "
                "or [email] unsubscribe_url",
            )
        body = {
            "name": options["name"] or f"{email.site_name} {email.issue_date.isoformat()}",
            "send_to": {"list_ids": list(options["list_ids"])},
            "email_config": config,
        }
        return Export(
            files={"export/sendgrid-singlesend.json": payload_bytes(body)},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/v3/marketing/singlesends",
                    json=body,
                    label="create single send",
                    expect=Expect(status=201, id="id"),
                    sends=False,  # a draft: no send_at
                ),
            ),
        )
