"""Zola: a page's path is its section's path plus its slug, unless ``path`` says otherwise.

Ported from Zola's documentation (getzola.org: "Page", "Section",
"Configuration" ``[slugify]``) and source
(``components/content/src/page.rs`` ``Page::parse``,
``components/utils/src/slugs.rs``, ``components/utils/src/de.rs``):

- the slug is the ``slug`` field, else the file name (the folder's name for
  ``index.md`` with colocated assets) without a leading date
  (``RFC3339_DATE``: ``2024-05-01-`` or ``2024-05-01_``, a time allowed),
  unless ``[slugify] paths_keep_dates``; it then goes through
  ``slugify_paths`` with the ``[slugify] paths`` strategy: ``on`` (ASCII,
  lowercase, other runs → ``-``), ``safe`` (drop ``<>:"/\\|?*``, trailing
  spaces and dots) or ``off``;
- the path is the ``path`` field (``/`` added before and after), else the
  page's folders below ``content/`` (as written) joined with the slug;
- the permalink is ``base_url`` + the path; the date is ``date``, else the
  file name's; ``draft = true`` is not built.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..fields import flag, text_field
from ..front_matter import Skip
from .base import (
    Profile,
    Rules,
    SiteInfo,
    as_text,
    ascii_slug,
    base_from,
    file_parts,
    join_url,
    read_config_file,
    resolved,
    site_time,
    under,
)

if TYPE_CHECKING:
    from ..config import Config

# utils/src/de.rs (RFC3339_DATE): a date, an optional time, then "_" or "-" and the slug
RFC3339_DATE = re.compile(
    r"^(?P<datetime>(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?"
    r"(Z|(\+|-)([01][0-9]|2[0-3]):([0-5][0-9])))?)\s?(_|-)(?P<slug>.+$)"
)


def slugify_paths(text: str, strategy: str = "on") -> str:
    """``slugify_paths`` (utils/src/slugs.rs) for the ``on``, ``safe`` and ``off`` strategies."""
    if strategy == "off":
        return text
    if strategy == "safe":
        trimmed = text.rstrip(" .")
        return "".join(c for c in trimmed if c not in '<>:"/\\|?*')
    return ascii_slug(text)


def is_zola_config(data: dict[str, Any]) -> bool:
    return "base_url" in data and not any(k.lower() == "baseurl" for k in data)


class ZolaRules(Rules):
    def __init__(self, config: Config, root: Path | None, settings: dict[str, Any]):
        super().__init__(
            generator="zola",
            base_url=base_from(config, as_text(settings.get("base_url"))),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
        )
        slugify: dict[str, Any] = settings.get("slugify") or {}
        if not isinstance(slugify, dict):
            slugify = {}
        strategy = as_text(slugify.get("paths")) or "on"
        self.strategy = strategy if strategy in {"on", "safe", "off"} else "on"
        self.keep_dates = flag(slugify.get("paths_keep_dates")) is True
        content = resolved(root / "content") if root is not None else None
        prefix = under(self.posts, content) if content is not None else None
        if prefix is None:
            # No site found: the posts folder is the content folder if so named, else a section
            prefix = "" if self.posts.name == "content" else self.posts.name
        self.prefix = "" if prefix == "." else prefix

    def site_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _name(self, rel: str) -> tuple[list[str], str]:
        dirs, stem, _ = file_parts(self.site_rel(rel))
        if stem == "index" and dirs:
            return dirs[:-1], dirs[-1]
        return dirs, stem

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        _, name = self._name(rel)
        match = RFC3339_DATE.match(name)
        slug_value = meta.get("slug")
        if slug_value is not None:
            slug = slugify_paths(text_field(slug_value, "slug"), self.strategy)
        elif match and not self.keep_dates:
            slug = slugify_paths(match["slug"], self.strategy)
        else:
            slug = slugify_paths(name, self.strategy)
        value = meta.get("date")
        if value is not None and value != "":
            return site_time(value, self.timezone), slug
        if match:
            return site_time(match["datetime"], self.timezone), slug
        path = meta.get("path")
        if isinstance(path, str):  # a date in the path, as blog.rust-lang.org writes them
            found = re.search(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)", path)
            if found:
                try:
                    return site_time(date(*map(int, found.groups())), self.timezone), slug
                except ValueError:
                    pass
        raise Skip("no date: add a 'date' field or name the file YYYY-MM-DD-slug.md")

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        path = meta.get("path")
        if isinstance(path, str) and path.strip():
            link = path.strip()
            link = link if link.startswith("/") else "/" + link
        else:
            dirs, _ = self._name(rel)
            link = "/" + "/".join([*dirs, slug])
        if not link.endswith("/"):
            link += "/"
        return join_url(self.base_url, link)


class ZolaProfile(Profile):
    name = "zola"
    config_names = ("config.toml", "zola.toml")

    def config_file(self, root: Path) -> Path | None:
        for name in self.config_names:
            path = root / name
            if path.is_file():
                try:
                    if is_zola_config(read_config_file(path)):
                        return path
                except ConfigError:  # a broken file is this site's: reported when read
                    return path
        return None

    def find_root(self, config: Config) -> Path | None:
        if config.site.root is not None:
            return config.site.root
        start = resolved(config.paths.posts)
        for folder in (start, *start.parents):
            if self.config_file(folder) is not None:
                return folder
        return None

    def rules(self, config: Config) -> ZolaRules:
        root = self.find_root(config)
        return ZolaRules(config, root, self.settings(root))

    def detect(self, root: Path) -> SiteInfo | None:
        found = self.config_file(root)
        if found is None:
            return None
        settings = read_config_file(found)
        content = root / "content"
        posts, guessed = _dated_section(content)
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=found,
            base_url=as_text(settings.get("base_url")),
            title=as_text(settings.get("title")),
            language=as_text(settings.get("default_language")),
            content_dir=content,
            posts_dir=posts,
            permalink="<section path>/<slug>/ (Zola's rule; a 'path' field wins)",
            guessed=guessed,
        )


def _dated_section(content: Path) -> tuple[Path | None, tuple[str, ...]]:
    """The section with dated posts: a known name, else ``content/`` itself."""
    for name in ("blog", "posts", "post", "articles", "news"):
        if (content / name).is_dir():
            return content / name, ()
    if content.is_dir():
        return content, ("posts folder: the whole content folder (no blog/ or posts/ section)",)
    return None, ("posts folder: no content folder found",)
