"""A cache of loaded posts, so that a repeat build skips every unchanged file.

Keyed by each file's path, size and modification time (nanoseconds), under a
fingerprint of the settings that shape a loaded post (time zone, base URL,
permalink pattern, tags-as-categories) and of digest's version: change any
of them and the whole cache is set aside. A file modified within two seconds
of the cache being written is not trusted to it (a same-size edit in the same
clock tick would be invisible), so it is parsed again next time.

The cache lives in ``.digest-cache/`` beside ``digest.toml`` (``[paths]
cache``); ``--no-cache`` disables it. It is written atomically, as JSON and
never as a pickle (caches are shared between CI runs, and loading a planted
pickle runs its code); an unreadable, truncated or foreign cache file is a
miss, logged at debug level, never trusted in part.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.metadata
import itertools
import json
import logging
import operator
import os
import pickle
import re
import secrets
import sys
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .config import Config
from .errors import ExportError
from .models import Digest, LoadResult, Post, Problem, Rendered
from .output import write_binary
from .sites import fingerprint as sites_fingerprint
from .sites import fresh_rules
from .sources.feedload import FeedLoad
from .sources.markdown import PARALLEL_MIN_FILES, PendingLoad, iter_post_files, rows_posts
from .templates import templates_hash_for
from .version import __version__

log = logging.getLogger("digest")
RACY_NS = 2_000_000_000
# Per file in memory: (size, mtime_ns, kind ("post", "draft", "problem"), a problem's row as
# JSON data (None for posts, written by column from the Post, and drafts), its payload: a
# Post, a Problem or None).
Entry = tuple[int, int, str, Any, Any]


CACHE_FORMAT = "4"  # JSON, not pickle: a planted cache file must not run code
POSTS_MAGIC = "digest post cache"
RENDER_MAGIC = "digest render cache"
FEED_MAGIC = "digest feed cache"
FEEDS_KEPT = 64  # parsed feeds kept (several sources, a few versions of each)


class _Foreign(ValueError):
    """A cache file that is not one this code wrote: treated as a miss."""


# --- a data-only codec for the frozen records ---------------------------------------------------
#
# Records (a cached render's digest, a post's problem) are stored as JSON lists in field
# order (the code fingerprint sets a cache aside whenever a record changes), dates as ISO
# text. Reading checks every value's type against the record's annotations, so a damaged or
# planted file is refused, never half-trusted. Loaded posts are stored by column (below).


def to_json(value: Any) -> Any:
    """A record (or a value inside one) as plain JSON data.

    A datetime in a named zone (every post's, in the site zone) is stored as
    ``[wall time, zone, fold]``, so it comes back exactly as the loader made
    it; any other date or datetime as ISO text.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return [to_json(getattr(value, f.name)) for f in fields(value)]
    if isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo):
        return [value.replace(tzinfo=None).isoformat(), value.tzinfo.key, value.fold]
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    return value


Decoder = Callable[[Any], Any]


def _exact(kind: type) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not kind:
            raise _Foreign(f"expected {kind.__name__}, found {type(value).__name__}")
        return value

    return decode


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _Foreign(f"expected a list, found {type(value).__name__}")
    return value


def _datetime(tz: tzinfo) -> Decoder:
    zone = getattr(tz, "key", None)

    def decode(value: Any) -> datetime:
        if type(value) is list and len(value) == 3:  # [wall time, zone, fold]
            wall, key, fold = value
            if key != zone or fold not in (0, 1) or type(wall) is not str:
                raise _Foreign(f"expected a datetime in {zone}, found {value!r}")
            parsed = datetime.fromisoformat(wall)
            if parsed.tzinfo is not None:
                raise _Foreign(f"expected a wall time, found {wall!r}")
            return parsed.replace(tzinfo=tz, fold=fold)
        if type(value) is not str:
            raise _Foreign(f"expected a datetime, found {type(value).__name__}")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise _Foreign(f"expected an aware datetime, found {value!r}")
        return parsed

    return decode


