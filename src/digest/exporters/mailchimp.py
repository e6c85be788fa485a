"""Mailchimp Marketing API 3.0: create a regular campaign, then set its content.

Two requests: ``POST /campaigns`` (recipients and settings), then
``PUT /campaigns/{id}/content`` with ``html`` and ``plain_text``. The file
``export/mailchimp.json`` holds both bodies. The API key (``MAILCHIMP_API_KEY``,
ending in ``-us21`` or similar) names the data centre.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..config import as_nonempty, as_str, int_at_least
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
    service_parts,
)


class MailchimpExporter(Exporter):
    name = "mailchimp"
    description = "Mailchimp campaign (create + content), *|UNSUB|* placeholder"
    placeholder = "*|UNSUB|*"
    preferences_placeholder = "*|UPDATE_PROFILE|*"
    options: ClassVar[Mapping[str, Option]] = {
        "list_id": Option(as_nonempty, required=True, help="the audience id, e.g. a1b2c3d4e5"),
        "segment_id": Option(int_at_least(1), help="a saved segment of the audience"),
        "from_name": Option(as_str, default="", help="default: the name in [email] from"),
        "title": Option(as_str, default="", help="the campaign's name in Mailchimp"),
    }
    credentials = Credentials(
        scheme="basic",
        secret_env="MAILCHIMP_API_KEY",
        user="digest",
        base_url_env="MAILCHIMP_API_URL",
    )

    def service_url(self, env: Mapping[str, str]) -> str:
        """The key's data centre: ``…-us21`` → ``https://us21.api.mailchimp.com/3.0``."""
        key = env.get("MAILCHIMP_API_KEY", "")
        centre = key.rsplit("-", 1)[1] if "-" in key else "us1"
        return f"https://{centre}.api.mailchimp.com/3.0"

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        _, addr = address(email.reply_to or email.sender)
        sender_name = options["from_name"] or address(email.sender)[0] or email.site_name
        recipients: dict[str, Any] = {"list_id": options["list_id"]}
        if options["segment_id"]:
            recipients["segment_opts"] = {"saved_segment_id": options["segment_id"]}
        campaign = {
            "type": "regular",
            "recipients": recipients,
            "settings": {
                "subject_line": email.subject[:150],
                "preview_text": email.preheader[:150],
                "title": options["title"] or f"{email.site_name} {email.issue_date.isoformat()}",
                "from_name": sender_name,
                "reply_to": addr,
                "inline_css": False,  # digest has inlined it already
                "auto_footer": False,
            },
        }
        content = {"html": html, "plain_text": text}
        return Export(
            files={
                "export/mailchimp.json": payload_bytes({"campaign": campaign, "content": content})
            },
            requests=(
                HttpRequest(
                    method="POST",
                    path="/campaigns",
                    json=campaign,
                    label="create campaign",
                    expect=Expect(status=200, id="id"),
                    sends=False,  # a draft campaign: the editor sends it from Mailchimp
                ),
                HttpRequest(
                    method="PUT",
                    path="/campaigns/{id}/content",
                    json=content,
                    label="set content",
                    expect=Expect(status=200),
                    sends=False,
                ),
            ),
        )
