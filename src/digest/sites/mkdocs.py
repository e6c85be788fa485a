"""MkDocs Material's blog plugin: posts below ``<docs_dir>/<blog_dir>/posts``.

Ported from the plugin's documentation (squidfunk.github.io/mkdocs-material/
plugins/blog/) and source (``material/plugins/blog/config.py``,
``material/plugins/blog/plugin.py`` ``_format_path_for_post``):

- ``blog_dir`` (default ``blog``), ``post_dir`` (``{blog}/posts``),
  ``post_url_format`` (default ``{date}/{slug}``) with ``{date}`` formatted by
  ``post_url_date_format`` (default ``yyyy/MM/dd``, a Babel pattern),
  ``{slug}`` the ``slug`` field as written (``post.config.slug or
  self._slugify_post(post)``) or the title through ``post_slugify``
  (``pymdownx.slugs.slugify(case="lower")``), ``{categories}`` the first
  ``post_url_max_categories`` (1) categories through ``categories_slugify``,
  ``{file}`` the file name; the result is ``posixpath.normpath``-ed and joined
  to ``blog_dir`` (``_format_path_for_post``);
- the post's URL is that path as a folder (``.html`` without
  ``use_directory_urls``) below ``site_url``;
- ``date`` is a date or a mapping with ``created`` (and ``updated``);
  ``draft: true`` posts are left out of builds unless ``draft: true`` is set
  for the plugin.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fields import flag, text_field
from ..front_matter import Skip
from .base import (
    Profile,
    Rules,
    SiteInfo,
    as_text,
    base_from,
    default_date_and_slug,
    join_url,
    read_config_file,
    resolved,
    site_time,
    under,
    wall_time,
)

if TYPE_CHECKING:
    from ..config import Config

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
PLUGIN_NAMES = ("blog", "material/blog")


def post_slugify(value: str, separator: str = "-") -> str:
    """``pymdownx.slugs.slugify(case="lower")``, the plugin's default ``post_slugify``:
    NFC, HTML tags removed, trimmed, lowercased, characters other than word characters,
    ``-`` and spaces removed, then each space → ``separator`` (runs are not collapsed)."""
    slug = re.sub(r"</?[^>]*>", "", unicodedata.normalize("NFC", value)).strip().lower()
    return re.sub(r"[^\w\- ]", "", slug).replace(" ", separator)


def blog_options(settings: dict[str, Any]) -> dict[str, Any] | None:
    """The blog plugin's options from ``plugins:`` (a list of names or one-key mappings)."""
    plugins = settings.get("plugins")
    items: list[Any] = list(plugins.items()) if isinstance(plugins, dict) else []
    if isinstance(plugins, list):
        for entry in plugins:
            if isinstance(entry, str):
                items.append((entry, {}))
            elif isinstance(entry, dict):
                items += list(entry.items())
    for name, options in items:
        if name in PLUGIN_NAMES:
            return options if isinstance(options, dict) else {}
    return None


