"""``digest check --matrix``: the project's templates, by built-in edge cases, by every rule.

``digest check`` looks at one built digest, this week's. Someone who edits the
templates needs to know that a change works for every digest the tool can
make: none, one, a post with nothing but a title, more than the size budget
holds, very long words, ``<>&"'`` everywhere, each thumbnail setting, each
edition, each shipped language, and the user's real current digest.

The cells are data: synthetic posts and the cells that use them live in
``data/matrix/cells.json`` (written for this project, never a user's posts),
and the axes a cell varies over are read from what exists: the thumbnail
settings the configuration accepts (:data:`THUMBNAIL_LAYOUTS`), the editions
in digest.toml, the languages whose catalogs ship in ``digest/locale/``. Each
cell is built through the real path (``compose`` → ``render_within_budget``)
with fixed dates, and every registered check rule runs on it, plus two rules
only fixtures allow: ``escaping`` (no markup from a post's text became markup,
nothing was escaped twice) and ``alt-text`` (an image's text reached its
``alt``). Nothing is written; reports are the caller's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any

import lxml.html

from .. import config as config_module
from ..config import Config
from ..errors import ConfigError, DigestError
from ..models import DateWindow, Digest, Post, Rendered, Selection
from ..sizes import budget_bytes
from . import CheckOptions, EmailParts, PostRef, check, rule_names
from .model import Finding, Severity

# The values of ``[digest] thumbnails`` a cell is rendered with, each under the label
# its cell's name shows. Adding a layout is one line here: ("side", "side").
# Every layout [digest] thumbnails accepts, each a cell.
THUMBNAIL_LAYOUTS: tuple[tuple[str, object], ...] = tuple(
    (name, name) for name in config_module.THUMBNAIL_LAYOUTS
)

CURRENT = "current"  # the cell of the user's real current digest
RENDER_RULE = "render"  # a cell whose templates could not be rendered at all
MATRIX_RULES = ("escaping", "alt-text")
FIXTURE_BASE_URL = "https://blog.example.org/"
_MAX_REPEAT = 200  # bounds the cells file's "repeat"


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One digest to render: its name, what it is for, its settings and its posts.

    ``posts`` is None for the user's current digest, built from their posts.
    """

    name: str
    about: str
    config: Config
    posts: tuple[Post, ...] | None
    window: DateWindow


@dataclass(frozen=True, slots=True, kw_only=True)
class CellResult:
    """A rendered cell and what the rules found (``skipped``: why it was not rendered)."""

    name: str
    about: str
    findings: tuple[Finding, ...] = ()
    html: str = ""
    html_bytes: int = 0
    skipped: str = ""

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def with_findings(self, more: Sequence[Finding]) -> CellResult:
        return replace(self, findings=(*self.findings, *more))


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixResult:
    """Every cell's result, and the names of the rules that ran (one JUnit case each)."""

    cells: tuple[CellResult, ...]
    rules: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the comparison with a base

    def count(self, severity: Severity) -> int:
        return sum(c.count(severity) for c in self.cells)

    def failed(self, *, strict: bool = False) -> bool:
        return self.count("error") > 0 or (strict and self.count("warning") > 0)


# --- the fixtures ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _CellSpec:
    name: str
    about: str
    posts: tuple[str, ...]
    repeat: int = 1
    across: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixtures:
    window: DateWindow
    posts: dict[str, dict[str, Any]]
    cells: tuple[_CellSpec, ...]


def load_fixtures(path: Path | None = None) -> Fixtures:
    """The synthetic posts and cells shipped in ``data/matrix/cells.json``."""
    source = path or Path(str(files("digest"))) / "data" / "matrix" / "cells.json"
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        window = DateWindow(
            since=date.fromisoformat(raw["window"]["since"]),
            until=date.fromisoformat(raw["window"]["until"]),
        )
        posts = {str(k): dict(v) for k, v in raw["posts"].items()}
        cells = tuple(
            _CellSpec(
                name=str(c["name"]),
                about=str(c.get("about", "")),
                posts=tuple(str(p) for p in c["posts"]),
                repeat=max(1, min(int(c.get("repeat", 1)), _MAX_REPEAT)),
                across=tuple(str(a) for a in c.get("across", ())),
            )
            for c in raw["cells"]
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            [f"the matrix fixtures cannot be read: {exc}"], where=str(source)
        ) from None
    unknown = sorted({p for c in cells for p in c.posts} - posts.keys())
    if unknown:
        raise ConfigError([f"cells name unknown posts: {', '.join(unknown)}"], where=str(source))
    return Fixtures(window=window, posts=posts, cells=cells)


def _category_map(config: Config, fixtures: Fixtures) -> dict[str, str]:
    """The fixtures' plain categories onto the configured sections, so cells fill them."""
    plain = sorted({c for p in fixtures.posts.values() for c in p["categories"] if c.isalpha()})
    targets = [s.categories[0] for s in config.sections if s.categories]
    if not targets:
        return {}
    return {name: targets[i % len(targets)] for i, name in enumerate(plain)}


