"""Astro content collections: an entry's id (or slug) below the route that renders it.

Ported from Astro's documentation (docs.astro.build: "Content collections",
"Routing" (rest parameters ``[...slug].astro``), configuration ``site``,
``base``, ``trailingSlash``, ``build.format``) and source
(``packages/astro/src/content/utils.ts`` ``getContentEntryIdAndSlug``,
``loaders/glob.ts`` ``generateIdDefault``):

- an entry's id is its ``slug`` field, else its path below the collection
  without the extension, each segment through github-slugger (lowercase,
  punctuation removed, spaces → ``-``), a trailing ``/index`` dropped;
- the page is the route folder holding ``[...slug].astro`` (or ``[slug]``,
  ``[...id]``, ``[id]``) below ``src/pages``, the collection's name by default,
  plus the id; ``trailingSlash: 'never'`` drops the final ``/`` and
  ``build.format: 'file'`` writes ``.html``;
- the date is ``pubDate`` (the blog starter), ``pubDatetime``,
  ``publishDate`` or ``date``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fields import text_field
from .base import (
    Profile,
    Rules,
    SiteInfo,
    base_from,
    default_date_and_slug,
    join_url,
    resolved,
    under,
)
from .eleventy import read_script

if TYPE_CHECKING:
    from ..config import Config

CONFIG_NAMES = (
    "astro.config.mjs",
    "astro.config.js",
    "astro.config.ts",
    "astro.config.mts",
    "astro.config.cjs",
)
DATE_KEYS = ("pubDate", "pubDatetime", "publishDate", "date")
ROUTE_FILES = ("[...slug].astro", "[slug].astro", "[...id].astro", "[id].astro")


def _setting(script: str, name: str) -> str:
    match = re.search(rf"""\b{name}\s*:\s*["'`]([^"'`]*)["'`]""", script)
    return match.group(1) if match else ""


def github_slug(text: str) -> str:
    """github-slugger: lowercase; drop what is not a letter, mark, number, ``_``, ``-`` or
    space; each space → ``-`` (runs are not collapsed)."""
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if category[0] in {"L", "M", "N"} or char in "_- ":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


class AstroRules(Rules):
    def __init__(self, config: Config, root: Path | None, script: str):
        site = _setting(script, "site")
        base = _setting(script, "base").strip("/")
        generator_url = site.rstrip("/") + ("/" + base if base else "") if site else ""
        super().__init__(
            generator="astro",
            base_url=base_from(config, generator_url),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
            date_keys=DATE_KEYS,
        )
        self.trailing = _setting(script, "trailingSlash") != "never"
        self.file_format = _setting(script, "format") == "file"
        collection = self.posts.name
        self.route = self._route(root, collection)

    @staticmethod
    def _route(root: Path | None, collection: str) -> str:
        """The folder below src/pages whose dynamic route renders the entries."""
        if root is None:
            return collection
        pages = root / "src" / "pages"
        found: list[str] = []
        if pages.is_dir():
            for name in ROUTE_FILES:
                for path in sorted(pages.rglob(name))[:50]:
                    found.append(under(path.parent, pages) or "")
        for folder in found:
            if folder.rsplit("/", 1)[-1] == collection:
                return folder
        return found[0] if len(found) == 1 else collection

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        when, _ = default_date_and_slug(meta, rel, self.timezone, self.date_keys)
        slug = meta.get("slug")
        if slug is not None:
            return when, text_field(slug, "slug")
        stem = rel.rsplit(".", 1)[0]
        entry_id = "/".join(github_slug(part) for part in stem.split("/"))
        return when, re.sub(r"/index$", "", entry_id)

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        path = "/".join(p for p in (self.route.strip("/"), slug.strip("/")) if p)
        ending = ".html" if self.file_format else "/" if self.trailing else ""
        link = f"/{path}{ending}"
        return join_url(self.base_url, link)


class AstroProfile(Profile):
    name = "astro"
    config_names = CONFIG_NAMES

    def rules(self, config: Config) -> AstroRules:
        root = self.find_root(config)
        found = self.config_file(root) if root is not None else None
        return AstroRules(config, root, read_script(found) if found else "")

    def detect(self, root: Path) -> SiteInfo | None:
        found = self.config_file(root)
        if found is None:
            return None
        script = read_script(found)
        content = root / "src" / "content"
        posts = next(
            (content / n for n in ("blog", "posts", "post", "articles") if (content / n).is_dir()),
            None,
        )
        guessed = [] if posts else ["posts folder: no src/content/blog or posts collection"]
        site = _setting(script, "site")
        base = _setting(script, "base").strip("/")
        collection = posts.name if posts else "blog"
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=found,
            base_url=site.rstrip("/") + ("/" + base if base else "") + "/" if site else "",
            content_dir=content,
            posts_dir=posts,
            permalink=f"/{AstroRules._route(root, collection)}/<id>/",
            guessed=tuple(guessed),
        )