def _strings(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not set(map(type, value)) <= {str}:
        raise _Foreign("expected a list of text")
    return tuple(value)


def _date(value: Any) -> date:
    if type(value) is not str:
        raise _Foreign(f"expected a date, found {type(value).__name__}")
    return date.fromisoformat(value)


@functools.cache
def decoder(hint: Any, tz: tzinfo) -> Decoder:
    """A function that turns JSON data back into a value of type ``hint``, or raises."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (str, int, bool):
        return _exact(hint)
    if hint is datetime:
        return _datetime(tz)
    if hint is date:
        return _date
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        inner = decoder(next(a for a in args if a is not type(None)), tz)
        return lambda value: None if value is None else inner(value)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] is str:  # categories and tags: checked without a call per item
            return _strings
        item = decoder(args[0], tz)
        return lambda value: tuple(map(item, _list(value)))
    if is_dataclass(hint) and isinstance(hint, type):
        return _record(hint, tz)
    raise TypeError(f"no cache decoder for {hint!r}")  # a programming error, caught by tests


def _json_types(hint: Any) -> set[type]:
    """The JSON types a value of type ``hint`` is stored as (see :func:`to_json`)."""
    if hint in (str, int, bool):
        return {hint}
    if hint is datetime:
        return {list, str}
    if hint is date:
        return {str}
    args = typing.get_args(hint)
    if type(None) in args:
        return set().union(*(_json_types(a) for a in args if a is not type(None))) | {type(None)}
    return {list}  # tuples and records


def _record(cls: type, tz: tzinfo) -> Decoder:
    """A record's decoder: every field's JSON type is checked at once, by looking the
    row's types up in the set of allowed combinations, then dates, tuples and nested
    records are converted."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    allowed = frozenset(itertools.product(*(_json_types(hints[name]) for name in names)))
    converters = [
        (index, decoder(hints[name], tz))
        for index, name in enumerate(names)
        if not _json_types(hints[name]) <= {str, int, bool, type(None)} or hints[name] is date
    ]

    def decode(value: Any) -> Any:
        if type(value) is not list or tuple(map(type, value)) not in allowed:
            raise _Foreign(f"expected a {cls.__name__} record")
        values = value.copy()
        for index, convert in converters:
            item = values[index]
            if item is not None:
                values[index] = convert(item)
        return cls(**dict(zip(names, values, strict=True)))

    return decode


# --- sealing: a cache file is trusted only if this user's key signed it ------------------------

_SEAL = b"digest-cache-hmac-sha256:"


@functools.cache
def cache_key() -> bytes:
    """The key that signs cache files: ``$DIGEST_CACHE_KEY``, else one made once per user.

    A cache folder may be shared (a CI cache restored from another branch, a
    synced folder): a JSON file cannot run code, but a planted one could still
    change what subscribers receive (a link in a cached render). Files are
    signed with HMAC-SHA-256 under a key kept outside the cache, so a file this
    user's digest did not write is a miss. A CI that shares caches between its
    own runs sets ``DIGEST_CACHE_KEY`` from a secret; where no key can be kept,
    each run has its own, and caches are simply not reused.
    """
    given = os.environ.get("DIGEST_CACHE_KEY", "")
    if given:
        return given.encode("utf-8")
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(home) / "digest" / "cache-key"
    for _ in range(2):
        try:
            text = path.read_text(encoding="ascii").strip()
            if len(text) == 64:
                return bytes.fromhex(text)
        except (OSError, ValueError):
            pass
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            continue  # another process made it: read that one
        except OSError:
            break
    return secrets.token_bytes(32)


def _seal(data: bytes) -> bytes:
    mac = hmac.new(cache_key(), data, hashlib.sha256).hexdigest().encode("ascii")
    return _SEAL + mac + b"\n" + data


def _unseal(raw: bytes) -> bytes | None:
    head, _, data = raw.partition(b"\n")
    if not head.startswith(_SEAL):
        return None
    mac = hmac.new(cache_key(), data, hashlib.sha256).hexdigest().encode("ascii")
    return data if hmac.compare_digest(head[len(_SEAL) :], mac) else None


def _load_json(path: Path, magic: str) -> Any | None:
    """The data of a cache file, or None for a missing, unreadable, unsigned or foreign one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.debug("ignoring the cache file %s: %s", path, exc)
        return None
    body = _unseal(raw)
    if body is None:
        log.debug("ignoring the cache file %s: not signed with this user's cache key", path)
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # damaged: start afresh
        log.debug("ignoring the cache file %s: %s", path, exc)
        return None
    if type(data) is not dict or data.get("format") != magic:
        log.debug("ignoring the cache file %s: not a %s", path, magic)
        return None
    return data


# --- loaded posts -------------------------------------------------------------------------------


@functools.cache
def code_fingerprint() -> str:
    """Digest's own code as it is installed: the caches must not outlive a change to it.

    The version number alone is not enough: a checkout or an editable install
    changes the code without changing the version. Names, sizes and
    modification times of the package's files are cheap to read and change
    with any edit.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.po")]):  # code and catalogs
        st = path.stat()
        digest.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}".encode())
    for name, version in library_versions():
        digest.update(f"{name}=={version}".encode())
    return digest.hexdigest()


