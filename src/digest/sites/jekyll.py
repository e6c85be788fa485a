"""Jekyll: posts in ``_posts``, their dates, categories and permalinks.

Ported from Jekyll's documentation (jekyllrb.com/docs/posts/, /permalinks/,
/configuration/) and source:

- ``lib/jekyll/document.rb``: ``DATE_FILENAME_MATCHER``
  (``YYYY-MM-DD-title.ext``; other files in ``_posts`` are not posts), the
  date from the file name unless front matter has one, ``slug`` defaulting to
  the name's title part, ``categories_from_path`` (the folders above
  ``_posts``: ``blog/_posts/…`` is in category ``blog``) merged with the
  ``category``/``categories`` fields; ``_drafts`` is read only with
  ``--drafts``; ``published: false`` is never built.
- ``lib/jekyll/drops/url_drop.rb``: the placeholders (``:title`` is the slug
  in ``pretty`` mode with its case kept, ``:slug`` the same lowercased,
  ``:categories`` lowercased and joined with ``/``, ``:i_month``,
  ``:short_year``, ``:y_day``, ``:week``, ``:short_day`` …).
- ``lib/jekyll/utils.rb`` ``slugify`` (modes ``default`` and ``pretty``) and
  the permalink styles ``date`` (the default), ``pretty``, ``ordinal``,
  ``weekdate`` and ``none``; a style name is not recognised in front matter.
- ``lib/jekyll/url.rb``: placeholders escaped (``escape_path``), the result
  prefixed with ``/``, ``..`` and ``./`` removed and repeated slashes squeezed;
  a post's own ``permalink`` goes through the same placeholders.
- ``absolute_url``: ``url`` + ``baseurl`` + the page's URL.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
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
    under,
    wall_time,
)

if TYPE_CHECKING:
    from ..config import Config

CONFIG_NAMES = ("_config.yml", "_config.yaml", "_config.toml")

STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}

# document.rb: DATE_FILENAME_MATCHER
DATE_FILENAME = re.compile(r"^(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")

# utils.rb: SLUGIFY_DEFAULT_REGEXP keeps \p{M}\p{L}\p{Nd}; SLUGIFY_PRETTY_REGEXP also these.
_PRETTY_EXTRA = frozenset("._~!$&'()+,;=@")


def _kept(char: str, pretty: bool) -> bool:
    category = unicodedata.category(char)
    if category[0] in {"L", "M"} or category == "Nd":
        return True
    return pretty and char in _PRETTY_EXTRA


def slugify(text: str, *, mode: str = "default", cased: bool = False) -> str:
    """``Jekyll::Utils.slugify`` (modes ``raw``, ``default``, ``pretty``): each run of other
    characters becomes one ``-``, one leading and one trailing ``-`` are removed, and the
    result is lowercased unless ``cased``."""
    if mode == "raw":
        slug = re.sub(r"\s+", "-", text)
    else:
        pretty = mode == "pretty"
        out: list[str] = []
        pending = False
        for char in text:
            if _kept(char, pretty):
                if pending:
                    out.append("-")
                    pending = False
                out.append(char)
            else:
                pending = True
        if pending:
            out.append("-")
        slug = "".join(out)
    slug = re.sub(r"^-|-$", "", slug)
    return slug if cased else slug.lower()


def escape_path(value: str) -> str:
    """``URL.escape_path``: left alone when plain, else percent-encoded outside the path set."""
    if not value or re.fullmatch(r"[a-zA-Z0-9./-]+", value):
        return value
    return quote(value, safe="/:@!$&'()*+,;=-._~")


def sanitize_url(path: str) -> str:
    """``URL#sanitize_url``: a leading ``/``, no ``..`` or ``./``, no repeated ``/``."""
    path = ("/" + path).replace("..", "/").replace("./", "")
    return re.sub(r"/{2,}", "/", path)


