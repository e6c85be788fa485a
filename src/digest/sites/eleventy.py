"""Eleventy: a page's URL is its path below the input folder, unless ``permalink`` says.

Ported from Eleventy's documentation (11ty.dev/docs/permalinks/,
/docs/data-eleventy-supplied/, /docs/dates/, /docs/config/#input-directory):

- by default ``posts/my-post.md`` is written to ``posts/my-post/index.html``
  and linked as ``/posts/my-post/`` (the file's path stem, kept as written;
  ``index.md`` is its folder's page);
- a ``permalink`` field (a template string) replaces it; ``permalink: false``
  writes no file at all; directory data files ``<folder>.11tydata.json`` or
  ``<folder>/<folder>.json`` may set it for a folder;
- ``page.fileSlug`` is the file name without a leading ``YYYY-MM-DD-`` (a
  folder's name for ``index.md``); ``page.date`` is ``date``, else the file
  name's date;
- the ``slugify`` filter is @sindresorhus/slugify (ASCII, lowercase, other
  runs → ``-``).

Permalinks computed in JavaScript (``*.11tydata.js``, ``eleventyComputed``)
cannot be read: set ``[site] permalink`` in digest.toml to the pattern they
produce (``:year/:month/:day/:slug/``, ``:slug`` being the fileSlug).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..front_matter import Skip
from ..permalinks import expand_permalink
from .base import (
    Profile,
    Rules,
    SiteInfo,
    ascii_slug,
    base_from,
    file_parts,
    join_url,
    resolved,
    site_time,
    under,
)

if TYPE_CHECKING:
    from ..config import Config

CONFIG_NAMES = (
    "eleventy.config.js",
    "eleventy.config.mjs",
    "eleventy.config.cjs",
    "eleventy.config.ts",
    ".eleventy.js",
)
MAX_SCRIPT_BYTES = 500_000

_INPUT = re.compile(r"""\binput\s*:\s*["'`]([^"'`]+)["'`]""")
# 11ty.dev/docs/dates: words for the file's time (the git ones read from the file here)
FILE_TIME_WORDS = frozenset({"last modified", "created", "git last modified", "git created"})
# TemplateFileSlug: the date prefix Eleventy strips from a file name for page.fileSlug
FILE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.*)$")
_NOTHING = object()  # a folder without a permalink in its data files
_EXPR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def read_script(path: Path) -> str:
    """The text of a JavaScript config file, capped; we read settings from it, never run it."""
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_SCRIPT_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def eleventy_slugify(text: str) -> str:
    """The ``slugify`` filter (@sindresorhus/slugify): apostrophes dropped, then ASCII slug."""
    return ascii_slug(text.replace("'", "").replace("\u2019", ""))


class EleventyRules(Rules):
    def __init__(self, config: Config, root: Path | None, input_dir: str):
        super().__init__(
            generator="eleventy",
            base_url=base_from(config, ""),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
        )
        source = resolved(root / input_dir) if root is not None else None
        prefix = under(self.posts, source) if source is not None else None
        self.prefix = self.posts.name if prefix is None else "" if prefix == "." else prefix
        self.source = source if source is not None and prefix is not None else self.posts.parent
        self._data_cache: dict[tuple[str, ...], Any] = {}

    def site_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _folder_permalink(self, site_rel: str) -> Any:
        """``permalink`` from the directory data files of the folders above, nearest first."""
        dirs, _, _ = file_parts(site_rel)
        for depth in range(len(dirs), 0, -1):
            found = self._folder_data(tuple(dirs[:depth]))
            if found is not _NOTHING:
                return found
        return None

    def _folder_data(self, dirs: tuple[str, ...]) -> Any:
        """A folder's ``permalink`` from ``<name>.11tydata.json`` or ``<name>.json``, read once."""
        if dirs in self._data_cache:
            return self._data_cache[dirs]
        result: Any = _NOTHING
        folder = self.source.joinpath(*dirs)
        for data in (folder / f"{dirs[-1]}.11tydata.json", folder / f"{dirs[-1]}.json"):
            try:
                if not data.is_file() or data.stat().st_size > MAX_SCRIPT_BYTES:
                    continue
                loaded = json.loads(data.read_text("utf-8"))
            except (ValueError, OSError):
                continue
            if isinstance(loaded, dict) and "permalink" in loaded:
                result = loaded["permalink"]
                break
        self._data_cache[dirs] = result
        return result

    def _permalink(self, meta: dict[str, Any], rel: str) -> Any:
        if "permalink" in meta:
            return meta["permalink"]
        return self._folder_permalink(self.site_rel(rel))

    def unpublished(self, meta: dict[str, Any], rel: str) -> str | None:
        return "permalink: false" if self._permalink(meta, rel) is False else None

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        """``page.date`` and ``page.fileSlug``: only a ``YYYY-MM-DD-`` prefix is a date
        (TemplateFileSlug), so ``2024-12-5-x.md``'s slug is the whole name."""
        parent, _, name = rel.rpartition("/")
        stem = name.rsplit(".", 1)[0]
        if stem == "index" and parent:
            stem = parent.rsplit("/", 1)[-1]
        match = FILE_DATE.match(stem)
        value = meta.get("date")
        if isinstance(value, str) and value.strip().lower() in FILE_TIME_WORDS:
            # "Last Modified", "Created" (and their git forms): the file's own time
            try:
                stamp = os.stat(self.posts / rel).st_mtime
            except OSError as exc:
                raise Skip(f"cannot read the file's time: {exc.strerror or exc}") from None
            return datetime.fromtimestamp(stamp, self.timezone), match.group(2) if match else stem
        if value is None or value == "":
            if match is None:
                raise Skip("no date: add a 'date' field or name the file YYYY-MM-DD-slug.md")
            value = match.group(1)
        return site_time(value, self.timezone), match.group(2) if match else stem

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        site_rel = self.site_rel(rel)
        dirs, stem, _ = file_parts(site_rel)
        stem_path = "/" + "/".join([*dirs, stem])
        permalink = self._permalink(meta, rel)
        if isinstance(permalink, str) and permalink.strip():
            link = self._render(permalink.strip(), meta, slug, stem_path, when, cats)
        elif self.permalink:
            link = expand_permalink(self.permalink, when=when, slug=slug, categories=cats)
        else:
            link = stem_path[: -len("/index")] + "/" if stem == "index" else stem_path + "/"
        if link.endswith("/index.html"):
            link = link[: -len("index.html")]
        return join_url(self.base_url, link if link.startswith("/") else "/" + link)

    def _render(
        self,
        template: str,
        meta: dict[str, Any],
        slug: str,
        stem_path: str,
        when: datetime,
        cats: tuple[str, ...],
    ) -> str:
        """A permalink template with the few expressions we can evaluate without running it."""
        title = meta.get("title") if isinstance(meta.get("title"), str) else ""
        variables = {
            "page.fileSlug": slug,
            "page.filePathStem": stem_path,
            "title": title,
            "slug": meta.get("slug") if isinstance(meta.get("slug"), str) else slug,
        }

        def value(match: re.Match[str]) -> str:
            name, *filters = [p.strip() for p in match.group(1).split("|")]
            if name not in variables:
                return self._unsupported(template)
            text = str(variables[name])
            for item in filters:
                if item in {"slugify", "slug"}:
                    text = eleventy_slugify(text)
                else:
                    return self._unsupported(template)
            return text

        return _EXPR.sub(value, template)

    def _unsupported(self, template: str) -> str:
        raise Skip(
            f"permalink {template!r} needs Eleventy to evaluate it: "
            "set [site] permalink in digest.toml to the pattern it produces"
        )


class EleventyProfile(Profile):
    name = "eleventy"
    config_names = CONFIG_NAMES

    def _input(self, root: Path | None) -> str:
        found = self.config_file(root) if root is not None else None
        if found is None:
            return "."
        match = _INPUT.search(read_script(found))
        return match.group(1) if match else "."

    def rules(self, config: Config) -> EleventyRules:
        root = self.find_root(config)
        return EleventyRules(config, root, self._input(root))

    def detect(self, root: Path) -> SiteInfo | None:
        found = self.config_file(root)
        if found is None:
            return None
        source = root / self._input(root)
        guessed = ["base URL: not in Eleventy's config (set [site] url)"]
        posts = next(
            (
                source / name
                for name in ("posts", "blog", "content/posts", "content/blog", "src/posts")
                if (source / name).is_dir()
            ),
            None,
        )
        if posts is None:
            guessed.append("posts folder: none of posts/, blog/ found")
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=found,
            content_dir=source,
            posts_dir=posts,
            permalink="/<folder>/<file name>/ (Eleventy's default; a permalink field wins)",
            guessed=tuple(guessed),
        )
