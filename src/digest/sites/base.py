"""What every site-generator profile shares: the interface, the site's files, and helpers.

A profile answers three questions the way its generator does: which files
under the posts folder are posts, whether a post is published at all, and the
URL it is published at (with the date that URL is built from). It reads the
generator's own configuration (``hugo.toml``, ``_config.yml``, …) once per
run; :func:`digest.sites.rules_for` caches the result per configuration, so
forked workers share it.

Generator configuration files are input we did not write: they are read with
size caps, YAML without its Python tags, and a broken one is a
:class:`~digest.errors.ConfigError` naming the file, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import yaml

from ..dates import (
    date_from_name,
    date_from_path,
    kind_of,
    parse_date_string,
    shown,
    to_site_time,
)
from ..errors import ConfigError
from ..fields import text_field
from ..front_matter import MAX_YAML_NODES, Skip, check_expansion

if TYPE_CHECKING:
    from ..config import Config

# A generator's configuration is a few kilobytes; refuse to parse anything absurd.
MAX_CONFIG_BYTES = 2_000_000
# How far up from the posts folder a generator's config file is looked for.
MAX_PARENTS = 8


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What :meth:`Profile.detect` found in a site's root, for ``digest init``.

    ``guessed`` lists what was not read from the generator's files but inferred.
    """

    generator: str
    root: Path
    config_file: Path | None
    base_url: str = ""
    title: str = ""
    language: str = ""
    timezone: str = ""
    content_dir: Path | None = None
    posts_dir: Path | None = None
    permalink: str = ""  # the generator's rule for posts, in its own words, for the report
    guessed: tuple[str, ...] = ()


