"""A cache of loaded posts, so that a repeat build skips every unchanged file.

Keyed by each file's path, size and modification time (nanoseconds), under a
fingerprint of the settings that shape a loaded post (time zone, base URL,
permalink pattern, tags-as-categories) and of digest's version: change any
of them and the whole cache is set aside. A file modified within two seconds
of the cache being written is not trusted to it (a same-size edit in the same
clock tick would be invisible), so it is parsed again next time.

The cache lives in ``.digest-cache/`` beside ``digest.toml`` (``[paths]
cache``); ``--no-cache`` disables it. It is written atomically and a broken
or foreign cache file is ignored, never trusted.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .errors import ExportError
from .models import LoadResult, Post, Problem
from .output import write_binary
from .sources.markdown import PARALLEL_MIN_FILES, PendingLoad, iter_post_files, post_row, row_post
from .templates import templates_hash_for

log = logging.getLogger("digest")
RACY_NS = 2_000_000_000
Entry = tuple[int, int, str, Any]  # size, mtime_ns, kind ("post", "draft", "problem"), payload


CACHE_FORMAT = "2"  # posts stored as rows (see posts.post_row)


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
    return config.cache_dir / f"posts-{fingerprint(config)}.pickle"


def _read(path: Path) -> dict[str, Entry]:
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a damaged or foreign file: start afresh
        log.info("ignoring the post cache %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
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
    """Like :func:`digest.sources.markdown.read_posts`, parsing only files that changed."""
    path = cache_file(config)
    cached = _read(path)
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
        entry = cached.get(rel)
        if entry is None or (entry[0], entry[1]) != stats[rel]:
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
                # the workers' rows when they parsed in parallel: no second conversion
                row = (pending.rows.get(rel) or post_row(payload)) if kind == "post" else payload
                entries[rel] = (*stats[rel], kind, row)
        elif rel in cached:
            entry = entries[rel] = cached[rel]  # unchanged: kept as stored
            kind, payload = entry[2], row_post(entry[3]) if entry[2] == "post" else entry[3]
        else:
            continue
        if kind == "post":
            posts.append(payload)
        elif kind == "problem":
            problems.append(payload)
        else:
            drafts.append(rel)
    if new or entries.keys() != cached.keys():
        _write(path, entries)
    return LoadResult(posts=tuple(posts), problems=tuple(problems), drafts=tuple(drafts))


# --- rendered digests ---------------------------------------------------------------------------

RENDERS_KEPT = 32


def render_key(config: Config, selection: Any) -> str:
    """Everything a digest's render depends on: every setting, the selected posts with
    their bodies (so the window, new-only and editions are in it), and the templates."""
    settings = replace(config, warnings=(), source=None)
    blob = pickle.dumps((CACHE_FORMAT, code_fingerprint(), settings, selection), protocol=5)
    return hashlib.sha256(blob + templates_hash_for(config.templates_dir).encode()).hexdigest()


def load_render(config: Config, key: str) -> Any | None:
    assert config.cache_dir is not None
    path = config.cache_dir / "renders" / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:
        log.info("ignoring cached render %s: %s", path, exc)
        return None


def save_render(config: Config, key: str, value: Any) -> None:
    assert config.cache_dir is not None
    folder = config.cache_dir / "renders"
    _write(folder / f"{key}.pickle", value)
    try:  # keep the most recent few: a weekly digest has no use for old renders
        old = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime)[:-RENDERS_KEPT]
        for path in old:
            path.unlink(missing_ok=True)
    except OSError:
        pass
