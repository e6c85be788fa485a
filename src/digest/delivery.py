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
from datetime import datetime, time
from pathlib import Path

from . import ledger
from .config import Config
from .errors import ExportError, UnconfirmedError
from .exporters import get_exporter
from .exporters.base import Email
from .exporters.push import PushResponse, push
from .exporters.smtp import PASSWORD_ENV, send_bytes
from .manifest import Manifest
from .models import Problem
from .output import read_build, write_binary
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
    manifest: Manifest

    @property
    def edition(self) -> str:
        return self.manifest.edition


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
    issue = manifest.until
    hour, minute = map(int, config.email.send_time.split(":"))
    return Email(
        html=built.html,
        text=built.text,
        # one line whatever the manifest says: a line break would inject headers
        subject=" ".join(manifest.subject.split()),
        preheader=manifest.preheader,
        site_name=config.site.name,
        site_url=config.site.url,
        sender=config.email.sender,
        reply_to=config.email.reply_to,
        recipient=config.email.recipient,
        unsubscribe_url=config.email.unsubscribe_url,
        unsubscribe_mailto=config.email.unsubscribe_mailto,
        list_id=config.email.list_id,
        issue_date=issue,
        date=datetime.combine(issue, time(hour, minute), tzinfo=config.site.tz),
        sections=tuple(s.title for s in manifest.sections),
        preferences_url=config.email.preferences_url,
    )


def export(
    config: Config,
    build_dir: Path,
    names: Sequence[str],
    *,
    do_push: bool = False,
    env: Mapping[str, str] | None = None,
    again: bool = False,
) -> list[ExportResult]:
    """Write each exporter's files into ``build_dir`` (and push them if asked).

    A folder built for an edition is exported with that edition's settings
    (its ``[editions.NAME.export.*]`` targets merged over the site-wide ones).
    A push of a digest the ledger says the same service already received is
    refused unless ``again``: a week with nothing new leaves last week's
    folder in place, and pushing it would send last week's issue twice.
    """
    env = os.environ if env is None else env
    built = read_built(build_dir)
    config = config.as_edition(built.edition)
    email = load_email(config, built, build_dir)
    if do_push and not again:
        _refuse_repeat(config, built, names, build_dir)
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
            try:
                pushed = tuple(push(exporter, produced, env))
            except UnconfirmedError as exc:
                retry = f"push it again: digest export --to {name} --push {build_dir}"
                raise unconfirmed(config, build_dir, exc, via=f"push {name}", again=retry) from None
            record(config, build_dir, via=f"push {name}", built=built)
        results.append(
            ExportResult(name=name, files=files, pushed=pushed, warnings=tuple(warnings))
        )
    return results


