"""``digest init``: a working ``digest.toml`` for the site in a folder, in one command.

It recognises the generator from its config file (see :func:`digest.sites.detect`),
reads the base URL, title, language, time zone and content folder from it,
finds the section holding dated posts, and writes a commented ``digest.toml``
that builds as it is. What was read and what was guessed are both reported,
so an editor knows which lines to check. An existing file is never replaced
without ``force``; the new one is written atomically (complete or not at all).
With no recognisable site, a plain starter file is written instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import CONFIG_NAME, load_config
from .errors import DigestError, UsageError
from .fields import strip_controls
from .sites import BUILTIN, SiteInfo, detect
from .sites.base import resolved, under
from .wording import plural

# Reading the head of this many files is enough to tell a section of dated posts.
MAX_FILES_LOOKED_AT = 3000
HEAD_BYTES = 2048
_DATED_NAME = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[-_]|^\d{8}[-_]")
_DATE_FIELD = re.compile(
    rb"^\s*(date|pubDate|pubDatetime|publishDate|published)\s*[:=]", re.M | re.I
)
_MARKDOWN = (".md", ".markdown", ".mdx")

GENERATOR_LABELS = {
    "hugo": "Hugo",
    "jekyll": "Jekyll",
    "zola": "Zola",
    "eleventy": "Eleventy",
    "astro": "Astro",
    "mkdocs-material": "MkDocs Material (blog plugin)",
}


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``digest init`` wrote, and the lines it reports."""

    path: Path
    generator: str  # "none" for the plain starter
    found: tuple[str, ...]
    guessed: tuple[str, ...]


def _dated_count(folder: Path, budget: list[int]) -> int:
    """How many Markdown files below ``folder`` carry a date (in the name or the front matter)."""
    count = 0
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in files:
            if not name.endswith(_MARKDOWN) or name.startswith("_index"):
                continue
            if budget[0] <= 0:
                return count
            budget[0] -= 1
            if _DATED_NAME.match(name):
                count += 1
                continue
            try:
                with open(os.path.join(current, name), "rb") as handle:
                    head = handle.read(HEAD_BYTES)
            except OSError:
                continue
            if _DATE_FIELD.search(head):
                count += 1
    return count


def find_posts_folder(content: Path, preferred: Path | None) -> tuple[Path | None, int]:
    """The folder of dated posts: ``preferred`` if it holds any, else the section below
    ``content`` (or ``content`` itself) holding the most."""
    budget = [MAX_FILES_LOOKED_AT]
    if preferred is not None and preferred.is_dir():
        count = _dated_count(preferred, budget)
        if count:
            return preferred, count
    if not content.is_dir():
        return None, 0
    best: tuple[int, Path] | None = None
    for child in sorted(content.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        count = _dated_count(child, budget)
        if count and (best is None or count > best[0]):
            best = (count, child)
    if best is None:
        count = _dated_count(content, [MAX_FILES_LOOKED_AT])
        return (content, count) if count else (None, 0)
    return best[1], best[0]


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; TOML also forbids a raw DEL)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _one_line(text: str) -> str:
    """``text`` as one line: line breaks and control characters (which ``[site] name``
    refuses, and which would break out of a comment) become single spaces."""
    spaced = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text)
    return " ".join(spaced.split())


def _zone(value: str) -> str:
    if not value:
        return ""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return value


def _relative(path: Path, root: Path) -> str:
    return under(path.resolve(), root.resolve()) or str(path.resolve())


