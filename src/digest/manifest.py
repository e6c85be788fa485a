"""The ``digest.json`` manifest as one typed record: written by a build, read by every reader.

``check``, ``export``, ``send``, ``mark-sent``, the preview and the ledger all
learn what a built digest carries from here, never by poking at a dict: the
record is validated once when read (one clear error naming the key), and
keys a newer digest adds are kept in ``extra``. ``schema`` says which shape
wrote it; this version reads shape 1 and manifests written before shapes were
numbered (no ``schema`` key).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .models import Digest, Entry, Section

SCHEMA = 1
SAFE_NAME_RULE = 'letters, digits, "-", "_" and "." (not first), at most 200 characters'
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHOWN = ("excerpt", "link")


def is_safe_name(name: object) -> bool:
    """Whether ``name`` can be an edition or issue id (and so a folder or file name)."""
    return isinstance(name, str) and _SAFE_NAME.fullmatch(name) is not None


def issue_id(edition: str, until: date) -> str:
    """The id of the issue ``edition`` sends for the window ending ``until``.

    The one rule: templates (``{{ issue_id }}``), the ledger and ``rebuild``
    all name an issue this way.
    """
    return f"{edition}-{until.isoformat()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestPost:
    title: str
    url: str
    date: str = ""  # ISO 8601 with offset, as the build wrote it
    author: str = ""
    categories: tuple[str, ...] = ()
    excerpt: str = ""
    source: str = ""  # path in the posts folder, or a feed item's id
    shown: str = "excerpt"  # "excerpt": in full; "link": by title and link
    feed: str = ""  # a feed item's feed, as given (the key is written only for feed items)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSection:
    title: str
    posts: tuple[ManifestPost, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """What one built digest carries: every post in it is sent (and recorded as sent)."""

    edition: str
    subject: str
    preheader: str
    since: date
    until: date
    sections: tuple[ManifestSection, ...]
    html_sha256: str = ""
    text_sha256: str = ""
    schema: int = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)  # keys a newer digest wrote

    @property
    def posts(self) -> tuple[ManifestPost, ...]:
        return tuple(post for section in self.sections for post in section.posts)

    @property
    def issue_id(self) -> str:
        return issue_id(self.edition, self.until)

    @classmethod
    def from_digest(
        cls, digest: Digest, *, html_sha256: str = "", text_sha256: str = ""
    ) -> Manifest:
        """The manifest of ``digest``. Posts collapsed to fit the size budget come last,
        in a section titled like the email's list (``more_title``)."""
        sections = list(digest.sections)
        if digest.more:
            sections.append(Section(title=digest.more_title, entries=(), more=digest.more))

        def post(entry: Entry, shown: str) -> ManifestPost:
            return ManifestPost(
                title=entry.post.title,
                url=entry.post.url,
                date=entry.post.date.isoformat(),
                author=entry.post.author,
                categories=entry.post.categories,
                excerpt=entry.excerpt,
                source=entry.post.source,
                shown=shown,
                feed=entry.post.feed,
            )

        return cls(
            edition=digest.edition,
            subject=digest.subject,
            preheader=digest.preheader,
            since=digest.window.since,
            until=digest.window.until,
            sections=tuple(
                ManifestSection(
                    title=s.title,
                    posts=(
                        *(post(e, "excerpt") for e in s.entries),
                        *(post(e, "link") for e in s.more),
                    ),
                )
                for s in sections
            ),
            html_sha256=html_sha256,
            text_sha256=text_sha256,
        )

    def to_json(self) -> dict[str, Any]:
        """The ``digest.json`` contract (see the README)."""
        posts = self.posts
        excerpts = sum(1 for p in posts if p.shown == "excerpt")
        data: dict[str, Any] = {
            **self.extra,
            "schema": self.schema,
            "edition": self.edition,
            "subject": self.subject,
            "preheader": self.preheader,
            "window": {"since": self.since.isoformat(), "until": self.until.isoformat()},
            "counts": {"posts": len(posts), "excerpts": excerpts, "links": len(posts) - excerpts},
            "sections": [
                {
                    "title": s.title,
                    "posts": [
                        {
                            "title": p.title,
                            "url": p.url,
                            "date": p.date,
                            "author": p.author,
                            "categories": list(p.categories),
                            "excerpt": p.excerpt,
                            "source": p.source,
                            **({"feed": p.feed} if p.feed else {}),
                            "shown": p.shown,
                        }
                        for p in s.posts
                    ],
                }
                for s in self.sections
            ],
        }
        if self.html_sha256 or self.text_sha256:
            data["html_sha256"], data["text_sha256"] = self.html_sha256, self.text_sha256
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Any, *, require_hashes: bool = True) -> Manifest:
        """A manifest from parsed JSON; ``ValueError`` names the first key that is wrong."""
        obj: dict[str, Any] = _expect(data, dict, "the manifest")
        schema = obj.get("schema", SCHEMA)
        if not isinstance(schema, int) or isinstance(schema, bool) or schema > SCHEMA:
            raise ValueError(
                f"schema {schema!r}: written by a newer digest (this one reads {SCHEMA})"
            )
        edition = _expect(obj.get("edition"), str, "edition")
        if not is_safe_name(edition):
            raise ValueError(f"edition {edition!r} is not a valid name ({SAFE_NAME_RULE})")
        window = _expect(obj.get("window"), dict, "window")
        since, until = (_day(window.get(k), f"window.{k}") for k in ("since", "until"))
        sections = tuple(
            _section(s, f"sections[{i}]")
            for i, s in enumerate(_expect(obj.get("sections"), list, "sections"))
        )
        hashes = {}
        for key in ("html_sha256", "text_sha256"):
            if key not in obj and not require_hashes:
                hashes[key] = ""
                continue
            value = _expect(obj.get(key), str, key)
            if not _SHA256.fullmatch(value):
                raise ValueError(f"{key}: expected a SHA-256 in hex, found {describe_json(value)}")
            hashes[key] = value
        if "counts" in obj:  # derived from the posts on writing; checked only for shape
            _expect(obj["counts"], dict, "counts")
        known = {"schema", "edition", "subject", "preheader", "window", "counts", "sections"}
        return cls(
            schema=SCHEMA,
            edition=edition,
            subject=_expect(obj.get("subject"), str, "subject"),
            preheader=_expect(obj.get("preheader", ""), str, "preheader"),
            since=since,
            until=until,
            sections=sections,
            extra={k: v for k, v in obj.items() if k not in known and k not in hashes},
            **hashes,
        )


