"""listmonk ``POST /api/campaigns``: a draft campaign with ``{{ UnsubscribeURL }}``.

listmonk is self-hosted: ``LISTMONK_URL`` is its address, and an API user's
name and token (``LISTMONK_USERNAME``, ``LISTMONK_API_TOKEN``) authenticate.
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
    categories,
    service_parts,
)


def _list_ids(value: Any) -> tuple[int, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ValueError("expected a non-empty list of list ids (whole numbers)")
    return tuple(value)


class ListmonkExporter(Exporter):
    name = "listmonk"
    description = "listmonk campaign (POST /api/campaigns), {{ UnsubscribeURL }} placeholder"
    placeholder = "{{ UnsubscribeURL }}"
    preferences_placeholder = "{{ ManageURL }}"  # the subscriber's subscription page
    options: ClassVar[Mapping[str, Option]] = {
        "lists": Option(_list_ids, required=True, help="list ids, e.g. [1, 3]"),
        "name": Option(as_str, default=""),
        "tags": Option(as_str_list, default=("digest",)),
    }
    credentials = Credentials(
        scheme="basic",
        secret_env="LISTMONK_API_TOKEN",
        user_env="LISTMONK_USERNAME",
        base_url_env="LISTMONK_URL",
        extra_env=("LISTMONK_URL",),  # self-hosted: no default address
    )

    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        html, text = service_parts(self, email, options)
        body = {
            "name": options["name"] or f"{email.site_name} {email.issue_date.isoformat()}",
            "subject": email.subject,
            "lists": list(options["lists"]),
            "from_email": email.sender,
            "type": "regular",
            "content_type": "html",
            "messenger": "email",
            "tags": categories(email, 10, tuple(options["tags"])),
            "body": html,
            "altbody": text,
        }
        return Export(
            files={"export/listmonk.json": payload_bytes(body)},
            requests=(
                HttpRequest(
                    method="POST",
                    path="/api/campaigns",
                    json=body,
                    label="create campaign",
                    expect=Expect(status=200, id="data.id"),
                    sends=False,  # a draft campaign
                ),
            ),
        )
