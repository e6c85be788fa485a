"""Handing a built digest to mailing services: export files, push to APIs, test sends.

The output-side counterpart of :mod:`digest.pipeline`: it starts from the
files ``digest build`` wrote (so an editor can review them first) and never
renders anything again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from .config import Config
from .errors import ExportError
from .exporters import get_exporter
from .exporters.base import Email
from .exporters.push import PushResponse, push
from .exporters.smtp import PASSWORD_ENV, send_bytes
from .models import Problem
from .output import read_build, write_binary

log = logging.getLogger("digest")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    name: str
    files: tuple[Path, ...]
    pushed: tuple[PushResponse, ...] = ()
    warnings: tuple[Problem, ...] = ()


def load_email(config: Config, build_dir: Path) -> Email:
    """The built digest in ``build_dir`` with the settings from ``config``."""
    html, text, manifest, _ = read_build(build_dir)
    if manifest is None:
        raise ExportError(
            "digest.json is missing: export needs a folder written by digest build",
            where=str(build_dir),
        )
    try:
        issue = date.fromisoformat(manifest["window"]["until"])
    except (KeyError, TypeError, ValueError):
        raise ExportError("digest.json has no window.until date", where=str(build_dir)) from None
    hour, minute = map(int, config.send_time.split(":"))
    return Email(
        html=html,
        text=text,
        subject=str(manifest.get("subject", "")),
        preheader=str(manifest.get("preheader", "")),
        site_name=config.site_name,
        site_url=config.base_url,
        sender=config.sender,
        reply_to=config.reply_to,
        recipient=config.recipient,
        unsubscribe_url=config.unsubscribe_url,
        unsubscribe_mailto=config.unsubscribe_mailto,
        list_id=config.list_id,
        issue_date=issue,
        date=datetime.combine(issue, time(hour, minute), tzinfo=config.tz),
        sections=tuple(str(s.get("title", "")) for s in manifest.get("sections", [])),
    )


def export(
    config: Config,
    build_dir: Path,
    names: Sequence[str],
    *,
    do_push: bool = False,
    env: Mapping[str, str] | None = None,
) -> list[ExportResult]:
    """Write each exporter's files into ``build_dir`` (and push them if asked)."""
    env = os.environ if env is None else env
    email = load_email(config, build_dir)
    results = []
    for name in names:
        exporter = get_exporter(name)
        options, warnings = exporter.validate_options(config.exports.get(name, {}))
        for warning in warnings:
            log.warning("%s", warning)
        produced = exporter.export(email, options)
        files = write_binary(build_dir, produced.files)
        for path in files:
            log.info("%s: wrote %s", name, path)
        pushed: tuple[PushResponse, ...] = ()
        if do_push:
            pushed = tuple(push(exporter, produced, env))
        results.append(
            ExportResult(name=name, files=files, pushed=pushed, warnings=tuple(warnings))
        )
    return results


def send(
    config: Config,
    build_dir: Path,
    *,
    host: str,
    port: int,
    recipients: Sequence[str],
    sender: str | None = None,
    starttls: bool = False,
    user: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Export ``digest.eml`` and deliver exactly those bytes over SMTP; returns the file."""
    env = os.environ if env is None else env
    [result] = export(config, build_dir, ["eml"], env=env)
    eml = result.files[0]
    from email.utils import parseaddr

    envelope_from = sender or parseaddr(config.sender)[1]
    if not envelope_from:
        raise ExportError(
            "no sender address", hint="set [email] from in digest.toml or pass --from"
        )
    send_bytes(
        eml.read_bytes(),
        host=host,
        port=port,
        sender=envelope_from,
        recipients=recipients,
        starttls=starttls,
        user=user,
        password=env.get(PASSWORD_ENV),
    )
    log.info("sent %s to %s via %s:%d", eml.name, ", ".join(recipients), host, port)
    return eml
