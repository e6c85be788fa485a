"""The ledger: a record of every issue sent, so no post goes to an edition twice.

One JSON object per line in ``digest-ledger.jsonl`` beside ``digest.toml``:
small, append-only, readable in a diff, and meant to be committed with the
posts. Each entry names the issue, its edition, window and subject, and the
posts it carried (URL, source file and a hash of the file), plus hashes of the
rendered parts and of the configuration and templates, so that
``digest rebuild`` can reproduce the issue and say exactly what changed if it
cannot.

An entry with ``unconfirmed`` set records a send that may or may not have gone
out (the service never answered). ``--new-only`` refuses to guess for that
edition — guessing "sent" could lose the issue, "not sent" could send it twice
— until ``digest mark-sent`` confirms it or a new push of the same issue does.

Writes take an exclusive lock and replace the file atomically (write a
temporary file, fsync, rename): a crash mid-write leaves the previous ledger,
and two concurrent runs are serialised, never interleaved.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from .errors import DigestError
from .output import write_files

LEDGER_NAME = "digest-ledger.jsonl"


class LedgerError(DigestError):
    """The ledger cannot be read or written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SentPost:
    url: str
    source: str
    sha256: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    id: str
    edition: str
    recorded: str  # ISO datetime the issue was recorded as sent
    since: str
    until: str
    subject: str
    posts: tuple[SentPost, ...]
    html_sha256: str
    text_sha256: str
    config_sha256: str = ""
    templates_sha256: str = ""
    via: str = ""  # "mark-sent", "send", "push mailchimp", …
    extra: dict[str, Any] = field(default_factory=dict)
    unconfirmed: str = ""  # why it may not have gone out; empty: it was sent

    def to_line(self) -> str:
        data = asdict(self)
        data["posts"] = [asdict(p) for p in self.posts]
        for optional in ("extra", "unconfirmed"):
            if not data[optional]:
                del data[optional]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        posts = tuple(SentPost(**p) for p in data.get("posts", []))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "posts"}
        return cls(posts=posts, **known)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """One hash over several files' names and contents (for config and templates)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read(path: Path) -> tuple[Issue, ...]:
    """Every issue in the ledger, oldest first; a missing ledger is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the ledger: {exc}", where=str(path)) from None
    issues = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            issues.append(Issue.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise LedgerError(
                f"line {number} is not a ledger entry: {exc}", where=str(path)
            ) from None
    return tuple(issues)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _unique_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"


def append(path: Path, issue: Issue) -> Issue:
    """Record ``issue``; returns it with a unique id. The same content twice is recorded once.

    A confirmed send of an issue recorded as unconfirmed replaces that entry (same id).
    """
    with _locked(path):
        issues = list(read(path))
        for index, existing in enumerate(issues):
            if (existing.edition, existing.html_sha256, existing.text_sha256) == (
                issue.edition,
                issue.html_sha256,
                issue.text_sha256,
            ):
                if not existing.unconfirmed or issue.unconfirmed:
                    return existing  # already recorded (e.g. pushed, then marked sent)
                issues[index] = issue = replace(issue, id=existing.id)
                break
        else:
            issue = replace(issue, id=_unique_id(issue.id, {i.id for i in issues}))
            issues.append(issue)
        lines = [i.to_line() for i in issues]
        write_files(path.parent, {path.name: "\n".join(lines) + "\n"})  # atomic, fsynced
    return issue


def sent_keys(issues: Iterable[Issue], edition: str) -> frozenset[str]:
    """URLs and source paths already sent in ``edition``; refused while one is unconfirmed."""
    keys: set[str] = set()
    for issue in issues:
        if issue.edition == edition:
            if issue.unconfirmed:
                raise LedgerError(
                    f"{issue.id} may or may not have gone out ({issue.unconfirmed}),"
                    " so --new-only cannot tell which posts this edition has sent",
                    hint="if it went out, run digest mark-sent on its build folder "
                    f"(digest rebuild {issue.id} --out DIR recreates one); "
                    "if not, push that folder again",
                )
            for post in issue.posts:
                keys.add(post.url)
                keys.add("source:" + post.source)
    return frozenset(keys)


def first_since(issues: Iterable[Issue], edition: str) -> date | None:
    """Where the ledger of ``edition`` begins: posts dated earlier predate it."""
    days = [date.fromisoformat(i.since) for i in issues if i.edition == edition and i.since]
    return min(days) if days else None


def find(issues: Iterable[Issue], issue_id: str) -> Issue:
    matches = [i for i in issues if i.id == issue_id]
    if not matches:
        known = ", ".join(i.id for i in issues) or "none yet"
        raise LedgerError(f"no issue {issue_id!r} in the ledger (issues: {known})")
    return matches[0]
