"""Handing a built digest to mailing services: export files, push to APIs, test sends.

The output-side counterpart of :mod:`digest.pipeline`: it starts from the
files ``digest build`` wrote (so an editor can review them first) and never
renders anything again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from . import ledger
from .config import Config
from .errors import ExportError
from .exporters import get_exporter
from .exporters.base import Email
from .exporters.push import PushResponse, push
from .exporters.smtp import PASSWORD_ENV, send_bytes
from .models import BuildResult, LoadResult, Problem
from .output import read_build, write_binary, write_build
from .pipeline import plan, render_and_write
from .templates import templates_hash_for

log = logging.getLogger("digest")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    name: str
    files: tuple[Path, ...]
    pushed: tuple[PushResponse, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Built:
    """A folder written by ``digest build``, read once: its parts and its manifest."""

    html: str
    text: str
    manifest: dict[str, Any]

    @property
    def edition(self) -> str:
        return str(self.manifest.get("edition", "digest"))


def read_built(build_dir: Path) -> Built:
    html, text, manifest = read_build(build_dir)
    if manifest is None:
        raise ExportError(
            "digest.json is missing: this needs a folder written by digest build",
            where=str(build_dir),
        )
    return Built(html=html, text=text, manifest=manifest)


def load_email(config: Config, built: Built, where: Path) -> Email:
    """The built digest with the settings from ``config``."""
    manifest = built.manifest
    try:
        issue = date.fromisoformat(manifest["window"]["until"])
    except (KeyError, TypeError, ValueError):
        raise ExportError("digest.json has no window.until date", where=str(where)) from None
    hour, minute = map(int, config.send_time.split(":"))
    return Email(
        html=built.html,
        text=built.text,
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
    """Write each exporter's files into ``build_dir`` (and push them if asked).

    A folder built for an edition is exported with that edition's settings
    (its ``[editions.NAME.export.*]`` targets merged over the site-wide ones).
    """
    env = os.environ if env is None else env
    built = read_built(build_dir)
    config = edition_config(config, built.edition)
    email = load_email(config, built, build_dir)
    results = []
    for name in names:
        exporter = get_exporter(name)
        options, warnings = exporter.validate_options(config.exports.get(name, {}))
        for warning in warnings:
            log.warning("%s", warning)
        produced = exporter.build(email, options)
        files = write_binary(build_dir, produced.files)
        for path in files:
            log.info("%s: wrote %s", name, path)
        pushed: tuple[PushResponse, ...] = ()
        if do_push:
            pushed = tuple(push(exporter, produced, env))
            record(config, build_dir, via=f"push {name}", built=built)
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
    record(config, build_dir, via=f"send {host}:{port}")
    return eml


def config_hash(config: Config) -> str:
    return ledger.sha256_files([config.source]) if config.source else ""


def edition_config(config: Config, edition: str) -> Config:
    """``config`` for the edition a built digest or ledger entry names."""
    if edition in {spec.name for spec in config.editions}:
        return config.for_edition(edition)
    return config


def record(
    config: Config, build_dir: Path, *, via: str, built: Built | None = None
) -> ledger.Issue:
    """Append the digest built in ``build_dir`` to the ledger (once per edition and content)."""
    built = built or read_built(build_dir)
    manifest, edition = built.manifest, built.edition
    config = edition_config(config, edition)
    posts = []
    for section in manifest.get("sections", []):
        for post in section.get("posts", []):
            source = str(post.get("source", ""))
            path = config.posts_dir / source
            digest = ledger.sha256_files([path]) if source and path.is_file() else ""
            posts.append(
                ledger.SentPost(url=str(post.get("url", "")), source=source, sha256=digest)
            )
    window = manifest.get("window", {})
    issue = ledger.Issue(
        id=f"{edition}-{window.get('until', '')}",
        edition=edition,
        recorded=datetime.now(config.tz).isoformat(timespec="seconds"),
        since=str(window.get("since", "")),
        until=str(window.get("until", "")),
        subject=str(manifest.get("subject", "")),
        posts=tuple(posts),
        html_sha256=ledger.sha256_text(built.html),
        text_sha256=ledger.sha256_text(built.text),
        config_sha256=config_hash(config),
        templates_sha256=templates_hash_for(config.templates_dir),
        via=via,
    )
    saved = ledger.append(config.ledger_path, issue)
    log.info("ledger: %s recorded in %s", saved.id, config.ledger_path)
    return saved


def rebuild(
    config: Config,
    issue_id: str,
    out_dir: Path,
    *,
    force: bool = False,
    loaded: LoadResult | None = None,
    write: bool = True,
) -> BuildResult:
    """Reproduce a past issue from the ledger, byte for byte, or say what changed.

    ``loaded`` (the posts, already read) spares the archive a load per issue;
    with ``write=False`` nothing is written (the archive writes its own pages).
    """
    issue = ledger.find(ledger.read(config.ledger_path), issue_id)
    edition = edition_config(config, issue.edition)
    edition = replace(
        edition,
        since=date.fromisoformat(issue.since),
        until=date.fromisoformat(issue.until),
        only_sources=tuple(p.source for p in issue.posts),
        new_only=False,
        strict=False,
        out_dir=out_dir,
    )
    planned = plan(edition, loaded=loaded)
    found = {e.post.source for e in planned.digest.entries}
    missing = [p.source for p in issue.posts if p.source not in found]
    if missing:
        raise ExportError(
            f"cannot rebuild {issue.id}: posts no longer loadable: {', '.join(missing)}"
        )
    result = render_and_write(edition, planned.selection, digest=planned.digest, write=False)
    same = (ledger.sha256_text(result.rendered.html), ledger.sha256_text(result.rendered.text)) == (
        issue.html_sha256,
        issue.text_sha256,
    )
    if not same:
        reasons = [
            f"{p.source} changed"
            for p in issue.posts
            if p.sha256 and ledger.sha256_files([edition.posts_dir / p.source]) != p.sha256
        ]
        if issue.config_sha256 and config_hash(edition) != issue.config_sha256:
            reasons.append(f"{edition.source} changed")
        if (
            issue.templates_sha256
            and templates_hash_for(edition.templates_dir) != issue.templates_sha256
        ):
            reasons.append("the templates changed")
        why = "; ".join(reasons) or "digest itself changed since"
        if not force:
            raise ExportError(
                f"{issue.id} cannot be reproduced byte for byte: {why}",
                hint="--force writes the rebuild anyway",
            )
        log.warning("%s differs from what was sent: %s", issue.id, why)
    if not write:
        return result
    files = write_build(out_dir, result.digest, result.rendered)
    return replace(result, files=files)
