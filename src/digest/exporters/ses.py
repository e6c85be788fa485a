"""Amazon SES v2 ``SendEmail`` with simple content and the list-unsubscribe headers.

The file is the exact request (and ``aws sesv2 send-email --cli-input-json``
input). With an SES contact list, SES manages unsubscribes and fills in
``{{amazonSESUnsubscribeUrl}}``; without one, the digest's own unsubscribe
URL stays and the headers point at it. ``--push`` signs the request with AWS
Signature V4 using botocore's signer (``pip install 'digest-newsletter[ses]'``) and the
standard ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (and optional
``AWS_SESSION_TOKEN``) and ``AWS_REGION`` variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_str, as_str_list
from ._json import payload_bytes
from .base import (
    Credentials,
    Email,
    Expect,
    Export,
    Exporter,
    HttpRequest,
    Option,
    list_unsubscribe,
    recipients,
    service_parts,
)

SES_PLACEHOLDER = "{{amazonSESUnsubscribeUrl}}"


class SesExporter(Exporter):
    name = "ses"
    description = "Amazon SES v2 SendEmail (also aws sesv2 send-email --cli-input-json input)"
    # SES substitutes its tag only for a message sent with a contact list (see export).
    placeholder_aliases = (SES_PLACEHOLDER,)
    credentials = Credentials(
        scheme="aws-sigv4",
        secret_env="AWS_SECRET_ACCESS_KEY",
        user_env="AWS_ACCESS_KEY_ID",
        base_url_env="SES_API_URL",
        extra_env=("AWS_REGION",),
    )
    activity_log = (
        "a configuration set's event destination (SES keeps no log of single messages) "
        "or the recipients' inboxes"
    )

    def service_url(self, env: Mapping[str, str]) -> str:
        return f"https://email.{env['AWS_REGION']}.amazonaws.com"  # checked by the push

    options: ClassVar[Mapping[str, Option]] = {
        "to": Option(as_str_list, default=(), help="recipients; default: [email] to"),
        "contact_list": Option(as_str, default="", help="SES contact list managing unsubscribes"),
        "topic": Option(as_str, default=""),
        "configuration_set": Option(as_str, default=""),
    }

    def unsubscribe_tag(self, options: Mapping[str, Any]) -> str | None:
        """SES substitutes its tag only for a message sent with a contact list."""
        return SES_PLACEHOLDER if options["contact_list"] else None

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        to = recipients(email, options["to"], self.name)
        headers = (
            [{"Name": "List-Unsubscribe", "Value": list_unsubscribe(email)}]
            if list_unsubscribe(email)
            else []
        )
        if email.unsubscribe_url:
            headers.append({"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"})
        simple: dict[str, Any] = {
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": text, "Charset": "UTF-8"},
                "Html": {"Data": html, "Charset": "UTF-8"},
            },
        }
        if headers and not options["contact_list"]:
            simple["Headers"] = headers  # with a contact list, SES writes them itself
        body: dict[str, Any] = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": to},
            "Content": {"Simple": simple},
        }
        if email.reply_to:
            body["ReplyToAddresses"] = [email.reply_to]
        if options["contact_list"]:
            management = {"ContactListName": options["contact_list"]}
            if options["topic"]:
                management["TopicName"] = options["topic"]
            body["ListManagementOptions"] = management
        if options["configuration_set"]:
            body["ConfigurationSetName"] = options["configuration_set"]
        return Export(
            files={"export/ses.json": payload_bytes(body)},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/v2/email/outbound-emails",
                    json=body,
                    label="send email",
                    expect=Expect(status=200, id="MessageId"),
                    sends=True,
                ),
            ),
        )
