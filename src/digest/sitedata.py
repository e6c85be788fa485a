"""What the site itself says about names: its author data files and its taxonomy term titles.

Front matter often names an author by an id (``author: jdoe``,
``authors: [stuart-drown]``) that the site's templates look up in a data file,
and a category by a slug (``categories: [release-notes]``) that its term page
titles "Release notes". A digest should show what the site shows:

- **Hugo** (https://gohugo.io/content-management/data-sources/):
  ``data/authors/<id>.{yaml,toml,json}`` (one file per author) or
  ``data/authors.{yaml,toml,json}`` (a map of ids);
  a term's display name is the ``title`` of ``content/categories/<slug>/_index.md``
  (https://gohugo.io/content-management/taxonomies/#add-custom-metadata-to-a-taxonomy-or-term).
- **Jekyll** (https://jekyllrb.com/docs/datafiles/): ``_data/authors.{yml,yaml,json}``, a map of
  ids (or a list of records with an ``id``/``key``/``slug``), as jekyll-seo-tag and minima read it;
  ``_data/categories.*`` the same way for category display names.
- **MkDocs Material's blog** (https://squidfunk.github.io/mkdocs-material/plugins/blog/):
  ``.authors.yml`` beside the posts' folder, ``authors: {id: {name: …}}``.

The site root is the nearest ancestor of the posts folder (itself included,
at most :data:`MAX_LEVELS` up) that holds one of these. Everything is bounded
(file sizes, file counts) and read with the same safe loaders as front matter;
a broken data file is a warning naming it, never a crash.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .front_matter import Skip
from .models import Problem, category_key

MAX_LEVELS = 4  # ancestors of the posts folder looked at for the site root
MAX_FILE_BYTES = 1_000_000
MAX_FILES = 2_000  # per folder of author files or term pages
_NAME_KEYS = ("name", "display_name", "displayName", "title", "fullname", "full_name")
_SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True, kw_only=True)
class SiteData:
    """Author names by id and category titles by :func:`category_key` of their slug."""

    root: str = ""
    authors: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    def author(self, name: str) -> str:
        return self.authors.get(name, name)

    def label(self, category: str) -> str:
        """The display name the site gives ``category``; a bare slug title-cased; else as is."""
        named = self.categories.get(category_key(category))
        if named:
            return named
        if _SLUG.fullmatch(category):
            return " ".join(word.capitalize() for word in re.split(r"[-_]", category))
        return category


def _markers(folder: Path) -> Iterator[Path]:
    yield folder / "data" / "authors"
    for ext in ("yaml", "yml", "toml", "json"):
        yield folder / "data" / f"authors.{ext}"
        yield folder / "_data" / f"authors.{ext}"
        yield folder / "_data" / f"categories.{ext}"
    yield folder / ".authors.yml"
    yield folder / "content" / "categories"
    yield folder / "content" / "tags"


def find_site_root(posts: Path) -> Path | None:
    """The nearest folder, from ``posts`` up :data:`MAX_LEVELS` levels, holding site data."""
    folder = posts
    for _ in range(MAX_LEVELS + 1):
        if any(marker.exists() for marker in _markers(folder)):
            return folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def _read(path: Path) -> Any:
    """A YAML, TOML or JSON data file, parsed safely (size-capped, no YAML tags or bombs)."""
    from .front_matter import load_yaml

    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    return load_yaml(text)


def _name(value: Any) -> str | None:
    """A display name from a data record: a string, or a mapping's name/title."""
    from .fields import text_field

    if isinstance(value, str):
        return text_field(value, "name") or None
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if isinstance(value.get(key), str) and value[key].strip():
                return text_field(value[key], "name")
    return None


def _table(data: Any) -> dict[str, str]:
    """``{id: name or record}`` or ``[{id: …, name: …}]`` → ``{id: name}``."""
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = _name(value)
            if name and isinstance(key, str | int):
                out[str(key)] = name
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                key = item.get("id", item.get("key", item.get("slug")))
                name = _name(item)
                if name and isinstance(key, str | int):
                    out[str(key)] = name
    return out


def _files(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for count, path in enumerate(sorted(folder.glob(pattern))):
        if count >= MAX_FILES:
            break
        found.append(path)
    return found


def _load_authors(root: Path, problems: list[Problem]) -> dict[str, str]:
    authors: dict[str, str] = {}
    for path in _files(root / "data" / "authors", "*"):
        if path.suffix in {".yaml", ".yml", ".toml", ".json"} and path.is_file():
            name = _name(_guarded(path, problems))
            if name:
                authors[path.stem] = name
    for folder in ("data", "_data"):
        for ext in ("yaml", "yml", "toml", "json"):
            path = root / folder / f"authors.{ext}"
            if path.is_file():
                authors.update(_table(_guarded(path, problems)))
    mkdocs = root / ".authors.yml"
    if mkdocs.is_file():
        data = _guarded(mkdocs, problems)
        authors.update(_table(data.get("authors") if isinstance(data, dict) else None))
    return authors


def _load_categories(root: Path, problems: list[Problem]) -> dict[str, str]:
    from .front_matter import split_frontmatter

    labels: dict[str, str] = {}
    for ext in ("yaml", "yml", "json"):
        path = root / "_data" / f"categories.{ext}"
        if path.is_file():
            labels.update({category_key(k): v for k, v in _table(_guarded(path, problems)).items()})
    # tags first, so that a category's own page wins (tags show as categories with
    # [selection] tags_as_categories)
    terms = _files(root / "content" / "tags", "*/_index.md")
    for term in [*terms, *_files(root / "content" / "categories", "*/_index.md")]:
        try:
            if term.stat().st_size > MAX_FILE_BYTES:
                continue
            meta, _ = split_frontmatter(term.read_text(encoding="utf-8-sig"))
        except _UNREADABLE as exc:  # a term page that is not readable front matter: say so
            problems.append(Problem(where=str(term), message=f"term page ignored: {exc}"))
            continue
        title = _name(meta)
        if title:
            labels[category_key(term.parent.name)] = title
    return labels


# What reading a hostile data file can raise: unreadable, not UTF-8, bad or refused YAML
# (front_matter's Skip: tags, alias bombs, deep nesting), bad TOML or JSON (ValueError).
_UNREADABLE = (OSError, ValueError, RecursionError, yaml.YAMLError, Skip)


def _guarded(path: Path, problems: list[Problem]) -> Any:
    try:
        return _read(path)
    except _UNREADABLE as exc:  # bad YAML/TOML/JSON, unreadable: a warning, not a crash
        problems.append(Problem(where=str(path), message=f"data file ignored: {exc}"))
        return None


def load_site_data(posts: Path, root: Path | None = None) -> SiteData:
    """The author names and category labels the site around ``posts`` defines (the site
    at ``root`` when ``[site] root`` names it)."""
    root = root if root is not None else find_site_root(posts)
    if root is None:
        return SiteData()
    problems: list[Problem] = []
    return SiteData(
        root=str(root),
        authors=_load_authors(root, problems),
        categories=_load_categories(root, problems),
        problems=tuple(problems),
    )