def _refuse_repeat(config: Config, built: Built, names: Sequence[str], build_dir: Path) -> None:
    """Refuse to push what the ledger says one of ``names`` already received, confirmed:
    the same digest, or another build of the same edition's issue for the same window
    (a copy edit does not make it a new issue)."""
    html = built.manifest.html_sha256  # read_build checked it against the file
    window = (built.manifest.since.isoformat(), built.manifest.until.isoformat())
    for issue in ledger.read(config.paths.ledger):
        for name in names:
            same = issue.html_sha256 == html or (issue.since, issue.until) == window
            if (
                same
                and issue.edition == built.edition
                and issue.via == f"push {name}"
                and not issue.unconfirmed
            ):
                raise ExportError(
                    f"{name}: this issue was already pushed as {issue.id} on "
                    f"{issue.recorded}; pushing it again would send it twice",
                    where=str(build_dir),
                    hint="build this week's digest first (nothing new this week leaves last "
                    "week's files in place), or pass --again to push it anyway",
                )


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
    record_issue: bool = False,
) -> Path:
    """Export ``digest.eml`` and deliver exactly those bytes over SMTP; returns the file.

    A send is a test copy unless ``record_issue``: recording it in the ledger
    would make the next ``--new-only`` build leave out the posts it carried, and
    the real issue would never go out.
    """
    env = os.environ if env is None else env
    [result] = export(config, build_dir, ["eml"], env=env)
    eml = result.files[0]
    from email.utils import parseaddr

    envelope_from = sender or parseaddr(config.email.sender)[1]
    if not envelope_from:
        raise ExportError(
            "no sender address", hint="set [email] from in digest.toml or pass --from"
        )
    try:
        refused = send_bytes(
            eml.read_bytes(),
            host=host,
            port=port,
            sender=envelope_from,
            recipients=recipients,
            starttls=starttls,
            user=user,
            password=env.get(PASSWORD_ENV),
        )
    except UnconfirmedError as exc:
        if not record_issue:
            raise
        to = " ".join(f"--to {r}" for r in recipients)
        again = f"send it again: digest send --record --smtp {host}:{port} {to} {build_dir}"
        raise unconfirmed(config, build_dir, exc, via=f"send {host}:{port}", again=again) from None
    accepted = [r for r in recipients if r not in set(refused)]
    log.info("sent %s to %s via %s:%d", eml.name, ", ".join(accepted), host, port)
    note = ""
    if record_issue:  # the others have it: recorded as sent, so it never goes to them twice
        saved = record(config, build_dir, via=f"send {host}:{port}")
        note = f" ({saved.id} is recorded as sent)"
    if refused:
        raise ExportError(
            f"the SMTP server refused {', '.join(refused)}; the other recipients have the "
            f"message{note}",
            where=f"{host}:{port}",
        )
    return eml


def unconfirmed(
    config: Config, build_dir: Path, exc: UnconfirmedError, *, via: str, again: str
) -> UnconfirmedError:
    """Record a send that may have gone out as unconfirmed, and say how to settle it."""
    saved = record(config, build_dir, via=via, unconfirmed=exc.reason)
    if saved.unconfirmed:
        note = f"recorded in the ledger as unconfirmed ({saved.id})"
        hint = (
            f"check {exc.check}; if it went out, run: digest mark-sent {build_dir}; if not, "
            f"{again}. Until then, --new-only refuses to build this edition"
        )
    else:
        note = f"{saved.id} was already recorded as sent"
        hint = f"check {exc.check} for a second copy"
    return UnconfirmedError(
        f"{exc.message}; {note}", reason=exc.reason, check=exc.check, where=exc.where, hint=hint
    )


def record(
    config: Config,
    build_dir: Path,
    *,
    via: str,
    built: Built | None = None,
    unconfirmed: str = "",
) -> ledger.Issue:
    """Append the digest built in ``build_dir`` to the ledger (once per edition and content).

    With ``unconfirmed`` (why), it may not have gone out: see :mod:`digest.ledger`.
    """
    built = built or read_built(build_dir)
    manifest, edition = built.manifest, built.edition
    config = config.as_edition(edition)
    posts = []
    for post in manifest.posts:
        path = (config.paths.posts / post.source).resolve()
        inside = config.paths.posts.resolve() in path.parents  # a manifest is not trusted
        is_file = not post.feed and post.source and inside and path.is_file()
        digest = ledger.sha256_files([path]) if is_file else ""  # a feed item has no file
        posts.append(
            ledger.SentPost(url=post.url, source=post.source, sha256=digest, feed=post.feed)
        )
    issue = ledger.Issue(
        id=manifest.issue_id,
        edition=edition,
        recorded=datetime.now(config.site.tz).isoformat(timespec="seconds"),
        since=manifest.since.isoformat(),
        until=manifest.until.isoformat(),
        subject=manifest.subject,
        posts=tuple(posts),
        # the manifest's hashes, which read_build checked against the parts
        html_sha256=manifest.html_sha256,
        text_sha256=manifest.text_sha256,
        config_sha256=ledger.config_sha256(config),
        templates_sha256=templates_hash_for(config.paths.templates),
        via=via,
        unconfirmed=unconfirmed,
    )
    saved = ledger.append(config.paths.ledger, issue)
    log.info("ledger: %s recorded in %s", saved.id, config.paths.ledger)
    return saved