class JekyllRules(Rules):
    def __init__(self, config: Config, root: Path | None, settings: dict[str, Any]):
        base = as_text(settings.get("url")).rstrip("/")
        if base:
            base += "/" + as_text(settings.get("baseurl")).strip("/")
        super().__init__(
            generator="jekyll",
            base_url=base_from(config, base),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
            time_sensitive=flag(settings.get("future")) is not True,
        )
        source = root / as_text(settings.get("source")) if root and settings.get("source") else root
        prefix = under(self.posts, resolved(source)) if source is not None else None
        # Outside the site (or with no site found), the posts folder is taken as a _posts.
        prefix = "_posts" if prefix is None else "" if prefix == "." else prefix
        self.prefix = prefix
        collections = settings.get("collections")
        posts_collection = collections.get("posts") if isinstance(collections, dict) else None
        pattern = (
            posts_collection.get("permalink") if isinstance(posts_collection, dict) else None
        ) or settings.get("permalink")
        pattern = as_text(pattern) or "date"
        self.pattern = STYLES.get(pattern, pattern)
        self.future = flag(settings.get("future")) is True
        # collections_dir holds _posts (and _drafts) without being a category
        self.collections_dir = as_text(settings.get("collections_dir")).strip("/")
        # Jekyll sets TZ from _config.yml's timezone and shows every date in it (localtime)
        self.url_zone: tzinfo = config.site.tz
        zone = as_text(settings.get("timezone"))
        if zone:
            try:
                self.url_zone = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(
                    [f"timezone: {zone!r} is not an IANA time zone name"],
                    where=str(root / "_config.yml") if root else "_config.yml",
                ) from None

    def site_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def post_files(self, rels: list[str]) -> list[str]:
        """Files in a ``_posts`` folder named ``YYYY-MM-DD-title.ext`` (PostReader)."""
        out = []
        for rel in rels:
            site_rel = self.site_rel(rel)
            if "_posts" in site_rel.split("/")[:-1] and DATE_FILENAME.match(site_rel):
                out.append(rel)
        return out

    def unpublished(self, meta: dict[str, Any], rel: str) -> str | None:
        if flag(meta.get("published")) is False:
            return "published: false"
        if not self.future:
            when, _ = self.date_and_slug(meta, rel)
            if when > datetime.now(self.timezone):
                return "dated in the future (Jekyll's future: false)"
        return None

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        match = DATE_FILENAME.match(self.site_rel(rel))
        if match is None:
            return default_date_and_slug(meta, rel, self.timezone)
        when, _ = default_date_and_slug(meta, rel, self.timezone)
        slug = meta.get("slug")
        return when, text_field(slug, "slug") if slug is not None else match.group(2)

    def categories(self, meta: dict[str, Any], rel: str) -> list[str]:
        """Folders above ``_posts``, then ``categories`` and ``category`` (document.rb)."""
        site_rel = self.site_rel(rel)
        if self.collections_dir and site_rel.startswith(self.collections_dir + "/"):
            site_rel = site_rel[len(self.collections_dir) + 1 :]
        parts = site_rel.split("/")
        found = parts[: parts.index("_posts")] if "_posts" in parts else []
        for key in ("categories", "category"):
            value = meta.get(key)
            if isinstance(value, str):
                found += value.split()
            elif isinstance(value, list):
                found += [str(v) for v in value if v is not None]
        return list(dict.fromkeys(found))

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        own = meta.get("permalink")
        pattern = own.strip() if isinstance(own, str) and own.strip() else self.pattern
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", pattern):
            return join_url(self.base_url, pattern)
        stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        categories = self.categories(meta, rel)
        written = meta.get("date")
        if written is not None and written != "":
            stamp = wall_time(written)
            when = stamp.astimezone(self.url_zone) if stamp.tzinfo is not None else stamp
        values = {
            "year": when.strftime("%Y"),
            "month": when.strftime("%m"),
            "day": when.strftime("%d"),
            "hour": when.strftime("%H"),
            "minute": when.strftime("%M"),
            "second": when.strftime("%S"),
            "i_day": str(when.day),
            "i_month": str(when.month),
            "short_month": when.strftime("%b").upper(),
            "long_month": when.strftime("%B"),
            "short_year": when.strftime("%y"),
            "w_year": str(when.isocalendar()[0]),
            "week": f"{when.isocalendar()[1]:02d}",
            "w_day": str(when.isocalendar()[2]),
            "short_day": when.strftime("%a").upper(),
            "long_day": when.strftime("%A"),
            "y_day": when.strftime("%j"),
            "title": slugify(slug, mode="pretty", cased=True),
            "slug": slugify(slug),
            "name": slugify(stem),
            "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
            "output_ext": ".html",
            "collection": "posts",
            "path": self.site_rel(rel).rsplit(".", 1)[0],
        }

        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            pool = [name, name.rstrip("_")] if name.endswith("_") else [name]
            for key in pool:
                if key in values:
                    return match.group(0).replace(":" + key, escape_path(values[key]), 1)
            raise Skip(f"Jekyll permalink {pattern!r}: unknown placeholder ':{name}'")

        link = re.sub(r":([a-z_]+)", token, pattern)
        return join_url(self.base_url, sanitize_url(re.sub(r"/{2,}", "/", link)))


class JekyllProfile(Profile):
    name = "jekyll"
    config_names = CONFIG_NAMES

    def rules(self, config: Config) -> JekyllRules:
        root = self.find_root(config)
        return JekyllRules(config, root, self.settings(root))

    def detect(self, root: Path) -> SiteInfo | None:
        found = self.config_file(root)
        if found is None:
            return None
        settings = read_config_file(found)
        base = as_text(settings.get("url")).rstrip("/")
        if base:
            base += "/" + as_text(settings.get("baseurl")).strip("/")
            base = base.rstrip("/") + "/"
        source = root / as_text(settings.get("source")) if settings.get("source") else root
        posts = source / "_posts"
        guessed = []
        if not posts.is_dir():
            nested = sorted(p for p in source.glob("*/_posts") if p.is_dir())
            posts = nested[0] if nested else posts
            if not nested:
                guessed.append("posts folder: _posts (not found yet)")
        pattern = as_text(settings.get("permalink")) or "date"
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=found,
            base_url=base,
            title=as_text(settings.get("title")),
            language=as_text(settings.get("lang")) or as_text(settings.get("locale"))[:2],
            timezone=as_text(settings.get("timezone")),
            content_dir=source,
            posts_dir=posts,
            permalink=STYLES.get(pattern, pattern),
            guessed=tuple(guessed),
        )
