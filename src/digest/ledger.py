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
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DigestError
from .manifest import SAFE_NAME_RULE, describe_json, is_safe_name
from .models import source_key
from .output import write_files

if TYPE_CHECKING:
    from .config import Config


class LedgerError(DigestError):
    """The ledger cannot be read or written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SentPost:
    url: str
    source: str  # path in the posts folder, or a feed item's id
    sha256: str = ""
    feed: str = ""  # the feed as given, for a feed item (written only then)


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
        data["posts"] = [
            {k: v for k, v in asdict(p).items() if k != "feed" or v} for p in self.posts
        ]
        for optional in ("extra", "unconfirmed"):
            if not data[optional]:
                del data[optional]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Issue:
        """An entry from one parsed line; ``ValueError`` says what is wrong with it.

        Keys this version does not know are ignored here and kept in the file
        (see :func:`append`): a newer digest may add some.
        """
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {describe_json(data)}")
        known: dict[str, Any] = {}
        for key in _REQUIRED:
            if key not in data:
                raise ValueError(f"{key!r} is missing")
        for key, value in data.items():
            if key in _TEXT_FIELDS:
                if not isinstance(value, str):
                    raise ValueError(f"{key!r}: expected text, found {describe_json(value)}")
                known[key] = value
        for key in ("id", "edition"):
            if not is_safe_name(known[key]):
                raise ValueError(f"{key!r}: {known[key]!r} is not a valid name ({SAFE_NAME_RULE})")
        try:
            datetime.fromisoformat(known["recorded"])
        except ValueError:
            raise ValueError(
                f"'recorded': not a date and time like 2026-11-26T09:00:00+00:00: "
                f"{known['recorded'][:40]!r}"
            ) from None
        for key in ("since", "until"):
            if known[key]:
                try:
                    date.fromisoformat(known[key])
                except ValueError:
                    raise ValueError(
                        f"{key!r}: not a date like 2026-11-26: {known[key]!r}"
                    ) from None
        extra = data.get("extra", {})
        if not isinstance(extra, dict):
            raise ValueError(f"'extra': expected an object, found {describe_json(extra)}")
        posts = data.get("posts", [])
        if not isinstance(posts, list):
            raise ValueError(f"'posts': expected a list, found {describe_json(posts)}")
        return cls(posts=tuple(_sent_post(p, n) for n, p in enumerate(posts)), extra=extra, **known)


_REQUIRED = ("id", "edition", "recorded", "since", "until", "subject", "html_sha256", "text_sha256")
_TEXT_FIELDS = frozenset(f for f in Issue.__dataclass_fields__ if f not in {"posts", "extra"})


def _sent_post(data: Any, number: int) -> SentPost:
    label = f"'posts'[{number}]"
    if not isinstance(data, dict):
        raise ValueError(f"{label}: expected a JSON object, found {describe_json(data)}")
    values = {}
    for key in ("url", "source", "sha256", "feed"):
        value = data.get(key, "" if key in {"sha256", "feed"} else None)
        if not isinstance(value, str):
            raise ValueError(f"{label}.{key}: expected text, found {describe_json(value)}")
        values[key] = value
    return SentPost(**values)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_sha256(config: Config) -> str:
    """The digest.toml a build used, as the ledger records it ("" without one)."""
    return sha256_files([config.source]) if config.source else ""


def sha256_files(paths: Iterable[Path]) -> str:
    """One hash over several files' names and contents (for config and templates)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Contents:
    """A ledger as read: its entries, the damaged lines, and every line as written."""

    issues: tuple[Issue, ...]
    problems: tuple[LedgerError, ...]
    lines: tuple[str, ...]  # non-blank lines, verbatim: rewritten exactly as they were


def scan(path: Path) -> Contents:
    """Every entry that can be read, and a :class:`LedgerError` for each line that cannot.

    For the archive, which leaves out a damaged entry rather than failing whole;
    everything else uses :func:`read`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Contents((), (), ())
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the ledger: {exc}", where=str(path)) from None
    issues: list[Issue] = []
    problems: list[LedgerError] = []
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines.append(line)
        try:
            issues.append(Issue.from_dict(json.loads(line)))
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            problems.append(
                LedgerError(f"line {number} is not a ledger entry: {why}", where=str(path))
            )
    return Contents(tuple(issues), tuple(problems), tuple(lines))


def read(path: Path) -> tuple[Issue, ...]:
    """Every issue in the ledger, oldest first; a missing ledger is empty.

    A damaged line is an error: a ledger read in part could send a post twice.
    """
    contents = scan(path)
    if contents.problems:
        raise contents.problems[0]
    return contents.issues


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
    Other lines are written back exactly as they were, keys this version does not
    know included.
    """
    if not is_safe_name(issue.id) or not is_safe_name(issue.edition):
        raise LedgerError(
            f"refusing to record issue {issue.id!r} of edition {issue.edition!r}: "
            f"ids and editions are {SAFE_NAME_RULE}",
            where=str(path),
        )
    with _locked(path):
        contents = scan(path)
        if contents.problems:
            raise contents.problems[0]
        issues, lines = contents.issues, list(contents.lines)  # one line per issue, in order
        for index, existing in enumerate(issues):
            if (existing.edition, existing.html_sha256, existing.text_sha256) == (
                issue.edition,
                issue.html_sha256,
                issue.text_sha256,
            ):
                if not existing.unconfirmed or issue.unconfirmed:
                    return existing  # already recorded (e.g. pushed, then marked sent)
                issue = replace(issue, id=existing.id)
                lines[index] = issue.to_line()
                break
        else:
            issue = replace(issue, id=_unique_id(issue.id, {i.id for i in issues}))
            lines.append(issue.to_line())
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
                keys.add("source:" + source_key(post.source, post.feed))
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