# The libraries whose upgrade can change what a build produces: parsing (frontmatter,
# YAML, time zones), excerpts (Markdown, sanitising) and rendering (Jinja, MJML,
# premailer and the CSS and HTML parsers it uses).
OUTPUT_LIBRARIES = (
    "python-frontmatter",
    "pyyaml",
    "tzdata",
    "markdown-it-py",
    "nh3",
    "jinja2",
    "markupsafe",
    "mjml-python",
    "premailer",
    "cssutils",
    "lxml",
    "babel",  # CLDR: dates, numbers and plural rules
)


@functools.cache
def library_versions() -> tuple[tuple[str, str], ...]:
    """The installed version of each library in ``OUTPUT_LIBRARIES`` (read once).

    Read from the names of the ``NAME-VERSION.dist-info`` folders on ``sys.path``
    (first found wins, as for imports): one listing per folder instead of a
    search of every folder per library, which took a warm build ~10 ms. A
    library found no such way is asked of :mod:`importlib.metadata`.
    """
    wanted = {_normal(name) for name in OUTPUT_LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                if _normal(name) in wanted and version:
                    found.setdefault(_normal(name), version)
    return tuple(
        (name, found.get(_normal(name)) or _metadata_version(name)) for name in OUTPUT_LIBRARIES
    )


def _normal(name: str) -> str:
    """A distribution name as packaging normalises it (``PyYAML`` = ``pyyaml``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _metadata_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def fingerprint(config: Config) -> str:
    parts = [
        CACHE_FORMAT,
        code_fingerprint(),
        str(config.paths.posts),
        config.site.timezone,
        config.site.url,
        config.site.permalink,
        sites_fingerprint(config),  # the generator and its config files' bytes
        str(config.selection.tags_as_categories),
        str(config.selection.max_post_bytes),
        repr(sorted(config.site_data.authors.items())),  # bylines resolve author ids on loading
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def cache_file(config: Config) -> Path:
    assert config.paths.cache is not None
    return config.paths.cache / f"posts-{fingerprint(config)}.json"


# Posts are stored by column (one list per field, in file order), so that a warm build checks
# each column's types at once instead of 10,000 rows one by one. A date is stored as its wall
# time in the site zone plus a fold column; a post dated in any other zone is not cached.
POST_NAMES = tuple(f.name for f in fields(Post))
POST_COLUMNS = (*POST_NAMES, "date_fold")
_TEXT_LISTS = ("categories", "tags")


def _column_types() -> dict[str, set[type]]:
    hints = typing.get_type_hints(Post)
    types_ = {name: _json_types(hints[name]) for name in POST_NAMES}
    if types_.pop("date") != {list, str} or any(
        t - {str, bool, type(None), list} for t in types_.values()
    ):
        raise TypeError("Post has a field the post cache cannot store")  # caught by the tests
    return {**types_, **{name: {list} for name in _TEXT_LISTS}, "date": {str}, "date_fold": {int}}


COLUMN_TYPES = _column_types()


def _cacheable(post: Post, zone: str) -> bool:
    """Whether the post's date is in the site zone (the only dates the post cache stores)."""
    when = post.date.tzinfo
    return isinstance(when, ZoneInfo) and when.key == zone


def _column(posts: list[Post], name: str) -> Callable[[], list[Any]]:
    """The column ``name`` of the post cache, made when it is written (one at a time)."""
    if name == "date":
        return lambda: [p.date.replace(tzinfo=None).isoformat() for p in posts]
    if name == "date_fold":
        return lambda: [p.date.fold for p in posts]
    if name in _TEXT_LISTS:
        return lambda: [list(getattr(p, name)) for p in posts]
    return lambda: [getattr(p, name) for p in posts]


def _decode_posts(table: Any, count: int, tz: tzinfo) -> list[Post]:
    """The posts of a cache file; ``_Foreign`` if anything is off."""
    if type(table) is not dict or table.keys() != set(POST_COLUMNS):
        raise _Foreign("not a table of posts")
    for name in POST_COLUMNS:
        column = table[name]
        if type(column) is not list or len(column) != count:
            raise _Foreign(f"posts.{name}: not a column of {count}")
        if not set(map(type, column)) <= COLUMN_TYPES[name]:
            raise _Foreign(f"posts.{name}: a value of the wrong type")
    values = {name: table[name] for name in POST_NAMES}
    for name in _TEXT_LISTS:
        if not set(map(type, itertools.chain.from_iterable(values[name]))) <= {str}:
            raise _Foreign(f"posts.{name}: not lists of text")
        values[name] = list(map(tuple, values[name]))
    walls = list(map(datetime.fromisoformat, table["date"]))
    folds = table["date_fold"]
    if set(map(operator.attrgetter("tzinfo"), walls)) - {None} or not set(folds) <= {0, 1}:
        raise _Foreign("posts.date: not wall times")
    dates = list(map(functools.partial(datetime.replace, tzinfo=tz), walls))
    for index in itertools.compress(range(count), folds):
        dates[index] = dates[index].replace(fold=1)
    values["date"] = dates
    return list(rows_posts(zip(*values.values(), strict=True), {}))


def _read(path: Path, tz: tzinfo) -> dict[str, Entry]:
    """The cached entries, each checked; any damage sets the whole file aside."""
    data = _load_json(path, POSTS_MAGIC)
    if data is None:
        return {}
    try:
        files, sizes, mtimes, kinds = (data.get(k) for k in ("files", "sizes", "mtimes", "kinds"))
        if data.get("zone") != getattr(tz, "key", None):
            raise _Foreign("another time zone")
        for name, column, allowed in (
            ("files", files, str),
            ("sizes", sizes, int),
            ("mtimes", mtimes, int),
            ("kinds", kinds, str),
        ):
            if type(column) is not list or not set(map(type, column)) <= {allowed}:
                raise _Foreign(f"{name}: not a list of {allowed.__name__}")
        if not len(files) == len(sizes) == len(mtimes) == len(kinds):
            raise _Foreign("columns of different lengths")
        if not set(kinds) <= {"post", "problem", "draft"}:
            raise _Foreign("an unknown kind of entry")
        posts = _decode_posts(data.get("posts"), kinds.count("post"), tz)
        stored = data.get("problems")
        if type(stored) is not list or len(stored) != kinds.count("problem"):
            raise _Foreign("no list of problems")
        if len(posts) == len(files):  # the usual case: every file is a post
            rows = itertools.repeat(None)  # posts are written from the Post, by column
            return dict(
                zip(files, zip(sizes, mtimes, kinds, rows, posts), strict=True)  # noqa: B905
            )
        problem = decoder(Problem, tz)
        payloads = {
            "post": iter([(None, post) for post in posts]),
            "problem": iter([(raw, problem(raw)) for raw in stored]),
        }
        cached: dict[str, Entry] = {}
        for rel, size, mtime, kind in zip(files, sizes, mtimes, kinds, strict=True):
            row, payload = next(payloads[kind]) if kind != "draft" else (None, None)
            cached[rel] = (size, mtime, kind, row, payload)
    except (ValueError, TypeError) as exc:  # _Foreign, and bad ISO dates
        log.debug("ignoring the post cache %s: %s", path, exc)
        return {}
    return cached


def _write(path: Path, value: Any) -> None:
    """Write ``value`` as sealed JSON; a dict's values are encoded one at a time.

    The cache of 100,000 posts is about 40 MB of JSON: encoding it whole, then
    as UTF-8, then with its seal in front made three copies of it at once. Here
    each top-level value (each column of posts) is encoded and appended to one
    buffer, signed as it goes, with room left at its head for the seal.
    """
    mac = hmac.new(cache_key(), digestmod=hashlib.sha256)
    buffer = bytearray(len(_SEAL) + mac.digest_size * 2 + 1)  # the seal's line, filled last
    parts = _json_parts(value)
    for part in parts:
        chunk = part.encode("utf-8")
        mac.update(chunk)
        buffer += chunk
    buffer[: len(_SEAL) + mac.digest_size * 2 + 1] = _SEAL + mac.hexdigest().encode("ascii") + b"\n"
    try:
        write_binary(path.parent, {path.name: buffer}, durable=False)
    except ExportError as exc:  # a read-only checkout still builds, just without the cache
        log.info("cannot write the cache %s: %s", path, exc.message)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_parts(value: Any) -> Iterator[str]:
    """``value`` as compact JSON text, in pieces: nested dicts key by key, the rest whole
    (a function in place of a value is called for it when its turn comes)."""
    if callable(value):
        value = value()
    if type(value) is not dict:
        yield _dumps(value)
        return
    yield "{"
    for index, (key, item) in enumerate(value.items()):
        yield ("," if index else "") + _dumps(key) + ":"
        yield from _json_parts(item)
    yield "}"


def _write_posts(path: Path, zone: str, entries: dict[str, Entry]) -> None:
    """Write the entries, posts by column (see :data:`POST_COLUMNS`)."""
    posts = [e[4] for e in entries.values() if e[2] == "post"]
    _write(
        path,
        {
            "format": POSTS_MAGIC,
            "zone": zone,
            "files": list(entries),
            "sizes": [e[0] for e in entries.values()],
            "mtimes": [e[1] for e in entries.values()],
            "kinds": [e[2] for e in entries.values()],
            "posts": {name: _column(posts, name) for name in POST_COLUMNS},
            "problems": [e[3] for e in entries.values() if e[2] == "problem"],
        },
    )


def cached_read(
    config: Config,
    *,
    progress: Callable[[int, int], None] | None = None,
    warm_up: Callable[[], None] | None = None,
) -> LoadResult:
    """Like :func:`digest.sources.markdown.read_posts`, parsing only files that changed."""
    rules = fresh_rules(config)  # the generator's config as it is now
    path = cache_file(config)
    zone = config.site.tz.key
    cached = _read(path, config.site.tz)
    folder = str(config.paths.posts)
    prefix = os.path.join(folder, "")
    rels = iter_post_files(config.paths.posts, rules)
    stats: dict[str, tuple[int, int]] = {}
    changed: list[str] = [] if cached else rels  # cold: the loader stats what it reads
    for rel in rels if cached else ():
        try:
            st = os.stat(prefix + rel)
        except OSError:
            changed.append(rel)  # let the loader report it
            continue
        hit = cached.get(rel)
        if hit is None or hit[0] != st.st_size or hit[1] != st.st_mtime_ns:
            stats[rel] = (st.st_size, st.st_mtime_ns)
            changed.append(rel)
    if not changed and len(rels) == len(cached) and rels == list(cached):
        log.info("post cache: all %d files unchanged", len(rels))
        return _unchanged(cached)
    pending = PendingLoad(config, rels=changed, progress=progress)
    if warm_up is not None and len(changed) >= PARALLEL_MIN_FILES:
        warm_up()  # only worth it while workers parse; a warm run may not render at all
    fresh = pending.result()
    stats.update(pending.stats)
    log.info("post cache: %d unchanged, %d parsed", len(rels) - len(changed), len(changed))

    new: dict[str, tuple[str, Any]] = {}
    for post in fresh.posts:
        new[post.source] = ("post", post)
    for problem in fresh.problems:
        new[problem.where] = ("problem", problem)
    for draft in fresh.drafts:
        new[draft] = ("draft", None)

    racy_after = time.time_ns() - RACY_NS
    entries: dict[str, Entry] = {}
    posts: list[Post] = []
    problems: list[Problem] = []
    drafts: list[str] = []
    for rel in rels:
        if rel in new:
            kind, payload = new[rel]
            row = to_json(payload) if kind == "problem" else None
            cacheable = kind != "post" or _cacheable(payload, zone)
            if rel in stats and stats[rel][1] < racy_after and cacheable:
                entries[rel] = (*stats[rel], kind, row, payload)
        elif rel in cached:
            entry = entries[rel] = cached[rel]  # unchanged: kept as stored
            kind, payload = entry[2], entry[4]
        else:
            continue
        if kind == "post":
            posts.append(payload)
        elif kind == "problem":
            problems.append(payload)
        else:
            drafts.append(rel)
    if new or entries.keys() != cached.keys():
        _write_posts(path, zone, entries)
    return LoadResult(posts=tuple(posts), problems=tuple(problems), drafts=tuple(drafts))


def _unchanged(cached: dict[str, Entry]) -> LoadResult:
    """The load result of a cache whose every file is unchanged (nothing to write)."""
    entries = cached.values()
    return LoadResult(
        posts=tuple(e[4] for e in entries if e[2] == "post"),
        problems=tuple(e[4] for e in entries if e[2] == "problem"),
        drafts=tuple(rel for rel, e in cached.items() if e[2] == "draft"),
    )


# --- rendered digests ---------------------------------------------------------------------------

RENDERS_KEPT = 32


def render_key(config: Config, selection: Any) -> str:
    """Everything a digest's render depends on: every setting, the selected posts with
    their bodies (so the window, new-only and editions are in it), and the templates."""
    settings = replace(config, warnings=(), source=None, from_flags=frozenset())
    # pickle only serialises these in-memory values for hashing: nothing is ever unpickled.
    # The selection goes as JSON data instead: pickle records which equal values are the
    # same object, and posts parsed afresh share strings that posts read back from a
    # cache (the feed cache, the post cache) do not, so equal selections hashed apart.
    blob = pickle.dumps((CACHE_FORMAT, code_fingerprint(), settings), protocol=5)
    posts = json.dumps(to_json(selection), ensure_ascii=False, default=repr).encode(
        "utf-8", "surrogatepass"
    )
    return hashlib.sha256(
        blob + b"\0" + posts + templates_hash_for(config.paths.templates).encode()
    ).hexdigest()


# A cached render: the digest as fitted, its parts, and the cheap checks' findings on them.
CachedRender = tuple[Digest, Rendered, tuple[Problem, ...]]


def load_render(config: Config, key: str) -> CachedRender | None:
    """The cached render for ``key``, or None (a miss: missing or not ours)."""
    assert config.paths.cache is not None
    path = config.paths.cache / "renders" / f"{key}.json"
    data = _load_json(path, RENDER_MAGIC)
    if data is None:
        return None
    tz = config.site.tz
    try:
        return (
            decoder(Digest, tz)(data.get("digest")),
            decoder(Rendered, tz)(data.get("rendered")),
            decoder(tuple[Problem, ...], tz)(data.get("findings")),
        )
    except (ValueError, TypeError) as exc:
        log.debug("ignoring the cached render %s: %s", path, exc)
        return None


def save_render(config: Config, key: str, value: CachedRender) -> None:
    assert config.paths.cache is not None
    folder = config.paths.cache / "renders"
    digest, rendered, findings = value
    _write(
        folder / f"{key}.json",
        {
            "format": RENDER_MAGIC,
            "digest": to_json(digest),
            "rendered": to_json(rendered),
            "findings": to_json(findings),
        },
    )
    try:  # keep the most recent few: a weekly digest has no use for old renders
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-RENDERS_KEPT]
        for path in [*old, *folder.glob("*.pickle")]:  # and an older digest's pickles
            path.unlink(missing_ok=True)
    except OSError:
        pass