def read_config_file(path: Path) -> dict[str, Any]:
    """A TOML, YAML or JSON config file as a dict; :class:`ConfigError` naming it otherwise."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError([f"cannot read: {exc.strerror or exc}"], where=str(path)) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(["larger than 2 MB: not a site configuration"], where=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(["not UTF-8 text"], where=str(path)) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            loaded: Any = tomllib.loads(text)
        elif suffix == ".json":
            loaded = json.loads(text)
        else:
            loaded = yaml.load(text, Loader=_ConfigLoader)  # a SafeLoader subclass
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ConfigError([f"not valid JSON: {exc}"], where=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError([f"not valid YAML{line}: {problem}"], where=str(path)) from None
    except Skip as skip:  # an alias bomb or an alias cycle
        line = f" (line {skip.line})" if skip.line else ""
        raise ConfigError([f"{skip.message}{line}"], where=str(path)) from None
    except RecursionError:
        loaded = None
        deep = True
    else:
        deep = _too_deep(loaded)
    if deep:
        raise ConfigError(
            [f"values nested more than {MAX_CONFIG_DEPTH} levels deep: not a site configuration"],
            where=str(path),
        )
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(["expected a mapping of settings at the top"], where=str(path))
    return loaded


# A site configuration nests a few levels (languages.fr.menus.main…); walking deeper
# structures recursively (lower_keys) could exhaust the stack.
MAX_CONFIG_DEPTH = 64


def _too_deep(value: Any) -> bool:
    """True when ``value`` nests lists and mappings more than :data:`MAX_CONFIG_DEPTH` deep
    (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_CONFIG_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class _ConfigLoader(yaml.SafeLoader):
    """Safe YAML that reads MkDocs' ``!!python/name:`` and ``!ENV`` tags as plain values.

    mkdocs.yml routinely names Python callables (``!!python/name:material…``);
    we never import them, only need the settings around them. A document whose
    aliases expand past :data:`~digest.front_matter.MAX_YAML_NODES` values (a
    "billion laughs" file is a few hundred bytes) is refused before it is built:
    walking it (``lower_keys``) would never end.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        check_expansion(node, MAX_YAML_NODES)
        return super().construct_document(node)


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return None


_ConfigLoader.add_multi_constructor("!", _any_tag)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def find_up(start: Path, names: tuple[str, ...]) -> Path | None:
    """The nearest folder at or above ``start`` holding one of ``names`` (bounded)."""
    current = start
    for _ in range(MAX_PARENTS):
        if any((current / name).is_file() for name in names):
            return current
        if current.parent == current:
            break
        current = current.parent
    return None


def first_file(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (root / name).is_file():
            return root / name
    return None


def lower_keys(value: Any) -> Any:
    """Keys lowercased at every level: Hugo's configuration is case-insensitive."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def under(path: Path, folder: Path) -> str | None:
    """``path`` relative to ``folder`` with ``/``, or None when it is not inside it."""
    try:
        return PurePosixPath(*path.relative_to(folder).parts).as_posix()
    except ValueError:
        return None


def resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


# Percent-encode what a URL path may not hold, as browsers and Go's url.URL do; keep % escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def escape_path(path: str) -> str:
    return quote(path, safe=_PATH_SAFE)


def join_url(base_url: str, link: str) -> str:
    """``link`` (a site path such as ``/posts/a/``) below ``base_url``, keeping its sub-path.

    Generators prefix every page path with the base URL's path
    (``https://example.org/blog/`` + ``/posts/a/``) and publish every page below
    it: a front-matter ``url``/``permalink`` is a path on the site (Hugo's
    ``CreateTargetPaths`` joins it below the site, Jekyll's ``sanitize_url``
    prefixes ``/``). So a value with a scheme or a ``//host`` start is refused
    (:class:`Skip`) rather than linked to, and dot segments (``..``, or ``%2e%2e``,
    which browsers read as ``..``) are resolved as Hugo's ``path.Join("/", url)``
    does: the link never climbs above the base URL.
    """
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//|^\\\\", link.strip()):
        raise Skip(
            f"URL {shown(link)} in the front matter is not a path on the site (the generator "
            "publishes every page below the base URL): write a path such as /my-post/"
        )
    if not base_url:
        raise Skip("no URL: set [site] url in digest.toml (or --base-url), or the site's base URL")
    path = without_dot_segments(link).lstrip("/")
    if not path.strip("/"):
        # e.g. Hugo's "/:slug/" for a title of punctuation only: the post would be the home page
        raise Skip(
            "the generator's rules give this post the site's home page as its address "
            "(its slug or title has no letters or digits?): set slug in its front matter"
        )
    return base_url + escape_path(path)


_DOT_SEGMENT = re.compile(r"(?:^|/)(?:\.|%2e){1,2}(?:/|$)", re.IGNORECASE)


def without_dot_segments(link: str) -> str:
    """``link`` with ``.`` and ``..`` segments resolved (``path.Join("/", link)``), its
    trailing slash kept; one that climbs above the root stops at the root."""
    if not _DOT_SEGMENT.search(link):
        return link
    kept: list[str] = []
    for segment in link.split("/"):
        plain = segment.lower().replace("%2e", ".")
        if plain == "..":
            if kept:
                kept.pop()
        elif plain not in {".", ""}:
            kept.append(segment)
    folder = link.endswith("/") or link.lower().endswith(("/.", "/..", "%2e"))
    return "/" + "/".join(kept) + ("/" if folder and kept else "")


def ascii_fold(text: str) -> str:
    """Latin letters without their accents, and the few that do not decompose (ß → ss).

    Stands in for the transliteration tables (Rust's ``deunicode``, JavaScript's
    ``transliterate``) that generators use for ASCII slugs; other scripts are
    dropped, which those tables would spell in Latin letters.
    """
    for source, target in _NO_DECOMPOSITION.items():
        if source in text:
            text = text.replace(source, target)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


_NO_DECOMPOSITION = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "ø": "o",
    "Ø": "O",
    "œ": "oe",
    "Œ": "OE",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "ð": "d",
    "Ð": "D",
}