def _section(data: Any, label: str) -> ManifestSection:
    obj = _expect(data, dict, label)
    posts = _expect(obj.get("posts"), list, f"{label}.posts")
    return ManifestSection(
        title=_expect(obj.get("title"), str, f"{label}.title"),
        posts=tuple(_post(p, f"{label}.posts[{j}]") for j, p in enumerate(posts)),
    )


def _post(data: Any, where: str) -> ManifestPost:
    obj = _expect(data, dict, where)
    text = {
        key: _expect(obj.get(key, ""), str, f"{where}.{key}")
        for key in ("author", "excerpt", "source", "feed")
    }
    stamp = _expect(obj.get("date", ""), str, f"{where}.date")
    if stamp:
        try:
            datetime.fromisoformat(stamp)
        except ValueError:
            raise ValueError(
                f"{where}.date: not an ISO date, found {describe_json(stamp)}"
            ) from None
    categories = _expect(obj.get("categories", []), list, f"{where}.categories")
    shown = obj.get("shown", "excerpt")
    if shown not in _SHOWN:
        raise ValueError(f"{where}.shown: expected one of {', '.join(_SHOWN)}, found {shown!r}")
    return ManifestPost(
        title=_expect(obj.get("title"), str, f"{where}.title"),
        url=_expect(obj.get("url"), str, f"{where}.url"),
        date=stamp,
        categories=tuple(
            _expect(c, str, f"{where}.categories[{n}]") for n, c in enumerate(categories)
        ),
        shown=shown,
        **text,
    )


def describe_json(value: Any) -> str:
    """A parsed JSON value for an error message: its kind, and the start of it."""
    if value is None:
        return "null"
    kind = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    name = kind.get(type(value), "a number")
    shown = json.dumps(value, ensure_ascii=False)
    return f"{name} {shown if len(shown) <= 40 else shown[:39] + '…'}"


def _expect(value: Any, kind: type, label: str) -> Any:
    if not isinstance(value, kind):
        wanted = {"dict": "an object", "list": "a list", "str": "text"}[kind.__name__]
        raise ValueError(f"{label}: expected {wanted}, found {describe_json(value)}")
    return value


def _day(value: Any, label: str) -> date:
    text = _expect(value, str, label)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{label}: not an ISO date, found {describe_json(value)}") from None
