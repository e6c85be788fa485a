"""Hugo: which files are pages, whether each is published, and the URL Hugo gives it.

Ported from Hugo's documentation (gohugo.io: "Page bundles", "URL management",
"Permalinks", "Front matter", "Configure dates") and source:

- ``common/paths/path.go`` ``Sanitize``/``isAllowedPathCharacter``: letters,
  digits, marks and ``._-#+~@/\\`` (and ``%XX``) are kept, other characters
  dropped; a run of spaces becomes one hyphen (none at the start, none doubled
  beside a hyphen already there).
- ``helpers/path.go`` ``MakePath``/``MakePathSanitized``: ``removePathAccents``
  strips accents; the path is lowercased unless ``disablePathToLower``.
- ``resources/page/page_paths.go`` ``CreateTargetPaths``: a page is
  ``/<dir>/<slug or file name>/`` (``.html`` with ``uglyURLs``), and the whole
  link is sanitised as above; a ``url`` field replaces the path and, as the
  "URL management" page says, is not sanitised (Hugo ≥ 0.14, issue #557).
- ``resources/page/permalinks.go``: the ``[permalinks]`` tokens, ``:slug``
  falling back to the title, ``:filename`` taking a bundle's folder name, and a
  section's pattern applying to the pages below it (``/{posts,posts/**}``).
- ``resources/page/pagemeta/page_frontmatter.go``: the ``[frontmatter] date``
  order with ``:filename`` (which also gives the slug), ``:fileModTime`` and
  ``:default``; ``dateAndSlugFromBaseFilename`` reads the first ten characters.
"""

from __future__ import annotations

import calendar
import os
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dates import date_from_name
from ..errors import ConfigError
from ..fields import flag, text_field
from ..front_matter import Skip
from .base import (
    Profile,
    Rules,
    SiteInfo,
    as_text,
    base_from,
    file_parts,
    join_url,
    lower_keys,
    meta_get,
    read_config_file,
    resolved,
    site_time,
    under,
    wall_time,
    without_dot_segments,
)

if TYPE_CHECKING:
    from ..config import Config

CONFIG_NAMES = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)
_CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")

# Hugo's default date orders, with the front matter aliases it accepts
# (gohugo.io/configuration/front-matter/#dates).
DEFAULT_DATES: dict[str, tuple[str, ...]] = {
    "date": ("date", "publishdate", "pubdate", "published", "lastmod", "modified"),
    "publishdate": ("publishdate", "pubdate", "published", "date"),
    "lastmod": (":git", "lastmod", "modified", "date", "publishdate", "pubdate", "published"),
    "expirydate": ("expirydate", "unpublishdate"),
}

_CONTENT_SUFFIXES = {"md", "markdown", "mdown", "mkd", "mkdn", "mdx", "html", "htm", "adoc", "org"}


_ASCII_KEPT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./\\_#+~-@")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9./\\_#+~@-]*")


def _allowed(text: str, i: int, char: str) -> bool:
    """``isAllowedPathCharacter`` (common/paths/path.go)."""
    if char < "\x80" and char != "%":
        return char in _ASCII_KEPT
    if char.isalpha() or unicodedata.category(char) == "Nd" or char in "./\\_#+~-@":
        return True
    if unicodedata.category(char).startswith("M"):
        return True
    return (
        char == "%"
        and i + 2 < len(text)
        and text[i + 1] in "0123456789abcdefABCDEF"
        and text[i + 2] in "0123456789abcdefABCDEF"
    )


def sanitize(text: str) -> str:
    """Hugo's ``paths.Sanitize``: keep allowed characters, a run of spaces → one hyphen."""
    if _PLAIN_PATH.fullmatch(text):
        return text  # nothing to change, as Hugo's own fast path
    out: list[str] = []
    prepend_hyphen = was_hyphen = False
    for i, char in enumerate(text):
        if _allowed(text, i, char):
            was_hyphen = char == "-"
            if prepend_hyphen:
                if not was_hyphen:
                    out.append("-")
                prepend_hyphen = False
            out.append(char)
        elif out and not was_hyphen and char.isspace():
            prepend_hyphen = True
    return "".join(out)