def fixture_post(
    key: str, raw: dict[str, Any], config: Config, categories: dict[str, str], number: int = 0
) -> Post:
    """A :class:`Post` from one fixture entry (``number`` > 0: a numbered copy)."""
    base = config.site.url or FIXTURE_BASE_URL
    suffix = f"-{number}" if number else ""
    day = date.fromisoformat(raw["day"])
    return Post(
        source=f"matrix/{key}{suffix}.md",
        title=raw["title"] + (f" ({number})" if number else ""),
        date=datetime.combine(day, time(9, 0), tzinfo=config.site.tz),
        url=f"{base.rstrip('/')}/matrix/{key}{suffix}/",
        author=raw.get("author") or "",
        categories=tuple(categories.get(c, c) for c in raw.get("categories") or ()),
        excerpt=raw.get("excerpt"),
        image=raw.get("image"),
        image_alt=raw.get("image_alt") or "",
        body=raw.get("body") or "",
    )


# --- the axes ----------------------------------------------------------------------------


def shipped_languages() -> tuple[str, ...]:
    """The languages whose catalogs ship in ``digest/locale/<lang>/`` (none before they do)."""
    folder = Path(str(files("digest"))) / "locale"
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    )


def _variants(axis: str, config: Config) -> Iterator[tuple[str, Config]]:
    if axis == "thumbnails":
        for label, value in THUMBNAIL_LAYOUTS:
            yield f"thumbnails={label}", config.but(thumbnails=value)
    elif axis == "editions":
        for spec in config.editions:
            yield f"edition={spec.name}", config.for_edition(spec.name)
    elif axis == "languages":
        # The configured language is every other cell's: only other shipped ones are added.
        for language in shipped_languages():
            if language != config.site.language:
                yield f"language={language}", config.but(language=language)
    else:
        raise ConfigError([f"the matrix fixtures name an unknown axis {axis!r}"])


def cells(config: Config, fixtures: Fixtures | None = None) -> list[Cell]:
    """Every cell of the matrix for this configuration, the user's current digest last."""
    fixtures = fixtures or load_fixtures()
    base = replace(config.but(cache_dir=None), run=replace(config.run, strict=False))
    categories = _category_map(config, fixtures)
    out: list[Cell] = []
    for spec in fixtures.cells:

        def posts_for(cfg: Config, spec: _CellSpec = spec) -> tuple[Post, ...]:
            return tuple(
                fixture_post(key, fixtures.posts[key], cfg, categories, n if spec.repeat > 1 else 0)
                for n in range(1, spec.repeat + 1)
                for key in spec.posts
            )

        if not spec.across:
            out.append(
                Cell(
                    name=spec.name,
                    about=spec.about,
                    config=base,
                    posts=posts_for(base),
                    window=fixtures.window,
                )
            )
        for axis in spec.across:
            for label, cfg in _variants(axis, base):
                out.append(
                    Cell(
                        name=f"{spec.name}/{label}",
                        about=spec.about,
                        config=cfg,
                        posts=posts_for(cfg),
                        window=fixtures.window,
                    )
                )
    out.append(
        Cell(
            name=CURRENT,
            about="the digest your posts make today",
            config=config,
            posts=None,
            window=fixtures.window,
        )
    )
    return out


# --- running a cell ----------------------------------------------------------------------


def clear_caches() -> None:
    """Forget what the rules cached across documents (tests: a cell alone, caches cold)."""
    from . import clear_caches as clear_rule_caches

    clear_rule_caches()


def check_options(config: Config, allow: Sequence[str] = ()) -> CheckOptions:
    """The options ``digest check`` uses for a configuration."""
    return CheckOptions(
        budget_bytes=budget_bytes(config.digest.size_budget_kb),
        unsubscribe_url=config.email.unsubscribe_url,
        allow_features=tuple(allow),
    )