_BABEL_TO_STRFTIME = (("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("M", "%-m"))


def format_date(when: datetime, pattern: str, locale: str) -> str:
    """``babel.dates.format_date(…, format=pattern)`` as the plugin calls it."""
    from babel.dates import format_date as babel_format

    try:
        return babel_format(when.date(), format=pattern, locale=locale or "en")
    except (ValueError, LookupError):
        return babel_format(when.date(), format=pattern, locale="en")


class MkDocsRules(Rules):
    def __init__(self, config: Config, root: Path | None, settings: dict[str, Any]):
        super().__init__(
            generator="mkdocs-material",
            base_url=base_from(config, as_text(settings.get("site_url"))),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
        )
        options = blog_options(settings) or {}
        self.blog_dir = posixpath.normpath(as_text(options.get("blog_dir")) or "blog")
        self.max_categories = options.get("post_url_max_categories", 1)
        if not isinstance(self.max_categories, int) or isinstance(self.max_categories, bool):
            self.max_categories = 1
        self.url_format = as_text(options.get("post_url_format")) or "{date}/{slug}"
        self.date_format = as_text(options.get("post_url_date_format")) or "yyyy/MM/dd"
        self.separator = as_text(options.get("post_slugify_separator")) or "-"
        self.drafts = flag(options.get("draft")) is True
        self.future_is_draft = flag(options.get("draft_if_future_date")) is True
        self.time_sensitive = self.future_is_draft
        self.directory_urls = flag(settings.get("use_directory_urls")) is not False
        theme = settings.get("theme")
        self.language = (as_text(theme.get("language")) if isinstance(theme, dict) else "") or (
            config.site.language
        )
        docs = root / (as_text(settings.get("docs_dir")) or "docs") if root else None
        post_dir = as_text(options.get("post_dir")) or "{blog}/posts"
        post_dir = posixpath.normpath(post_dir.replace("{blog}", self.blog_dir))
        inside = under(self.posts, resolved(docs / post_dir)) if docs is not None else None
        self.check_folder = docs is not None and inside is None
        self.post_root = resolved(docs / post_dir) if docs is not None else self.posts

    def post_files(self, rels: list[str]) -> list[str]:
        """Only files below ``post_dir`` are posts, when the posts folder holds more."""
        if not self.check_folder:
            return rels
        return [r for r in rels if under(self.posts / r, self.post_root) is not None]

    def unpublished(self, meta: dict[str, Any], rel: str) -> str | None:
        if self.drafts:
            return None
        if flag(meta.get("draft")) is True:
            return "draft"
        if self.future_is_draft and self.date_and_slug(meta, rel)[0] > datetime.now(self.timezone):
            return "dated in the future (draft_if_future_date)"
        return None

    def _written_date(self, meta: dict[str, Any]) -> Any:
        value = meta.get("date")
        return value.get("created") if isinstance(value, dict) else value

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        value = meta.get("date")
        if isinstance(value, dict):
            created = value.get("created")
            if created is None:
                raise Skip("bad date: a 'date' mapping needs 'created'")
            when = site_time(created, self.timezone)
        else:
            when, _ = default_date_and_slug(meta, rel, self.timezone)
        slug = meta.get("slug")
        if slug is not None:
            return when, text_field(slug, "slug")
        title = text_field(meta.get("title"), "title") if meta.get("title") is not None else ""
        return when, post_slugify(title, self.separator)

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        # {date} is the date as written (babel formats its own day), not moved to the site's zone
        written = self._written_date(meta)
        stamp = wall_time(written) if written is not None and written != "" else when
        values = {
            "date": format_date(stamp, self.date_format, self.language),
            "slug": slug,
            "categories": "/".join(
                post_slugify(c, self.separator) for c in cats[: self.max_categories]
            ),
            "file": rel.rsplit("/", 1)[-1].rsplit(".", 1)[0],
        }
        try:
            path = self.url_format.format(**values)
        except (KeyError, IndexError, ValueError):
            raise Skip(f"post_url_format {self.url_format!r}: unknown placeholder") from None
        path = posixpath.join(self.blog_dir, posixpath.normpath(path.strip("/")))
        path = posixpath.normpath(path).strip("/")
        path = "" if path == "." else path
        link = "/" + path + ("/" if self.directory_urls else ".html")
        return join_url(self.base_url, link)


class MkDocsProfile(Profile):
    name = "mkdocs-material"
    config_names = CONFIG_NAMES

    def rules(self, config: Config) -> MkDocsRules:
        root = self.find_root(config)
        return MkDocsRules(config, root, self.settings(root))

    def detect(self, root: Path) -> SiteInfo | None:
        found = self.config_file(root)
        if found is None:
            return None
        settings = read_config_file(found)
        options = blog_options(settings)
        docs = root / (as_text(settings.get("docs_dir")) or "docs")
        guessed: list[str] = []
        posts = None
        if options is None:
            guessed.append("no blog plugin in mkdocs.yml: posts folder guessed")
            options = {}
        blog_dir = posixpath.normpath(as_text(options.get("blog_dir")) or "blog")
        post_dir = (as_text(options.get("post_dir")) or "{blog}/posts").replace("{blog}", blog_dir)
        post_dir = posixpath.normpath(post_dir)
        posts = docs / post_dir
        theme = settings.get("theme")
        url_format = as_text(options.get("post_url_format")) or "{date}/{slug}"
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=found,
            base_url=as_text(settings.get("site_url")),
            title=as_text(settings.get("site_name")),
            language=as_text(theme.get("language")) if isinstance(theme, dict) else "",
            content_dir=docs,
            posts_dir=posts,
            permalink=f"{blog_dir}/{url_format}/",
            guessed=tuple(guessed),
        )