def remove_accents(text: str) -> str:
    """``text.RemoveAccentsString``: decompose, drop the combining marks, recompose."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)


def make_path(text: str, *, to_lower: bool = True, strip_accents: bool = False) -> str:
    """``MakePathSanitized``: what Hugo does to every page path (before URL escaping)."""
    text = sanitize(text)
    if strip_accents:
        text = remove_accents(text)
    return text.lower() if to_lower else text


_GO_LAYOUT = (
    ("January", "%B"),
    ("Monday", "%A"),
    ("2006", "%Y"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("MST", "%Z"),
    ("01", "%m"),
    ("02", "%d"),
    ("06", "%y"),
    ("15", "%H"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("PM", "%p"),
)


def go_date_format(when: datetime, layout: str) -> str | None:
    """A permalink token that is a Go time layout (``:2006``, ``:Jan``); None if it is not."""
    out, rest, changed = [], layout, False
    while rest:
        for token, directive in _GO_LAYOUT:
            if rest.startswith(token):
                out.append(when.strftime(directive))
                rest = rest[len(token) :]
                changed = True
                break
        else:
            if rest[0] in "12" and not changed and len(rest) == 1:
                break
            out.append(rest[0])
            rest = rest[1:]
    return "".join(out) if changed else None


def _cut(spec: str, items: list[str]) -> list[str]:
    """``toSliceFunc``: ``[1]``, ``[1:]``, ``[:2]``, ``[last]`` of the sections, leniently."""
    spec = spec.strip().lower()
    if not spec:
        return items
    if len(spec) < 3 or spec[0] != "[" or spec[-1] != "]":
        return []
    inner = spec[1:-1]

    def index(text: str, low: bool) -> int:
        if text == "":
            return 0 if low else len(items)
        if text == "last":
            return len(items) - 1
        number = max(0, int(text)) if text.lstrip("-").isdigit() else 0
        if number >= len(items):
            return -1 if low else len(items)
        return number

    if not items:
        return []
    if ":" not in inner:
        n = index(inner, True)
        return [] if n < 0 else [items[n]]
    low, high = inner.split(":", 1)
    n1, n2 = index(low, True), index(high, False)
    return [] if n1 < 0 or n2 < 0 else items[n1:n2]


def _merge_config_dir(folder: Path, into: dict[str, Any]) -> list[Path]:
    """``config/_default/``: ``hugo.*``/``config.*`` at the top, any other file under its name."""
    used: list[Path] = []
    if not folder.is_dir():
        return used
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in _CONFIG_SUFFIXES or not path.is_file():
            continue
        data = lower_keys(read_config_file(path))
        if path.stem.lower() in {"hugo", "config"}:
            into.update(data)
        else:
            into[path.stem.lower()] = data
        used.append(path)
    return used


def is_zola_config(data: dict[str, Any]) -> bool:
    """Zola's config.toml has ``base_url``; Hugo's has ``baseURL`` (any case)."""
    return "base_url" in data and not any(k.lower() == "baseurl" for k in data)


def load_hugo_config(root: Path) -> tuple[dict[str, Any], list[Path]]:
    """Hugo's merged configuration (keys lowercased) and the files it came from."""
    data: dict[str, Any] = {}
    used: list[Path] = []
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            raw = read_config_file(path)
            if name.startswith("config.") and is_zola_config(raw):
                continue
            data = lower_keys(raw)
            used.append(path)
            break
    used += _merge_config_dir(root / "config" / "_default", data)
    return data, used


