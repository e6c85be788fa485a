"""The Markdown-folder source: which files are posts, reading them, and loading in parallel.

Loading is the hot path (10,000 posts in a big archive), so it does only the
work every post needs: split, parse the frontmatter, normalise a few fields.
The body stays raw until a post is selected (see :mod:`digest.excerpts`).

Posts are untrusted input (a shared CI build reads whatever was committed):
only regular files inside the posts folder are read, up to ``[selection]
max_post_bytes``; any failure while parsing one post, foreseen or not, becomes
one :class:`~digest.models.Problem` naming it, in this process or in a worker,
and a worker that dies costs only the file that killed it.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import PostError
from ..front_matter import Skip, split_frontmatter
from ..metadata import parse_post
from ..models import LoadResult, Post, Problem
from ..sites import Rules, fresh_rules

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger("digest")


POST_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})


# Section/list pages of Hugo and Zola, never posts.
NOT_POSTS = frozenset({"_index.md", "_index.markdown"})


SKIP_DIRS = frozenset({"_drafts", "node_modules"})


def iter_post_files(folder: Path, site: Rules | None = None) -> list[str]:
    """Post files below ``folder`` as sorted ``/``-separated relative paths.

    Hidden folders, ``_drafts`` and section pages (``_index.md``) are skipped;
    ``site`` (the generator's rules) then keeps the files its generator
    publishes as posts (a Hugo bundle's resources are not).
    Plain ``os.walk`` on strings: pathlib costs ~30 µs a file here, and even
    ``os.path.splitext`` a tenth of a warm 10,000-post build.
    """
    found: list[str] = []
    root = str(folder)
    for current, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        rel_dir = os.path.relpath(current, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in names:
            if name.startswith(".") or name in NOT_POSTS:
                continue
            dot = name.rfind(".")  # os.path.splitext's suffix, for a name not starting with "."
            if dot > 0 and name[dot:].lower() in POST_SUFFIXES:
                found.append(prefix + name)
    found.sort()
    return site.post_files(found) if site is not None else found


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _regular(mode: int) -> None:
    """Raise :class:`Skip` unless ``mode`` is a regular file's: reading a FIFO waits forever."""
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise Skip(f"{kind}, not a post file: skipped")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


def read_post_text(
    folder: str,
    rel: str,
    max_bytes: int,
    *,
    root: str | None = None,
    stats: dict[str, tuple[int, int]] | None = None,
) -> str:
    """The text of the post file ``rel`` below ``folder``, or :class:`Skip` saying why not.

    Only a regular file of at most ``max_bytes`` is read: a FIFO would block the
    build forever, a device could be endless, and a huge file costs memory and
    time for nothing. A symbolic link is followed only to a file inside the
    posts folder (``root``, its resolved path). The file is opened without
    blocking and checked again once open, so a swap after the first look cannot
    make us wait. With ``stats``, its (size, mtime_ns) is noted for the cache.
    Newlines are read as :func:`open` would in text mode.
    """
    path = os.path.join(folder, rel)
    root = root or os.path.realpath(folder)
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(path)
            if os.path.commonpath([root, target]) != root:
                raise Skip(f"a symbolic link to {target}, outside the posts folder: not followed")
            linked = os.path.relpath(target, root).replace(os.sep, "/")
            if os.path.splitext(target)[1].lower() in POST_SUFFIXES and os.path.isfile(target):
                # the post it links to is read as itself: twice would send it twice
                raise Skip(f"a symbolic link to the post {linked}, which is read as itself")
            st = os.stat(path)
        _regular(st.st_mode)
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as handle:
            st = os.fstat(fd)
            _regular(st.st_mode)
            if stats is not None:
                stats[rel] = (st.st_size, st.st_mtime_ns)
            data = b""
            if st.st_size <= max_bytes:
                # read(n) allocates n bytes up front: ask for the size, then for any growth
                data = handle.read(st.st_size + 1)
                if len(data) > st.st_size:
                    data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise Skip(f"cannot read: {exc.strerror or exc}") from None
    if st.st_size > max_bytes or len(data) > max_bytes:
        raise Skip(
            f"{_size(max(st.st_size, len(data)))}, larger than the {_size(max_bytes)} allowed "
            "for a post: skipped (raise [selection] max_post_bytes to read it)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Skip(
            f"not UTF-8 text (byte {exc.start})", data.count(b"\n", 0, exc.start) + 1
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 2000


def _load_files(
    folder: str, rels: list[str], config: Config, stats: dict[str, tuple[int, int]] | None = None
) -> LoadResult:
    """Parse ``rels``; with ``stats``, also note each file's (size, mtime_ns) for the cache.

    The stat is taken on the open file before reading it, so a file changed
    meanwhile looks changed next time rather than cached with old content.
    """
    posts: list[Post] = []
    problems: list[Problem] = []
    drafts: list[str] = []
    root = os.path.realpath(folder)
    for rel in rels:
        try:
            text = read_post_text(
                folder, rel, config.selection.max_post_bytes, root=root, stats=stats
            )
            post = parse_post(text, rel, config)
        except Skip as skip:
            problems.append(Problem(where=rel, message=skip.message, line=skip.line))
            continue
        except Exception as exc:  # one bad post must never stop a build
            problems.append(Problem(where=rel, message=unusable(exc)))
            continue
        if post is None:
            drafts.append(rel)
        else:
            posts.append(post)
    return LoadResult(posts=tuple(posts), problems=tuple(problems), drafts=tuple(drafts))


def unusable(exc: Exception) -> str:
    """The warning for a failure nobody foresaw: still one line naming the post.

    The traceback goes to the debug log (``-vv``), for a bug report.
    """
    log.debug("unexpected failure while loading a post", exc_info=exc)
    detail = " ".join(str(exc).split())
    detail = detail[:200] + "…" if len(detail) > 200 else detail
    return f"unusable post ({type(exc).__name__}{': ' + detail if detail else ''})"


POST_FIELDS = tuple(f.name for f in fields(Post))


def post_row(post: Post) -> tuple[Any, ...]:
    """A post as a plain tuple: pickles three times faster than the dataclass."""
    return tuple(getattr(post, name) for name in POST_FIELDS)


# Post's slots, set directly: what unpickling a Post does, and ~40% quicker than its
# __init__ (100,000 posts: 0.4 s less). Post is a frozen, slotted record with no
# __post_init__; were that to change, the posts are made through __init__ again.
_SETTERS = tuple(getattr(Post, name).__set__ for name in POST_FIELDS)
_DIRECT = not hasattr(Post, "__post_init__") and len(getattr(Post, "__slots__", ())) == len(
    POST_FIELDS
)
_SHARED = tuple(POST_FIELDS.index(name) for name in ("author", "categories", "tags"))


def rows_posts(rows: Iterable[tuple[Any, ...]], seen: dict[Any, Any]) -> tuple[Post, ...]:
    """The posts of ``rows`` (values in field order), with equal authors, categories and
    tags as one object each (``seen`` holds them): a blog has a few of each, repeated on
    every post, which at 100,000 posts is about 30 MB of copies."""
    posts = []
    new = object.__new__
    for row in rows:
        if _DIRECT:
            post = new(Post)
            for put, value in zip(_SETTERS, row, strict=True):
                put(post, value)
            for index in _SHARED:
                _SETTERS[index](post, seen.setdefault(row[index], row[index]))
        else:
            values = dict(zip(POST_FIELDS, row, strict=True))
            for index in _SHARED:
                values[POST_FIELDS[index]] = seen.setdefault(row[index], row[index])
            post = Post(**values)
        posts.append(post)
    return tuple(posts)


Chunk = tuple[list[tuple[Any, ...]], LoadResult, dict[str, tuple[int, int]]]


def _load_chunk(args: tuple[str, list[str], Config]) -> Chunk:
    """Worker side: posts travel back as rows (cheaper to pickle), with the files' stats."""
    stats: dict[str, tuple[int, int]] = {}
    result = _load_files(*args, stats=stats)
    return [post_row(p) for p in result.posts], replace(result, posts=()), stats


def _worker_count(files: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if files < PARALLEL_MIN_FILES:
        return 1
    import multiprocessing as mp  # deferred, as the pool: a warm build forks no worker

    if "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


class PendingLoad:
    """A load under way in worker processes; :meth:`result` waits for it.

    Lets the caller do other start-up work (importing the rendering engines)
    while the workers parse; a small folder is loaded at once instead.
    ``rels`` limits the load to those files (the cache passes the changed
    ones); ``progress(done, total)`` is called as chunks of files complete.

    A worker that dies (killed for memory, a crash in a C library) does not
    hang the load, as it would with ``multiprocessing.Pool``: the files it had
    not finished are read again one per process, so the good ones load and
    the one that kills its process is reported like any other bad post.
    """

    CHUNK = 500

    def __init__(
        self,
        config: Config,
        workers: int | None = None,
        *,
        rels: list[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ):
        folder = str(config.paths.posts)
        if rels is None:
            rels = iter_post_files(config.paths.posts, fresh_rules(config))
        self._rels = rels
        self._progress = progress
        count = _worker_count(len(self._rels), workers)
        self._pool: ProcessPoolExecutor | None = None
        self._parts: Any = None
        self._done: LoadResult | None = None
        self.stats: dict[str, tuple[int, int]] = {}  # (size, mtime_ns) of each file read
        if count == 1:
            self._done = _load_files(folder, self._rels, config, self.stats)
            if progress:
                progress(len(self._rels), len(self._rels))
            return
        size = max(1, min(self.CHUNK, -(-len(self._rels) // count)))
        self._chunks = [
            (folder, self._rels[i : i + size], config) for i in range(0, len(self._rels), size)
        ]
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor  # deferred: only for a large load

        self._pool = ProcessPoolExecutor(count, mp_context=mp.get_context("fork"))
        self._parts = [self._pool.submit(_load_chunk, chunk) for chunk in self._chunks]

    def result(self) -> LoadResult:
        from concurrent.futures.process import BrokenProcessPool

        if self._done is None:
            assert self._pool is not None
            parts: list[LoadResult] = []
            seen: dict[Any, Any] = {}
            try:
                done = 0
                for chunk, future in zip(self._chunks, self._parts, strict=True):
                    try:
                        rows, part, stats = future.result()
                    except BrokenProcessPool:
                        rows, part, stats = _load_one_per_process(chunk)
                    parts.append(replace(part, posts=rows_posts(rows, seen)))
                    self.stats.update(stats)
                    done += len(chunk[1])
                    if self._progress:
                        self._progress(done, len(self._rels))
            finally:
                self._pool.shutdown(cancel_futures=True)
            self._done = LoadResult(
                posts=tuple(p for part in parts for p in part.posts),
                problems=tuple(p for part in parts for p in part.problems),
                drafts=tuple(d for part in parts for d in part.drafts),
            )
        return self._done


def _load_one_per_process(chunk: tuple[str, list[str], Config]) -> Chunk:
    """A chunk whose worker died, read again one file at a time to find the file that kills."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    folder, rels, config = chunk
    rows: list[tuple[Any, ...]] = []
    problems: list[Problem] = []
    drafts: list[str] = []
    stats: dict[str, tuple[int, int]] = {}
    pool: ProcessPoolExecutor | None = None
    try:
        for rel in rels:
            pool = pool or ProcessPoolExecutor(1, mp_context=mp.get_context("fork"))
            try:
                one_rows, part, one_stats = pool.submit(
                    _load_chunk, (folder, [rel], config)
                ).result()
            except BrokenProcessPool:
                pool.shutdown()
                pool = None
                problems.append(Problem(where=rel, message=_DIED))
                continue
            rows += one_rows
            problems += part.problems
            drafts += part.drafts
            stats.update(one_stats)
    finally:
        if pool is not None:
            pool.shutdown()
    return rows, LoadResult(posts=(), problems=tuple(problems), drafts=tuple(drafts)), stats


_DIED = "the process reading it died (out of memory, or a crash in a parser): skipped"


def read_posts(config: Config, *, workers: int | None = None) -> LoadResult:
    """Load every post below ``config.paths.posts``; problems are returned, not raised.

    Bodies are left on disk (see :func:`with_bodies`). Large folders are parsed
    in forked worker processes, in chunks reassembled in order, so the result
    is identical to a sequential load; YAML parsing holds the GIL, so threads
    would not help.
    """
    return PendingLoad(config, workers).result()


def with_bodies(posts: tuple[Post, ...], config: Config) -> tuple[Post, ...]:
    """The same posts with their Markdown bodies read from disk (for selected posts).

    A feed's post already holds its text: it has no file to read.
    """
    out = []
    folder = str(config.paths.posts)
    for post in posts:
        if post.feed:
            out.append(post)
            continue
        try:
            _, body = split_frontmatter(
                read_post_text(folder, post.source, config.selection.max_post_bytes)
            )
        except Exception as exc:  # it loaded a moment ago: report, don't crash
            reason = exc if isinstance(exc, Skip) else unusable(exc)
            raise PostError(
                f"changed while the digest was being built: {reason}", where=post.source
            ) from None
        out.append(replace(post, body=body))
    return tuple(out)
