"""Reading posts from disk: the only module that parses frontmatter.

Real exports disagree on almost everything: YAML, TOML (``+++``) or JSON
frontmatter; dates as YAML dates, strings with odd offsets, TOML datetimes, or
only in the file name or a ``path`` field; categories as a string, a list or a
comma-separated line; authors as a string, a list or mappings. This module
turns all of that into :class:`~digest.models.Post` records, once, and reports
every file it cannot use as a :class:`~digest.models.Problem` naming the file
(and line) instead of stopping the run.

Loading is the hot path (10,000 posts in a big archive), so it does only the
work every post needs: split, parse the frontmatter, normalise a few fields.
The body stays raw until a post is selected (see :mod:`digest.excerpts`).

Posts are untrusted input (a shared CI build reads whatever was committed), so
one file can cost only bounded work and can never stop, hang or crash a build:
only regular files inside the posts folder are read, up to ``[selection]
max_post_bytes``; frontmatter is capped, YAML alias bombs are refused before
they are built; any failure while parsing one post, foreseen or not, becomes
one :class:`~digest.models.Problem` naming it, in this process or in a worker.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import multiprocessing as mp
import os
import re
import stat
import tomllib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields, replace
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .config import Config
from .dates import date_from_name, date_from_path, kind_of, shown, to_site_time
from .errors import PostError
from .links import absolute_url
from .models import LoadResult, Post, Problem

log = logging.getLogger("digest")
POST_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
# Section/list pages of Hugo and Zola, never posts.
NOT_POSTS = frozenset({"_index.md", "_index.markdown"})
SKIP_DIRS = frozenset({"_drafts", "node_modules"})

_SLASHES = re.compile(r"/{2,}")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_PAGE_SUFFIXES = (".html", ".htm", ".xml", ".txt")
_TRUE = frozenset({"true", "yes", "on", "1", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "n"})


class TomlHandler(BaseHandler):
    """``+++`` frontmatter with the standard library's ``tomllib``.

    python-frontmatter's own TOML handler needs the old ``toml`` package and,
    without it, silently treats ``+++`` frontmatter as body text.
    """

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


# Values a YAML document may expand to through its aliases; a real post has a few dozen.
MAX_YAML_NODES = 100_000
# Frontmatter is metadata, a few hundred bytes: parsing 10 MB of YAML takes ~30 s and 1.3 GB.
MAX_FRONTMATTER_CHARS = 1_000_000


class PostLoader(_BaseLoader):  # type: ignore[misc]
    """The safe YAML loader (libyaml's parser when installed) that names the line of a bad value.

    PyYAML's constructors raise bare ``ValueError``/``AttributeError`` for values
    that match a tag but cannot be built (``2026-02-30``, ``!!int "abc"``,
    ``!!timestamp "x"``, an offset of +99:00), without saying where. Each
    failure is turned into a ``ConstructorError`` carrying the node's position.

    With ``guard`` set, a document is measured before it is built: aliases
    share nodes, so a "billion laughs" document is small as parsed but expands
    to billions of values in anything that walks it (``str()``, our own field
    normalising). Such a document, or one whose aliases form a cycle, is refused.
    """

    guard = False

    def construct_document(self, node: yaml.Node) -> Any:
        if self.guard:
            check_expansion(node, MAX_YAML_NODES)
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, _Skip):
            raise
        except Exception as exc:  # every constructor failure is the post's fault
            raise yaml.constructor.ConstructorError(
                None, None, _bad_value(node, exc), node.start_mark
            ) from None


def _bad_value(node: yaml.Node, exc: Exception) -> str:
    """``cannot read '2026-02-30' as a date (day is out of range for month)``."""
    name = str(node.tag).rsplit(":", 1)[-1]
    name = {"timestamp": "date", "int": "whole number", "float": "number"}.get(name, name)
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    quoted = f"{shown(value)} " if isinstance(value, str) else ""
    reason = f" ({exc})" if isinstance(exc, (ValueError, OverflowError)) and str(exc) else ""
    return f"cannot read {quoted}as {'an' if name[0] in 'aeiou' else 'a'} {name}{reason}"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, limit: int) -> None:
    """Raise :class:`_Skip` if ``root`` expands to more than ``limit`` values, or to a cycle.

    Each distinct node is visited once (sizes are remembered), so the check
    costs as much as the document as written, not as expanded. Iterative:
    nesting cannot exhaust the stack.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the path from the root to the node being measured
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            size = sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise _Skip(
                    f"YAML aliases expand to more than {limit:,} values: refused (an alias bomb?)",
                    node.start_mark.line + 1,
                )
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((node, True))
            for child in _children(node):
                if id(child) in open_nodes:
                    raise _Skip("YAML alias refers to itself", child.start_mark.line + 1)
                if id(child) not in sizes:
                    stack.append((child, False))


def load_yaml(text: str) -> Any:
    """One YAML document with :class:`PostLoader`, guarded when it has anchors and aliases.

    Without both ``&`` and ``*`` no node can be shared, and the common post
    keeps libyaml's full speed.
    """
    loader = PostLoader(text)
    loader.guard = "&" in text and "*" in text
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_YAML = YAMLHandler()
_TOML = TomlHandler()
_JSON = JSONHandler()
_HANDLERS: dict[str, tuple[BaseHandler, str]] = {
    "---": (_YAML, "YAML"),
    "+++": (_TOML, "TOML"),
    "{": (_JSON, "JSON"),
}
_OPENING = re.compile(r"^(-{3,}|\+{3,}|\{)[ \t]*\r?$", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class _Skip(Exception):
    """A file that is not a usable post; carries the problem to report."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def iter_post_files(folder: Path) -> list[str]:
    """Post files below ``folder`` as sorted ``/``-separated relative paths.

    Hidden folders, ``_drafts`` and section pages (``_index.md``) are skipped.
    Plain ``os.walk`` on strings: pathlib costs ~30 µs a file here.
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
            if os.path.splitext(name)[1].lower() in POST_SUFFIXES:
                found.append(prefix + name)
    found.sort()
    return found


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into (metadata, body) with python-frontmatter's handlers.

    Raises :class:`_Skip` naming the line where the parser gives one.
    """
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    leading_lines = text[: len(text) - len(stripped)].count("\n")
    opening = _OPENING.match(stripped)
    if not opening:
        raise _Skip("no frontmatter: the first line should be ---, +++ or {", 1 + leading_lines)
    marker = opening.group(1)
    handler, kind = _HANDLERS["{" if marker == "{" else marker[:3]]
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        closing = "}" if kind == "JSON" else marker[:3]
        raise _Skip(
            f"{kind} frontmatter opened on line {1 + leading_lines} is never closed "
            f"(no {closing!r} line after it)",
            1 + leading_lines,
        ) from None
    if len(fm) > MAX_FRONTMATTER_CHARS:
        raise _Skip(
            f"{kind} frontmatter of {len(fm):,} characters: more than the "
            f"{MAX_FRONTMATTER_CHARS:,} a post's metadata may have",
            1 + leading_lines,
        )
    try:
        metadata = load_yaml(fm) if kind == "YAML" else handler.load(fm)
    except RecursionError:
        raise _Skip(f"{kind} frontmatter is nested too deeply", 1 + leading_lines) from None
    except _Skip as skip:  # the YAML guard: its line counts from the opening ---
        raise _Skip(skip.message, skip.line and skip.line + leading_lines) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 + leading_lines if mark is not None else None
        raise _Skip(f"invalid YAML frontmatter: {problem}", line) from None
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        message = _TOML_LINE.sub("", str(exc)).strip()
        line = int(found.group(1)) + leading_lines if found else None
        raise _Skip(f"invalid TOML frontmatter: {message}", line) from None
    except json.JSONDecodeError as exc:
        raise _Skip(f"invalid JSON frontmatter: {exc.msg}", exc.lineno + leading_lines) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise _Skip(
            f"frontmatter must be a mapping of keys to values, found {type(metadata).__name__}",
            1 + leading_lines,
        )
    return {str(k): v for k, v in metadata.items()}, body


def _flag(value: Any) -> bool | None:
    """YAML 1.1 booleans, plus the strings people put in quotes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int):
        return bool(value)
    return None


def is_draft(meta: dict[str, Any]) -> bool:
    """``draft: true``/``yes``, or ``published: false`` as Jekyll writes it."""
    return _flag(meta.get("draft")) is True or _flag(meta.get("published")) is False


# Bidirectional formatting: embeddings and overrides (closed by PDF), isolates (closed by
# PDI), and the marks LRM, RLM and ALM.
_PDF, _PDI, _FSI = "\u202c", "\u2069", "\u2068"
_BIDI_CLOSER = {
    **dict.fromkeys("\u202a\u202b\u202d\u202e", _PDF),
    **dict.fromkeys("\u2066\u2067\u2068", _PDI),
}
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def balance_bidi(text: str) -> str:
    """``text`` with every bidi embedding, override and isolate it opens closed again.

    Closers without an opener are dropped and openers left open are closed at
    the end, as the Unicode bidi algorithm pairs them (a PDI also closes the
    embeddings opened inside its isolate; a PDF cannot close across an isolate).
    """
    out: list[str] = []
    open_closers: list[str] = []
    for char in text:
        closer = _BIDI_CLOSER.get(char)
        if closer is not None:
            open_closers.append(closer)
        elif char == _PDF:
            if not open_closers or open_closers[-1] != _PDF:
                continue
            open_closers.pop()
        elif char == _PDI:
            if _PDI not in open_closers:
                continue
            while open_closers[-1] != _PDI:
                out.append(open_closers.pop())
            open_closers.pop()
        out.append(char)
    out.extend(reversed(open_closers))
    return "".join(out)


def isolate_bidi(text: str) -> str:
    """``text`` balanced and wrapped in FSI…PDI when it holds any bidi control; else as is.

    A title is shown among other text: in the subject beside the site name, in
    the HTML and plain-text parts beside bylines and links. An override left
    open (U+202E) would reverse everything after it, and even a balanced title
    or a lone RLM would pull neighbouring punctuation and numbers into its
    direction. Wrapped in a first-strong isolate, it cannot reorder anything
    around it, and it still reads correctly in its own direction.
    """
    if not _BIDI.search(text):
        return text
    return _FSI + balance_bidi(text) + _PDI


def strip_controls(text: str) -> str:
    """Without C0/C1 control characters (NUL, ESC, DEL…): nothing a reader should get."""
    return _CONTROLS.sub("", text)


def _clean_text(value: str) -> str:
    """Text as one line: spacing collapsed, case kept (the display form), controls gone and
    bidi formatting isolated (:func:`isolate_bidi`). Plain printable text takes the fast path.
    """
    text = " ".join(value.split())
    if text.isprintable():
        return text
    return isolate_bidi(strip_controls(text))


def _text(value: Any, field: str, *, entities: bool = False) -> str:
    """A frontmatter value meant as text (a title, a name, a category), as one clean line.

    Numbers and dates are taken as the text they were written as (``title:
    1984``, ``title: 2026-11-19``): YAML read them as values, the author meant
    words. Anything else (a mapping, a list, binary data, a yes/no that YAML
    made of ``title: Yes``) is a mistake to report, never text to print as
    ``{'a': 1}`` in an email: raises :class:`_Skip`. With ``entities``, HTML
    character references (``&amp;``, as some exporters write titles) are decoded
    before the text is cleaned, so that ``&#x202E;`` is isolated like U+202E.
    """
    if isinstance(value, str):
        return _clean_text(html.unescape(value) if entities and "&" in value else value)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise _Skip(
            f"{field} is {kind_of(value)}, not text: YAML reads yes/no/on/off/true/false "
            "that way; put it in quotes"
        )
    if isinstance(value, (int, date, time)) or (isinstance(value, float) and math.isfinite(value)):
        return _clean_text(str(value))
    raise _Skip(f"{field} must be text, found {kind_of(value)}")


@functools.lru_cache(maxsize=4096)
def category_key(name: str) -> str:
    """The form used to match categories: ``Book-Review``, ``book review`` → ``book review``."""
    return " ".join(name.casefold().replace("-", " ").replace("_", " ").split())


def _terms(value: Any, field: str) -> list[str]:
    """Categories/tags as written: a string, a comma-separated string or a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in map(_clean_text, value.split(",")) if part]
    if isinstance(value, list) and all(type(v) is str for v in value):
        return [name for name in map(_clean_text, value) if name]  # the common case, kept cheap
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            nested = isinstance(item, (list, tuple))
            out.extend(_terms(item, field) if nested else [_text(item, field)])
        return [o for o in out if o]
    return [_text(value, field)]


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(category_key(name), name)
    return tuple(seen.values())


_NAME_KEYS = ("name", "display_name", "title", "id")


def _person(value: Any) -> str:
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if value.get(key):
                return _text(value[key], f"author {key}")
        raise _Skip("author is a mapping without a name: write author: {name: …} or a string")
    return _text(value, "author")


def authors(meta: dict[str, Any]) -> str:
    """``author``/``authors`` as a byline: "A", "A and B", "A, B and C"."""
    raw = meta.get("authors", meta.get("author"))
    items = raw if isinstance(raw, list) else [raw] if raw else []
    people = [p for p in map(_person, items) if p]
    if len(people) <= 1:
        return people[0] if people else ""
    return ", ".join(people[:-1]) + " and " + people[-1]


def _image(meta: dict[str, Any]) -> tuple[str | None, str]:
    """(image, alt) from ``image``/``thumbnail``/``cover``, a string or a mapping."""
    alt = meta.get("image_alt") or meta.get("alt") or ""
    for key in ("image", "thumbnail", "cover", "featured_image"):
        value = meta.get(key)
        if isinstance(value, dict):
            alt = value.get("alt") or alt
            value = value.get("image") or value.get("src") or value.get("url") or value.get("path")
        if isinstance(value, str) and value.strip():
            return value.strip(), _text(alt, "image alt")
    return None, ""


_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_SPACE = re.compile(r"[\s_-]+")


def slugify(text: str) -> str:
    return _SLUG_SPACE.sub("-", _SLUG_STRIP.sub("", text.casefold())).strip("-")


_TOKEN = re.compile(r":([a-z_]+)")


@functools.lru_cache(maxsize=64)
def _compile_permalink(pattern: str) -> tuple[str, ...]:
    """Split a pattern into literal text (even places) and token names (odd places)."""
    return tuple(_TOKEN.split(pattern))


def expand_permalink(
    pattern: str, *, when: datetime, slug: str, categories: tuple[str, ...]
) -> str:
    """Jekyll/Hugo permalink tokens (``:year/:month/:day/:slug/``) for one post."""
    parts = _compile_permalink(pattern)
    out = [parts[0]]
    for index in range(1, len(parts), 2):
        name = parts[index]
        if name in ("year", "month", "day"):
            value = f"{getattr(when, name):0{4 if name == 'year' else 2}d}"
        elif name in ("slug", "title"):
            value = slug
        elif name == "i_month":
            value = str(when.month)
        elif name == "i_day":
            value = str(when.day)
        elif name == "short_year":
            value = f"{when.year % 100:02d}"
        elif name in ("hour", "minute", "second"):
            value = f"{getattr(when, name):02d}"
        elif name == "categories":
            value = "/".join(slugify(c) for c in categories)
        else:
            value = ":" + name  # not a token we know: leave it as written
        out.append(value)
        out.append(parts[index + 1])
    expanded = "".join(out)
    return _SLASHES.sub("/", expanded) if "//" in expanded else expanded


def _date_and_slug(meta: dict[str, Any], rel: str, tz: tzinfo) -> tuple[datetime, str]:
    parent, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0]
    if stem == "index" and parent:
        stem = parent.rsplit("/", 1)[-1]
    named = date_from_name(stem)
    slug = named[1] if named and named[1] else stem
    if meta.get("slug"):
        slug = slugify(_text(meta["slug"], "slug")) or slug
    value = meta.get("date")
    if value is not None and value != "":
        try:
            return to_site_time(value, tz), slug
        except ValueError as exc:
            raise _Skip(f"bad date: {exc}") from None
    if named:
        return to_site_time(named[0], tz), slug
    for key in ("path", "permalink", "url"):
        if isinstance(meta.get(key), str):
            found = date_from_path(meta[key])
            if found:
                return to_site_time(found, tz), slug
    # A compact YYYYMMDD prefix (20260319_notes.md) as some MkDocs blogs name files.
    compact = re.match(r"^(\d{4})(\d{2})(\d{2})[-_]", stem)
    if compact:
        try:
            return to_site_time(date(*map(int, compact.groups())), tz), slug
        except ValueError:
            pass
    raise _Skip("no date: add a 'date' field or name the file YYYY-MM-DD-slug.md")


def _post_url(
    meta: dict[str, Any], config: Config, when: datetime, slug: str, cats: tuple[str, ...]
) -> str:
    for key in ("url", "permalink", "path"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            link = value.strip()
            if not _SCHEME.match(link):  # a pattern or a path, not an address
                link = expand_permalink(link, when=when, slug=slug, categories=cats)
            if key == "path" and not link.endswith("/") and not link.endswith(_PAGE_SUFFIXES):
                link += "/"  # Zola serves a path as a folder
            url = absolute_url(link, config.base_url)
            if url is None:
                raise _Skip(
                    f"{key} {shown(value)} is not an http(s) address and no site url is set"
                )
            return url
    if not config.base_url:
        raise _Skip("no URL: set [site] url in digest.toml (or --base-url), or a 'url' field")
    link = expand_permalink(config.permalink, when=when, slug=slug, categories=cats)
    url = absolute_url(link, config.base_url)
    assert url is not None  # base_url is validated as http(s)
    return url


def parse_post(text: str, rel: str, config: Config) -> Post | None:
    """One file's text → a Post without its body, or None for a draft. Raises :class:`_Skip`.

    Bodies stay on disk: :func:`with_bodies` reads them for the selected posts only.
    """
    meta, _body = split_frontmatter(text)
    if is_draft(meta):
        return None
    title = _text(meta.get("title"), "title", entities=True)
    if not title:
        raise _Skip("no title: add a 'title' field")
    when, slug = _date_and_slug(meta, rel, config.tz)
    categories = _terms(meta.get("categories", meta.get("category")), "category")
    tags = _terms(meta.get("tags", meta.get("tag")), "tag")
    if config.tags_as_categories:
        categories += tags
    cats = _unique(categories)
    excerpt = None
    for key in ("excerpt", "summary", "description"):
        if isinstance(meta.get(key), str) and meta[key].strip():
            excerpt = meta[key]
            break
    image, image_alt = _image(meta)
    return Post(
        source=rel,
        title=title,
        date=when,
        url=_post_url(meta, config, when, slug, cats),
        author=authors(meta),
        categories=cats,
        tags=_unique(tags),
        excerpt=excerpt,
        image=absolute_url(image, config.base_url) if image else None,
        image_alt=image_alt,
        featured=_flag(meta.get("featured")) is True,
    )


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _regular(mode: int) -> None:
    """Raise :class:`_Skip` unless ``mode`` is a regular file's: reading a FIFO waits forever."""
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise _Skip(f"{kind}, not a post file: skipped")


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
    """The text of the post file ``rel`` below ``folder``, or :class:`_Skip` saying why not.

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
                raise _Skip(f"a symbolic link to {target}, outside the posts folder: not followed")
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
        raise _Skip(f"cannot read: {exc.strerror or exc}") from None
    if st.st_size > max_bytes or len(data) > max_bytes:
        raise _Skip(
            f"{_size(max(st.st_size, len(data)))}, larger than the {_size(max_bytes)} allowed "
            "for a post: skipped (raise [selection] max_post_bytes to read it)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Skip(
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
            text = read_post_text(folder, rel, config.max_post_bytes, root=root, stats=stats)
            post = parse_post(text, rel, config)
        except _Skip as skip:
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


def row_post(row: tuple[Any, ...]) -> Post:
    return Post(**dict(zip(POST_FIELDS, row, strict=True)))


Chunk = tuple[list[tuple[Any, ...]], LoadResult, dict[str, tuple[int, int]]]


def _load_chunk(args: tuple[str, list[str], Config]) -> Chunk:
    """Worker side: posts travel back as rows (cheaper to pickle), with the files' stats."""
    stats: dict[str, tuple[int, int]] = {}
    result = _load_files(*args, stats=stats)
    return [post_row(p) for p in result.posts], replace(result, posts=()), stats


def _worker_count(files: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if files < PARALLEL_MIN_FILES or "fork" not in mp.get_all_start_methods():
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
        folder = str(config.posts_dir)
        self._rels = iter_post_files(config.posts_dir) if rels is None else rels
        self._progress = progress
        count = _worker_count(len(self._rels), workers)
        self._pool: ProcessPoolExecutor | None = None
        self._parts: Any = None
        self._done: LoadResult | None = None
        self.stats: dict[str, tuple[int, int]] = {}  # (size, mtime_ns) of each file read
        self.rows: dict[str, tuple[Any, ...]] = {}  # posts as the workers sent them (rows)
        if count == 1:
            self._done = _load_files(folder, self._rels, config, self.stats)
            if progress:
                progress(len(self._rels), len(self._rels))
            return
        size = max(1, min(self.CHUNK, -(-len(self._rels) // count)))
        self._chunks = [
            (folder, self._rels[i : i + size], config) for i in range(0, len(self._rels), size)
        ]
        self._pool = ProcessPoolExecutor(count, mp_context=mp.get_context("fork"))
        self._parts = [self._pool.submit(_load_chunk, chunk) for chunk in self._chunks]

    def result(self) -> LoadResult:
        if self._done is None:
            assert self._pool is not None
            parts: list[LoadResult] = []
            try:
                done = 0
                for chunk, future in zip(self._chunks, self._parts, strict=True):
                    try:
                        rows, part, stats = future.result()
                    except BrokenProcessPool:
                        rows, part, stats = _load_one_per_process(chunk)
                    posts = tuple(map(row_post, rows))
                    parts.append(replace(part, posts=posts))
                    self.rows.update(zip((p.source for p in posts), rows, strict=True))
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
    """Load every post below ``config.posts_dir``; problems are returned, not raised.

    Bodies are left on disk (see :func:`with_bodies`). Large folders are parsed
    in forked worker processes, in chunks reassembled in order, so the result
    is identical to a sequential load; YAML parsing holds the GIL, so threads
    would not help.
    """
    return PendingLoad(config, workers).result()


def with_bodies(posts: tuple[Post, ...], config: Config) -> tuple[Post, ...]:
    """The same posts with their Markdown bodies read from disk (for selected posts)."""
    out = []
    folder = str(config.posts_dir)
    for post in posts:
        try:
            _, body = split_frontmatter(read_post_text(folder, post.source, config.max_post_bytes))
        except Exception as exc:  # it loaded a moment ago: report, don't crash
            reason = exc if isinstance(exc, _Skip) else unusable(exc)
            raise PostError(
                f"changed while the digest was being built: {reason}", where=post.source
            ) from None
        out.append(replace(post, body=body))
    return tuple(out)