def _site_file(info: SiteInfo, root: Path) -> tuple[str, list[str], list[str]]:
    """The digest.toml text for a recognised site, with what was found and guessed."""
    label = GENERATOR_LABELS.get(info.generator, info.generator)
    source = info.config_file.name if info.config_file else "its files"
    found = [f"generator: {label} ({source})"]
    guessed = list(info.guessed)
    name = _one_line(info.title) or _one_line(root.resolve().name) or "My blog"
    if info.title:
        found.append(f"title: {name}")
    else:
        guessed.append(f"site name: {name} (the folder's name; no title in {source})")
    url = info.base_url if re.match(r"^https?://[^/\s]", info.base_url) else ""
    if url:
        url = url if url.endswith("/") else url + "/"
        found.append(f"base URL: {url}")
    else:
        guessed.append("base URL: not found; set [site] url before building")
    language = info.language or "en"
    (found if info.language else guessed).append(f"language: {language}")
    zone = _zone(info.timezone)
    if zone:
        found.append(f"time zone: {zone}")
    else:
        guessed.append("time zone: UTC (the site names none)")
        zone = "UTC"
    content, preferred = info.content_dir or root, info.posts_dir
    for folder in (content, preferred):
        if folder is not None and not resolved(folder).is_relative_to(resolved(root)):
            # a hostile (or shared-checkout) config must not send digest to read, say, /etc
            guessed.append(
                f"content folder {folder} is outside the site folder: not used; "
                "set [paths] posts by hand if that is really where the posts are"
            )
            content, preferred = root, None
            break
    posts, count = find_posts_folder(content, preferred)
    if posts is None:
        posts = preferred or content
        guessed.append(f"posts folder: {_relative(posts, root)} (no dated posts found)")
    else:
        found.append(f"posts folder: {_relative(posts, root)} ({plural(count, 'dated post')})")
    if info.permalink:
        found.append(f"post URLs: {info.permalink}")

    url_line = (
        f"url = {_toml(url)}" if url else '# url = "https://example.org/"   # set this: not found'
    )
    text = f"""\
# digest.toml written by `digest init` for this {label} site ({source}).
# Every key is optional; see the README for the full reference. Paths are
# relative to this file. Post links follow {label}'s own rules, read from
# {source}: change the site's config, not this file, to move them.

[site]
name = {_toml(name)}
{url_line}
language = {_toml(language)}
timezone = {_toml(zone)}
generator = {_toml(info.generator)}
# root = "."                      # where {source} lives, if not above the posts folder

[paths]
posts = {_toml(_relative(posts, root))}
out = "dist"

[selection]
days = 7                          # the window: posts of the last 7 days
# categories = ["News"]           # only these (by default: all)

[email]
# from = "{name} <newsletter@example.org>"
# unsubscribe_url = "https://example.org/unsubscribe"
"""
    return text, found, guessed


STARTER = """\
# digest.toml: a starter written by `digest init` (no site generator recognised here).
# Every key is optional; see the README for the full reference. Paths are
# relative to this file.

[site]
name = "My blog"
url = "https://example.org/"       # your blog's address: post links start with it
language = "en"
timezone = "UTC"
generator = "none"                 # hugo, jekyll, zola, eleventy, astro, mkdocs-material
permalink = ":year/:month/:day/:slug/"

[paths]
posts = "posts"                    # a folder of Markdown posts with a date and a title
out = "dist"

[selection]
days = 7

[email]
# from = "My blog <newsletter@example.org>"
# unsubscribe_url = "https://example.org/unsubscribe"
"""


def _write_new(target: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``target`` atomically; refuse to replace a file unless ``force``.

    The new file must load as a configuration before it takes ``target``'s place: a
    value copied from the site's config that digest refuses leaves nothing behind.
    """
    folder = target.parent
    fd, temp = tempfile.mkstemp(prefix=".digest-init-", suffix=".toml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        try:
            load_config(Path(temp))  # a ConfigError names the value; target is untouched
        except DigestError as exc:
            exc.where = str(target)  # the file it would have been, not the temporary one
            raise
        if force:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # atomic, and fails if the file appeared meanwhile
            except FileExistsError:
                raise _exists(target) from None
            except OSError:  # no hard links here (some network or FAT file systems)
                if target.exists():
                    raise _exists(target) from None
                os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _exists(target: Path) -> UsageError:
    return UsageError(f"{target} already exists; run `digest init --force` to replace it")


def init_site(root: Path, *, force: bool = False, generator: str | None = None) -> InitResult:
    """Write ``root/digest.toml`` for the site in ``root`` (see the module docstring)."""
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    target = root / CONFIG_NAME
    if target.exists() and not force:
        raise _exists(target)
    if generator not in (None, "none"):
        if generator not in BUILTIN:
            raise UsageError(f"unknown generator {generator!r}; choose from: {', '.join(BUILTIN)}")
        info = BUILTIN[generator].detect(root)
        if info is None:
            raise UsageError(f"{root}: no {generator} config file found")
    else:
        info = detect(root) if generator is None else None
    found: list[str]
    guessed: list[str]
    if info is None:
        text, found, guessed = STARTER, [], ["no site generator config found: a starter file"]
        name = "none"
    else:
        text, found, guessed = _site_file(info, root)
        name = info.generator
    try:
        _write_new(target, text, force=force)
    except OSError as exc:
        raise DigestError(f"cannot write: {exc.strerror or exc}", where=str(target)) from None
    # What the report quotes comes from the site's own files: no escape sequence of
    # theirs reaches the editor's terminal.
    return InitResult(
        path=target,
        generator=name,
        found=tuple(map(strip_controls, found)),
        guessed=tuple(map(strip_controls, guessed)),
    )