def ascii_slug(text: str) -> str:
    """Rust's ``slug::slugify`` (Zola's ``on``): ASCII, lowercase, other runs → ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def file_parts(site_rel: str) -> tuple[list[str], str, str]:
    """(folders, file stem, extension) of a ``/``-separated path."""
    *dirs, name = site_rel.split("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    return dirs, stem, ext


def meta_get(meta: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` present (case-insensitively) with a non-empty value."""
    lowered = {str(k).lower(): v for k, v in meta.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if value is not None and value != "":
            return value
    return None


def wall_time(value: Any) -> datetime:
    """A date as written: its own offset kept, a naive or plain date left naive.

    Hugo formats ``:year/:month/:day`` from a date in its own offset, and MkDocs
    Material's ``{date}`` from the date as written; the site's zone does not move them.
    """
    if isinstance(value, str):
        value = parse_date_string(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise ValueError(f"date must be a date or a string, found {kind_of(value)}")


def site_time(value: Any, tz: tzinfo, key: str = "date") -> datetime:
    try:
        return to_site_time(value, tz)
    except ValueError as exc:
        raise Skip(f"bad {key}: {exc}") from None


class Rules:
    """One site's rules: built once per run by a profile, then asked about each post.

    The base class is the behaviour digest had before profiles (``none``): every
    Markdown file is a post, the date comes from ``date`` or the file name, and
    the URL from a ``url``/``permalink``/``path`` field or ``[site] permalink``.
    """

    def __init__(
        self,
        *,
        generator: str,
        base_url: str,
        posts: Path,
        timezone: tzinfo,
        permalink: str = "",
        date_keys: tuple[str, ...] = ("date",),
        time_sensitive: bool = False,
    ):
        self.generator = generator
        self.base_url = base_url  # ends in "/" (or is empty)
        self.posts = posts  # the posts folder, resolved
        self.timezone = timezone
        self.permalink = permalink  # digest.toml's [site] permalink ("" when not set)
        self.date_keys = date_keys
        # Publication depends on today (future or expired posts): the cache keys on the hour.
        self.time_sensitive = time_sensitive

    def post_files(self, rels: list[str]) -> list[str]:
        """The files among ``rels`` (all Markdown files below the posts folder) that are posts."""
        return rels

    def unpublished(self, meta: dict[str, Any], rel: str) -> str | None:
        """Why the generator would not publish this post (None: it would)."""
        return None

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        return default_date_and_slug(meta, rel, self.timezone, self.date_keys)

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        from ..permalinks import legacy_url

        return legacy_url(meta, self.base_url, self.permalink, when, slug, cats)


def default_date_and_slug(
    meta: dict[str, Any], rel: str, tz: tzinfo, keys: tuple[str, ...] = ("date",)
) -> tuple[datetime, str]:
    """The date from the first of ``keys``, else the file name or a path field; the slug
    from a ``slug`` field or the file name (the folder's name for ``index.md``)."""
    from ..permalinks import slugify

    parent, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0]
    if stem == "index" and parent:
        stem = parent.rsplit("/", 1)[-1]
    named = date_from_name(stem)
    slug = named[1] if named and named[1] else stem
    if meta.get("slug"):
        slug = slugify(text_field(meta["slug"], "slug")) or slug
    for key in keys:
        value = meta.get(key)
        if value is not None and value != "":
            return site_time(value, tz, key), slug
    if named:
        return site_time(named[0], tz), slug
    for key in ("path", "permalink", "url"):
        if isinstance(meta.get(key), str):
            found = date_from_path(meta[key])
            if found:
                return site_time(found, tz), slug
    # A compact YYYYMMDD prefix (20260319_notes.md) as some MkDocs blogs name files.
    compact = re.match(r"^(\d{4})(\d{2})(\d{2})[-_]", stem)
    if compact:
        try:
            return site_time(date(*map(int, compact.groups())), tz), slug
        except ValueError:
            pass
    raise Skip("no date: add a 'date' field or name the file YYYY-MM-DD-slug.md")


class Profile:
    """One generator: how to recognise its site, and how to build its :class:`Rules`."""

    name: ClassVar[str] = ""
    config_names: ClassVar[tuple[str, ...]] = ()  # files in the root that mark such a site

    def find_root(self, config: Config) -> Path | None:
        """The site root: ``[site] root``, else the nearest folder above the posts with a
        config file of this generator."""
        if config.site.root is not None:
            return config.site.root
        if not self.config_names:
            return None
        return find_up(resolved(config.paths.posts), self.config_names)

    def config_file(self, root: Path) -> Path | None:
        return first_file(root, self.config_names)

    def config_files(self, root: Path | None) -> list[Path]:
        """Every file whose content shapes the rules (for the cache's key)."""
        if root is None:
            return []
        found = self.config_file(root)
        return [found] if found else []

    def settings(self, root: Path | None) -> dict[str, Any]:
        """The generator's config file in ``root`` as data ({} without a root or a file)."""
        found = self.config_file(root) if root is not None else None
        return read_config_file(found) if found is not None else {}

    def detect(self, root: Path) -> SiteInfo | None:
        """What ``digest init`` reports for a site in ``root``; None if it is not this kind."""
        return None

    def rules(self, config: Config) -> Rules:
        raise NotImplementedError


def config_tz(config: Config) -> tzinfo:
    return config.site.tz


def relative_posts(root: Path | None, content: Path | None, posts: Path) -> str | None:
    """The posts folder below the content folder (``posts`` for content/posts), if it is."""
    if content is None:
        return None
    return under(posts, resolved(content))


def base_from(config: Config, generator_url: str) -> str:
    """digest.toml's [site] url wins; else the generator's base URL (ending in ``/``)."""
    url = config.site.url or generator_url.strip()
    if url and not re.match(r"^https?://[^/]", url):
        return config.site.url
    if url and not url.endswith("/"):
        url += "/"
    return url


def env_root(path: Path) -> Path:
    return Path(os.path.abspath(path))