class HugoRules(Rules):
    """Hugo's rules for one site (see the module docstring for their sources)."""

    def __init__(self, config: Config, root: Path | None, settings: dict[str, Any]):
        super().__init__(
            generator="hugo",
            base_url=base_from(config, as_text(settings.get("baseurl"))),
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
            time_sensitive=True,
        )
        self.settings = settings
        content = root / as_text(settings.get("contentdir") or "content") if root else None
        if content is None:
            # No site config: a folder named "content" above the posts, else the posts'
            # parent (the posts folder being a section, as content/posts is).
            content = next(
                (p for p in self.posts.parents if p.name == "content"), self.posts.parent
            )
        content = resolved(content)
        prefix = under(self.posts, content)
        if prefix is None:  # the posts live outside the content folder: call them a section
            prefix = self.posts.name
            content = self.posts.parent
        self.content = content
        self.prefix = "" if prefix == "." else prefix
        self.to_lower = not flag(settings.get("disablepathtolower"))
        self.strip_accents = flag(settings.get("removepathaccents")) is True
        self.patterns: dict[str, str] = self._patterns(settings.get("permalinks"))
        front: dict[str, Any] = settings.get("frontmatter") or {}
        if not isinstance(front, dict):
            front = {}
        orders: dict[str, tuple[str, ...]] = {}
        for field_name, default in DEFAULT_DATES.items():
            wanted = front.get(field_name)
            if isinstance(wanted, str):
                wanted = [wanted]
            if isinstance(wanted, list) and all(isinstance(w, str) for w in wanted):
                expanded: list[str] = []
                for item in wanted:
                    expanded += list(default) if item.lower() == ":default" else [item.lower()]
                orders[field_name] = tuple(expanded)
            else:
                orders[field_name] = default
        self.orders = orders
        languages = settings.get("languages")
        self.languages = frozenset(languages) if isinstance(languages, dict) else frozenset()
        default_lang = as_text(settings.get("defaultcontentlanguage")) or "en"
        self.default_lang = default_lang.lower()
        in_subdir = flag(settings.get("defaultcontentlanguageinsubdir")) is True
        self.lang_prefix = f"/{default_lang}" if in_subdir else ""
        self.ugly: Any = settings.get("uglyurls", False)
        build = {k: flag(settings.get(k)) is True for k in ("buildfuture", "buildexpired")}
        self.build = build
        self._last: tuple[dict[str, Any], str, dict[str, Any]] | None = None

    # --- configuration -----------------------------------------------------------------

    @staticmethod
    def _patterns(value: Any) -> dict[str, str]:
        """Section → pattern for pages: ``[permalinks] posts = …`` and ``[permalinks.page]``."""
        found: dict[str, str] = {}
        if not isinstance(value, dict):
            return found
        for key, pattern in value.items():
            if isinstance(pattern, str):
                found[key.strip(" /")] = pattern
        page = value.get("page")
        if isinstance(page, dict):
            for key, pattern in page.items():
                if isinstance(pattern, str):
                    found[key.strip(" /")] = pattern
        return found

    def _pattern_for(self, page_path: str) -> str | None:
        """The pattern of the most specific section containing ``page_path`` (``/posts/a``).

        A key ``posts`` matches ``/{posts,posts/**}``; the empty key (``/``) only pages
        at the root (``sectionToPathGlob``).
        """
        best: tuple[int, str] | None = None
        for key, pattern in self.patterns.items():
            key_l = key.lower()
            inner = page_path.strip("/")
            if key_l == "":
                matched = "/" not in inner
            else:
                matched = inner == key_l or inner.startswith(key_l + "/")
            if matched and (best is None or len(key_l) > best[0]):
                best = (len(key_l), pattern)
        return best[1] if best else None

    def _is_ugly(self, section: str) -> bool:
        if isinstance(self.ugly, dict):
            return flag(self.ugly.get(section.lower())) is True
        return flag(self.ugly) is True

    # --- which files are pages ---------------------------------------------------------

    def site_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _base(self, stem: str) -> str:
        """``TranslationBaseName``: ``post.fr`` → ``post`` when ``fr`` is a language."""
        name, dot, lang = stem.rpartition(".")
        return name if dot and lang.lower() in self.languages else stem

    def post_files(self, rels: list[str]) -> list[str]:
        """Pages, not bundle resources: a folder with ``index.md`` is a leaf bundle, and every
        other file below it is one of its resources (gohugo.io: "Page bundles")."""
        bundles = set()
        for rel in rels:
            parent, _, name = rel.rpartition("/")
            stem = name.rsplit(".", 1)[0]
            if self._base(stem) == "index":
                bundles.add(parent)
        out = []
        for rel in rels:
            parent, _, name = rel.rpartition("/")
            stem = name.rsplit(".", 1)[0]
            own = parent if self._base(stem) == "index" else None
            folder, inside = parent, False
            while True:
                if folder in bundles and folder != own:
                    inside = True
                    break
                if not folder:
                    break
                folder = folder.rpartition("/")[0]
            if not inside:
                out.append(rel)
        return out

    # --- publication and dates ---------------------------------------------------------

    def _facts(self, meta: dict[str, Any], rel: str) -> dict[str, Any]:
        """The post's front matter with lowercased keys (Hugo's are case-insensitive) and its
        dates, worked out once: the three questions about one post come one after another."""
        if self._last is not None and self._last[0] is meta and self._last[1] == rel:
            return self._last[2]
        low = {str(k).lower(): v for k, v in meta.items()}
        facts: dict[str, Any] = {"low": low}
        for name in ("date", "publishdate", "expirydate"):
            facts[name] = self._date(low, rel, self.orders[name])
        self._last = (meta, rel, facts)
        return facts

    def _date(
        self, meta: dict[str, Any], rel: str, order: tuple[str, ...]
    ) -> tuple[datetime | None, str | None, Any]:
        """The first date ``order`` finds (in the site's zone), the slug ``:filename`` gave
        with it, and the value as written (for the URL's date tokens)."""
        for item in order:
            if item == ":filename":
                found = self._from_filename(rel)
                if found is not None:
                    return site_time(found[0], self.timezone), found[1], found[0]
            elif item == ":filemodtime":
                try:
                    stamp = os.stat(self.posts / rel).st_mtime
                except OSError:
                    continue
                when = datetime.fromtimestamp(stamp, self.timezone)
                return when, None, when
            elif item.startswith(":"):
                continue  # :git needs the repository's history: not read
            else:
                value = meta.get(item)  # keys already lowercased by _facts
                if value is not None and value != "":
                    return site_time(value, self.timezone, item), None, value
        return None, None, None

    def _from_filename(self, rel: str) -> tuple[date, str] | None:
        """``dateAndSlugFromBaseFilename``: a file (or bundle folder) named ``2024-05-01-x``."""
        dirs, stem, _ = file_parts(rel)
        stem = self._base(stem)
        if stem == "index" and dirs:
            stem = dirs[-1]
        if len(stem) < 10:
            return None
        named = date_from_name(stem[:10])
        if named is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", stem[:10]):
            return None
        return named[0], stem[10:].strip(" -_")

    def unpublished(self, meta: dict[str, Any], rel: str) -> str | None:
        facts = self._facts(meta, rel)
        low = facts["low"]
        if flag(low.get("headless")) is True:
            return "headless bundle"
        build = meta_get(low, "build", "_build")
        if isinstance(build, dict):
            render = {str(k).lower(): v for k, v in build.items()}.get("render")
            if render is False or (
                isinstance(render, str) and render.lower() in {"never", "link", "false"}
            ):
                return "build.render = never"
        now = datetime.now(self.timezone)
        if not self.build["buildexpired"]:
            expiry = facts["expirydate"][0]
            if expiry is not None and expiry <= now:
                return "expired"
        if not self.build["buildfuture"]:
            published = facts["publishdate"][0]
            if published is not None and published > now:
                return "publishDate in the future"
        return None

    def date_and_slug(self, meta: dict[str, Any], rel: str) -> tuple[datetime, str]:
        facts = self._facts(meta, rel)
        when, from_name, _ = facts["date"]
        if when is None:
            raise Skip(
                "no date: add a 'date' field (or list ':filename' in Hugo's [frontmatter] date)"
            )
        slug = meta_get(facts["low"], "slug")
        text = text_field(slug, "slug") if slug is not None else (from_name or "")
        return when, text

    # --- the URL -----------------------------------------------------------------------

    def _sections(self, dirs: list[str]) -> list[str]:
        """The nested sections above a page: the top folder, then folders with ``_index``."""
        if not dirs:
            return []
        found = [dirs[0]]
        folder = self.content / dirs[0]
        for name in dirs[1:]:
            folder = folder / name
            if any((folder / f"_index.{ext}").is_file() for ext in ("md", "markdown", "html")):
                found.append(name)
            else:
                break
        return found

    def _language_prefix(self, stem: str) -> str:
        """``/fr`` for ``post.fr.md`` on a multilingual site (translation by file name), the
        default language's prefix only with ``defaultContentLanguageInSubdir``."""
        _, dot, lang = stem.rpartition(".")
        if dot and lang.lower() in self.languages and lang.lower() != self.default_lang:
            return "/" + lang.lower()
        return self.lang_prefix

    def url(
        self, meta: dict[str, Any], rel: str, when: datetime, slug: str, cats: tuple[str, ...]
    ) -> str:
        site_rel = self.site_rel(rel)
        dirs, stem, _ = file_parts(site_rel)
        prefix = self._language_prefix(stem)
        stem = self._base(stem)
        bundle = stem == "index" and bool(dirs)
        base_name = dirs[-1] if bundle else stem
        parent = dirs[:-1] if bundle else dirs
        section = dirs[0] if dirs and not (bundle and len(dirs) == 1) else ""
        title = text_field(meta.get("title"), "title") if meta.get("title") is not None else ""

        def urlize(text: str) -> str:
            return make_path(text, to_lower=self.to_lower, strip_accents=self.strip_accents)

        front_url = self._facts(meta, rel)["low"].get("url")
        if isinstance(front_url, str) and front_url.strip():
            # "Hugo does not sanitize the url front matter field" (URL management)
            link = self._front_url(front_url.strip())
            if prefix and not link.startswith(prefix + "/"):
                link = prefix + link
            return join_url(self.base_url, link)
        page_path = "/" + "/".join([*parent, base_name]).lower()
        pattern = self._pattern_for(page_path)
        if pattern is not None:
            # Hugo formats the date tokens from the date in its own offset, not the site's zone
            raw = self._facts(meta, rel)["date"][2]
            link = self._expand(
                pattern,
                when=wall_time(raw) if raw is not None else when,
                title=title,
                slug=slug,
                base_name=base_name,
                section=section,
                sections=self._sections(parent if bundle else dirs),
                urlize=urlize,
            )
            if not link.startswith("/"):
                link = "/" + link
        elif self._is_ugly(section):
            link = "/" + "/".join([*parent, slug or base_name]) + ".html"
        else:
            link = "/" + "/".join([*parent, slug or base_name]) + "/"
        link = re.sub(r"/{2,}", "/", link)
        if prefix and not link.startswith(prefix + "/"):
            link = prefix + link
        return join_url(self.base_url, urlize(link))

    @staticmethod
    def _front_url(value: str) -> str:
        """A ``url`` field as ``CreateTargetPaths`` places it: a folder unless it names a file."""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", value):
            return value  # not a path: join_url refuses it
        if ".." in value:  # Hugo: path.Join("/", url), which also drops a trailing slash
            value = without_dot_segments("/" + value).rstrip("/") or "/"
        link = "/" + value.lstrip("/")
        if link.endswith("/") or "." not in value:
            return link.rstrip("/") + "/"
        return link

    def _expand(
        self,
        pattern: str,
        *,
        when: datetime,
        title: str,
        slug: str,
        base_name: str,
        section: str,
        sections: list[str],
        urlize: Callable[[str], str],
    ) -> str:
        """``PermalinkExpander``: each ``:token`` (``:\\w+([…])?``) replaced once, in order."""
        pattern = pattern.replace("\\:", "\0")
        filename = "" if base_name == "_index" else base_name
        # Computed only for the tokens the pattern uses: urlizing is the costly part.
        values: dict[str, Callable[[], str]] = {
            "year": lambda: str(when.year),
            "month": lambda: f"{when.month:02d}",
            "monthname": lambda: calendar.month_name[when.month],
            "day": lambda: f"{when.day:02d}",
            "weekday": lambda: str((when.weekday() + 1) % 7),
            "weekdayname": lambda: calendar.day_name[when.weekday()],
            "yearday": lambda: str(when.timetuple().tm_yday),
            "section": lambda: section,
            "sectionslug": lambda: urlize(section),
            "sections": lambda: "/".join(sections),
            "sectionslugs": lambda: "/".join(urlize(s) for s in sections),
            "title": lambda: urlize(title),
            "slug": lambda: urlize(slug) if slug else urlize(title),
            "slugorfilename": lambda: urlize(slug) if slug else urlize(filename),
            "filename": lambda: urlize(filename),
            "contentbasename": lambda: urlize(base_name),
            "slugorcontentbasename": lambda: urlize(slug) if slug else urlize(base_name),
        }

        def token(match: re.Match[str]) -> str:
            name, cut = match.group(1), match.group(2) or ""
            if cut and name in {"sections", "sectionslugs"}:
                parts = sections if name == "sections" else [urlize(s) for s in sections]
                return "/".join(_cut(cut, parts))
            if name in values and not cut:
                return values[name]()
            formatted = go_date_format(when, name)
            if formatted is None:
                raise Skip(f"Hugo permalink {pattern!r}: unknown token ':{name}'")
            return formatted

        expanded = re.sub(r":([A-Za-z0-9_]+)(\[.+?\])?", token, pattern)
        return expanded.replace("\0", ":")


