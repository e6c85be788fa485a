"""Shared set-up for export tests: a built sample digest and a hostile one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from digest.config import Config, load_config
from digest.exporters import get_exporter
from digest.output import write_build
from digest.pipeline import build

from .conftest import copy_sample

UNTIL = date(2026, 11, 26)
HOSTILE_TITLE = (
    "Hi {{ name }} *|FNAME|* %recipient.name% <%asm_group_unsubscribe_raw_url%> {% if x %}"
)
SERVICES = [
    "mailchimp",
    "sendgrid",
    "sendgrid-singlesend",
    "postmark",
    "ses",
    "mailgun",
    "listmonk",
    "buttondown",
]
# Each service's unsubscribe tag, from the exporter registry (the one source of them).
PLACEHOLDERS = {
    name: (get_exporter(name).placeholder or get_exporter(name).placeholder_aliases[0])
    for name in SERVICES
}


def build_project(root: Path, *, hostile: bool = False) -> tuple[Config, Path]:
    """Copy the sample project into ``root``, optionally add a hostile post, and build it."""
    copy_sample(root)
    if hostile:
        (root / "posts" / "2026-11-25-hostile.md").write_text(
            "---\n"
            f"title: {json.dumps(HOSTILE_TITLE)}\n"
            "categories: [Leadership]\n"
            'excerpt: "Dear {{ first_name }}, %recipient.name% and *|LNAME|* are not for you."\n'
            "---\nBody.\n",
            encoding="utf-8",
        )
    config = load_config(root / "digest.toml").but(until=UNTIL)
    result = build(config, write=False)
    write_build(config.paths.out, result.digest, result.rendered)
    return config, config.paths.out


def service_parts(name: str, payload: Any) -> tuple[str, str]:
    """(html, text) as a service receives them, from its payload file."""
    if name == "mailchimp":
        return payload["content"]["html"], payload["content"]["plain_text"]
    if name == "sendgrid":
        return payload["content"][1]["value"], payload["content"][0]["value"]
    if name == "sendgrid-singlesend":
        return payload["email_config"]["html_content"], payload["email_config"]["plain_content"]
    if name == "postmark":
        return payload["HtmlBody"], payload["TextBody"]
    if name == "ses":
        body = payload["Content"]["Simple"]["Body"]
        return body["Html"]["Data"], body["Text"]["Data"]
    if name == "mailgun":
        return payload["html"], payload["text"]
    if name == "listmonk":
        return payload["body"], payload["altbody"]
    if name == "buttondown":
        return payload["body"], ""
    raise KeyError(name)