# --- parsed feeds -------------------------------------------------------------------------------
#
# A feed file or a fetched body (an unchanged one: a 304 gives back the stored body) is
# parsed once: its posts come back from here on the next build, without feedparser,
# nh3 or Markdown being imported. The key covers the bytes (a body's hash; a file's
# path, size and modification time), the loader's settings and the code.


def feed_key(config: Config, *parts: object) -> str:
    """The cache key of one feed's bytes as this code and these settings parse them."""
    text = "\0".join([fingerprint(config), *map(str, parts)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def cached_feed(config: Config, key: str | None, parse: Callable[[], FeedLoad]) -> FeedLoad:
    """The parsed feed for ``key`` from the cache, else ``parse()`` (stored for next time).

    ``key`` None: not cached (a file modified too recently to trust its time).
    """
    folder = None if config.paths.cache is None else config.paths.cache / "feeds-parsed"
    if folder is None or key is None:
        return parse()
    path = folder / f"{key}.json"
    data = _load_json(path, FEED_MAGIC)
    if data is not None:
        try:
            feed: FeedLoad = decoder(FeedLoad, config.site.tz)(data.get("feed"))
            return feed
        except (ValueError, TypeError) as exc:
            log.debug("ignoring the cached feed %s: %s", path, exc)
    loaded = parse()
    _write(path, {"format": FEED_MAGIC, "feed": to_json(loaded)})
    try:  # keep the most recent few
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-FEEDS_KEPT]
        for stale in old:
            stale.unlink(missing_ok=True)
    except OSError:
        pass
    return loaded