class HugoProfile(Profile):
    name = "hugo"
    config_names = CONFIG_NAMES

    def find_root(self, config: Config) -> Path | None:
        if config.site.root is not None:
            return config.site.root
        start = resolved(config.paths.posts)
        for folder in (start, *start.parents):
            if self._site_config(folder) is not None:
                return folder
        return None

    def _site_config(self, root: Path) -> list[Path] | None:
        try:
            _, used = load_hugo_config(root)
        except ConfigError:
            return [root]  # a broken config is still this site's: report it when reading
        return used or None

    def config_files(self, root: Path | None) -> list[Path]:
        if root is None:
            return []
        return self._site_config(root) or []

    def rules(self, config: Config) -> HugoRules:
        root = self.find_root(config)
        settings = load_hugo_config(root)[0] if root is not None else {}
        return HugoRules(config, root, settings)

    def detect(self, root: Path) -> SiteInfo | None:
        settings, used = load_hugo_config(root)
        if not used:
            return None
        content = root / (as_text(settings.get("contentdir")) or "content")
        guessed = []
        language = as_text(settings.get("languagecode")) or as_text(
            settings.get("defaultcontentlanguage")
        )
        patterns = HugoRules._patterns(settings.get("permalinks"))
        posts = _find_posts(content)
        if posts is None:
            guessed.append("posts folder: no section with dated posts found")
        permalink = ""
        if posts is not None:
            section = under(posts, content) or ""
            top = section.split("/", 1)[0]
            permalink = patterns.get(top, "") or f"/{top}/<slug or file name>/ (Hugo's default)"
        return SiteInfo(
            generator=self.name,
            root=root,
            config_file=used[0],
            base_url=as_text(settings.get("baseurl")),
            title=as_text(settings.get("title")),
            language=language.split("-")[0].lower() if language else "",
            timezone=as_text(settings.get("timezone")),
            content_dir=content,
            posts_dir=posts,
            permalink=permalink,
            guessed=tuple(guessed),
        )


POST_SECTION_NAMES = ("posts", "post", "blog", "articles", "news", "entries", "writing")


def _find_posts(content: Path) -> Path | None:
    """The section holding dated posts: a well-known name first, else the one with most
    Markdown files (bounded walk)."""
    if not content.is_dir():
        return None
    for name in POST_SECTION_NAMES:
        if (content / name).is_dir():
            return content / name
    best: tuple[int, Path] | None = None
    for child in sorted(content.iterdir()):
        if not child.is_dir() or child.name.startswith((".", "_")):
            continue
        count = 0
        for _, _, files in _bounded_walk(child):
            count += sum(1 for f in files if f.rsplit(".", 1)[-1].lower() in _CONTENT_SUFFIXES)
        if count and (best is None or count > best[0]):
            best = (count, child)
    return best[1] if best else None


def _bounded_walk(folder: Path, limit: int = 5000) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for seen, entry in enumerate(os.walk(folder)):
        if seen >= limit:
            break
        out.append(entry)
    return out
