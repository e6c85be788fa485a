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
import json
import logging
import operator
import os
import pickle
import time
import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import __version__
from .config import Config
from .errors import ExportError
from .models import Digest, LoadResult, Post, Problem, Rendered
from .output import write_binary
from .posts import PARALLEL_MIN_FILES, PendingLoad, iter_post_files
from .templates import templates_hash_for

log = logging.getLogger("digest")
RACY_NS = 2_000_000_000
# Stored per file: [size, mtime_ns, kind ("post", "draft", "problem"), payload as JSON].
Entry = list[Any]


CACHE_FORMAT = "3"  # JSON, not pickle: a planted cache file must not run code
POSTS_MAGIC = "digest post cache"
RENDER_MAGIC = "digest render cache"


class _Foreign(ValueError):
    """A cache file that is not one this code wrote: treated as a miss."""


# --- a data-only codec for the frozen records ---------------------------------------------------
#
# Records are stored as JSON lists in field order (the code fingerprint sets a cache aside
# whenever a record changes), dates as ISO text. Reading checks every value's type against
# the record's annotations, so a damaged or planted file is refused, never half-trusted.


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


def _record(cls: type, tz: tzinfo) -> Decoder:
    """A record's decoder; plain fields are checked in place (10,000 posts on a warm build)."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    exact: list[tuple[int, type]] = []
    optional: list[tuple[int, type]] = []
    other: list[tuple[int, Decoder]] = []
    for index, name in enumerate(names):
        hint = hints[name]
        args = typing.get_args(hint)
        if hint in (str, int, bool):
            exact.append((index, hint))
        elif args in ((str, type(None)), (int, type(None))):
            optional.append((index, args[0]))
        else:
            other.append((index, decoder(hint, tz)))
    count = len(names)
    exact_types = tuple(kind for _, kind in exact)
    pick_exact = operator.itemgetter(*(index for index, _ in exact), -1, -1)  # always a tuple

    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != count:
            raise _Foreign(f"expected a {cls.__name__} record")
        if tuple(map(type, pick_exact(value)))[:-2] != exact_types:
            raise _Foreign(f"{cls.__name__}: a field of the wrong type")
        for index, kind in optional:
            item = value[index]
            if item is not None and type(item) is not kind:
                raise _Foreign(f"{cls.__name__}.{names[index]}: expected {kind.__name__}")
        values = value.copy()
        for index, convert in other:
            values[index] = convert(values[index])
        return cls(**dict(zip(names, values, strict=True)))

    return decode


def _load_json(path: Path, magic: str) -> Any | None:
    """The data of a cache file, or None for a missing, unreadable or foreign one."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # damaged: start afresh
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
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def fingerprint(config: Config) -> str:
    parts = [
        CACHE_FORMAT,
        code_fingerprint(),
        str(config.posts_dir),
        config.timezone,
        config.base_url,
        config.permalink,
        str(config.tags_as_categories),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def cache_file(config: Config) -> Path:
    assert config.cache_dir is not None
    return config.cache_dir / f"posts-{fingerprint(config)}.json"


Cached = dict[str, tuple[Entry, Any]]  # rel -> (entry as stored, its payload decoded)


def _read(path: Path, tz: tzinfo) -> Cached:
    """The cached entries, each checked; any damage sets the whole file aside."""
    data = _load_json(path, POSTS_MAGIC)
    if data is None:
        return {}
    post, problem = decoder(Post, tz), decoder(Problem, tz)
    cached: Cached = {}
    try:
        entries = data.get("entries")
        if type(entries) is not dict:
            raise _Foreign("no entries")
        for rel, entry in entries.items():
            if type(entry) is not list or len(entry) != 4:
                raise _Foreign(f"{rel}: not an entry")
            size, mtime, kind, payload = entry
            if type(size) is not int or type(mtime) is not int:
                raise _Foreign(f"{rel}: no size and time")
            if kind == "post":
                cached[rel] = (entry, post(payload))
            elif kind == "problem":
                cached[rel] = (entry, problem(payload))
            elif kind == "draft" and payload is None:
                cached[rel] = (entry, None)
            else:
                raise _Foreign(f"{rel}: unknown kind {kind!r}")
    except (ValueError, TypeError) as exc:  # _Foreign, and bad ISO dates
        log.debug("ignoring the post cache %s: %s", path, exc)
        return {}
    return cached


def _write(path: Path, value: Any) -> None:
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        write_binary(path.parent, {path.name: data}, durable=False)
    except ExportError as exc:  # a read-only checkout still builds, just without the cache
        log.info("cannot write the cache %s: %s", path, exc.message)


def cached_read(
    config: Config,
    *,
    progress: Callable[[int, int], None] | None = None,
    warm_up: Callable[[], None] | None = None,
) -> LoadResult:
    """Like :func:`digest.posts.read_posts`, parsing only files that changed."""
    path = cache_file(config)
    cached = _read(path, config.tz)
    folder = str(config.posts_dir)
    rels = iter_post_files(config.posts_dir)
    stats: dict[str, tuple[int, int]] = {}
    changed: list[str] = [] if cached else rels  # cold: the loader stats what it reads
    for rel in rels if cached else ():
        try:
            st = os.stat(os.path.join(folder, rel))
        except OSError:
            changed.append(rel)  # let the loader report it
            continue
        stats[rel] = (st.st_size, st.st_mtime_ns)
        hit = cached.get(rel)
        if hit is None or (hit[0][0], hit[0][1]) != stats[rel]:
            changed.append(rel)
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
            if rel in stats and stats[rel][1] < racy_after:
                entries[rel] = [*stats[rel], kind, to_json(payload)]
        elif rel in cached:
            entry, payload = cached[rel]
            entries[rel] = entry  # unchanged: kept as stored
            kind = entry[2]
        else:
            continue
        if kind == "post":
            posts.append(payload)
        elif kind == "problem":
            problems.append(payload)
        else:
            drafts.append(rel)
    if new or entries.keys() != cached.keys():
        _write(path, {"format": POSTS_MAGIC, "entries": entries})
    return LoadResult(posts=tuple(posts), problems=tuple(problems), drafts=tuple(drafts))


# --- rendered digests ---------------------------------------------------------------------------

RENDERS_KEPT = 32


def render_key(config: Config, selection: Any) -> str:
    """Everything a digest's render depends on: every setting, the selected posts with
    their bodies (so the window, new-only and editions are in it), and the templates."""
    settings = replace(config, warnings=(), source=None)
    # pickle only serialises these in-memory values for hashing: nothing is ever unpickled
    blob = pickle.dumps((CACHE_FORMAT, code_fingerprint(), settings, selection), protocol=5)
    return hashlib.sha256(blob + templates_hash_for(config.templates_dir).encode()).hexdigest()


def load_render(config: Config, key: str) -> tuple[Digest, Rendered] | None:
    """The cached (digest, rendered) pair for ``key``, or None (a miss: missing or not ours)."""
    assert config.cache_dir is not None
    path = config.cache_dir / "renders" / f"{key}.json"
    data = _load_json(path, RENDER_MAGIC)
    if data is None:
        return None
    try:
        return decoder(Digest, config.tz)(data.get("digest")), decoder(Rendered, config.tz)(
            data.get("rendered")
        )
    except (ValueError, TypeError) as exc:
        log.debug("ignoring the cached render %s: %s", path, exc)
        return None


def save_render(config: Config, key: str, value: tuple[Digest, Rendered]) -> None:
    assert config.cache_dir is not None
    folder = config.cache_dir / "renders"
    digest, rendered = value
    _write(
        folder / f"{key}.json",
        {"format": RENDER_MAGIC, "digest": to_json(digest), "rendered": to_json(rendered)},
    )
    try:  # keep the most recent few: a weekly digest has no use for old renders
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-RENDERS_KEPT]
        for path in [*old, *folder.glob("*.pickle")]:  # and an older digest's pickles
            path.unlink(missing_ok=True)
    except OSError:
        pass