class Environments:
    """One run's Jinja environments: one per templates folder and language, compiled once.

    Compiling the templates again for each cell would cost a third of the run.
    Each language needs its own environment (its catalog, date formats and
    direction are installed in it), but the compiled code is the same: every
    environment comes from ``make_environment`` with the same options, and
    translations and filters are looked up when a template runs, not compiled
    in. So the environments share a bytecode cache in memory, which Jinja keys by
    template name and file and checks against the source's hash.
    """

    def __init__(self) -> None:
        import jinja2

        class MemoryBytecodeCache(jinja2.BytecodeCache):
            def __init__(self) -> None:
                self.codes: dict[tuple[str, str], bytes] = {}

            def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                code = self.codes.get((bucket.key, bucket.checksum))
                if code is not None:
                    bucket.bytecode_from_string(code)

            def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                self.codes[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()

        self._compiled = MemoryBytecodeCache()
        self._envs: dict[tuple[Path | None, str], jinja2.Environment] = {}

    def get(self, templates: Path | None, language: str) -> Any:
        """The environment for ``templates`` speaking ``language``."""
        from ..templates import make_environment

        key = (templates, language)
        if key not in self._envs:
            env = make_environment(templates, language)
            env.bytecode_cache = self._compiled
            self._envs[key] = env
        return self._envs[key]


def _build(cell: Cell, envs: Environments | None = None) -> tuple[Digest, Rendered] | str:
    """The cell's digest and render, or why the current digest is skipped."""
    from ..compose import compose
    from ..render import render_within_budget

    config = cell.config
    if cell.posts is None:
        from ..pipeline import build

        feeds = any(spec.feed for spec in config.all_sources)
        if not feeds and not config.paths.posts.is_dir():  # a feed-only project has none
            return f"no posts folder at {config.paths.posts}"
        result = build(config, write=False, allow_empty=True)
        return result.digest, result.rendered
    selection = Selection(window=cell.window, posts=cell.posts)
    digest = compose(selection, config)
    env = (envs or Environments()).get(config.paths.templates, digest.language)
    return render_within_budget(
        digest, config.paths.templates, budget_bytes(config.digest.size_budget_kb), env=env
    )


def run_cell(cell: Cell, allow: Sequence[str] = (), envs: Environments | None = None) -> CellResult:
    """Render one cell and run every rule on it; a render failure is the ``render`` rule's."""
    try:
        built = _build(cell, envs)
    except DigestError as exc:
        finding = Finding(rule=RENDER_RULE, severity="error", message=str(exc))
        return CellResult(name=cell.name, about=cell.about, findings=(finding,))
    if isinstance(built, str):
        return CellResult(name=cell.name, about=cell.about, skipped=built)
    digest, rendered = built
    parts = EmailParts(
        html=rendered.html,
        text=rendered.text,
        subject=rendered.subject,
        preheader=rendered.preheader,
        posts=tuple(PostRef(title=e.post.title, url=e.post.url) for e in digest.entries),
    )
    report = check(parts, check_options(cell.config, allow))
    found = list(report.findings)
    if cell.posts is not None:
        found += fixture_findings(digest, rendered.html)
    return CellResult(
        name=cell.name,
        about=cell.about,
        findings=tuple(found),
        html=rendered.html,
        html_bytes=report.html_bytes,
    )


def run_matrix(
    config: Config,
    *,
    allow: Sequence[str] = (),
    only: Sequence[str] = (),
    fixtures: Fixtures | None = None,
) -> MatrixResult:
    """Every cell (or those named in ``only``), each checked by every rule."""
    chosen = [c for c in cells(config, fixtures) if not only or c.name in only]
    envs = Environments()
    results = tuple(run_cell(c, allow, envs) for c in chosen)
    return MatrixResult(cells=results, rules=(RENDER_RULE, *rule_names(), *MATRIX_RULES))


# --- the rules only fixtures allow ------------------------------------------------------

_ESCAPED_TWICE = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d{1,6}|#x[0-9a-f]{1,6});", re.IGNORECASE)
_MARKUP = re.compile(r"<([a-z][a-z0-9]{0,10})>([^<>]{1,80})</\1>", re.IGNORECASE)


def _visible(doc: Any) -> str:
    body = doc.find(".//body")
    return " ".join((body if body is not None else doc).text_content().split())


def fixture_findings(digest: Digest, html: str) -> list[Finding]:
    """What only known input can show: escaping and alt text, against the fixture's text."""
    if not digest.entries:
        return []
    doc = lxml.html.document_fromstring(html.encode("utf-8"))
    found: list[Finding] = []
    visible = _visible(doc)
    texts = [
        t
        for e in digest.entries
        for t in (e.post.title, e.post.author, e.excerpt, *e.post.categories)
    ]
    twice = _ESCAPED_TWICE.search(visible)
    if twice and not any(twice.group(0) in t for t in texts):
        found.append(
            Finding(
                rule="escaping",
                severity="error",
                message=f"text is escaped twice: the reader sees {twice.group(0)!r}",
                where=visible[max(0, twice.start() - 30) : twice.end() + 10],
            )
        )
    for text in texts:
        for tag, inner in _MARKUP.findall(text):
            if any(" ".join(el.text_content().split()) == inner.strip() for el in doc.iter(tag)):
                found.append(
                    Finding(
                        rule="escaping",
                        severity="error",
                        message=f"a post's text became markup: <{tag}>{inner}</{tag}> "
                        "is an element, not text",
                        where=text[:60],
                    )
                )
    for entry in (e for e in digest.full_entries if e.image and e.image_alt):
        images = [img for img in doc.iter("img") if img.get("src") == entry.image]
        wanted = " ".join(entry.image_alt.split())
        for image in images:
            alt = " ".join((image.get("alt") or "").split())
            if alt != wanted:
                found.append(
                    Finding(
                        rule="alt-text",
                        severity="error",
                        message=f"the image of {entry.post.title[:40]!r} has alt {alt!r}, "
                        f"not its description {wanted[:60]!r}",
                        where=(entry.image or "")[:80],
                    )
                )
    return found
