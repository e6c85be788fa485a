"""The one function that runs the stages in order: load → select → compose → render → write.

Read it top to bottom to know what a build does. Warnings from every stage are
logged as they are found and returned; with ``strict`` they fail the build
before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from .compose import compose
from .config import Config
from .errors import ConfigError, StrictModeError
from .models import BuildResult, Digest, LoadResult, Problem, Selection
from .output import write_build
from .posts import PendingLoad, with_bodies
from .render import render_within_budget, size_of, warm_up
from .select import resolve_window, select

log = logging.getLogger("digest")


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a build would contain, before rendering: used by ``build`` and ``digest list``."""

    loaded: LoadResult
    selection: Selection
    digest: Digest
    warnings: tuple[Problem, ...]


def today_in(config: Config) -> date:
    return datetime.now(config.tz).date()


def load(config: Config) -> LoadResult:
    if not config.posts_dir.is_dir():
        raise ConfigError(
            [f"posts folder not found: {config.posts_dir} (set [paths] posts or --posts)"]
        )
    pending = PendingLoad(config)
    warm_up()  # overlaps with the workers' parsing on a large folder
    return pending.result()


def plan(config: Config, *, today: date | None = None) -> Plan:
    """Load, select and compose; log every warning once."""
    loaded = load(config)
    window = resolve_window(config, today or today_in(config))
    selection = select(loaded.posts, config, window)
    # Bodies are read for the selected posts only: excerpts are the costly part.
    selection = replace(selection, posts=with_bodies(selection.posts, config))
    digest = compose(selection, config)
    warnings = (*config.warnings, *loaded.problems, *selection.problems)
    for problem in warnings:
        log.warning("%s", problem)
    log.info(
        "loaded %d posts (drafts left out: %d); %d selected for %s to %s",
        len(loaded.posts),
        len(loaded.drafts),
        len(digest.entries),
        window.since.isoformat(),
        window.until.isoformat(),
    )
    return Plan(loaded=loaded, selection=selection, digest=digest, warnings=warnings)


def build(config: Config, *, today: date | None = None, write: bool = True) -> BuildResult:
    """Build the digest; write it to ``config.out_dir`` unless ``write`` is False.

    An empty digest is rendered but never written: there is nothing to send.
    """
    planned = plan(config, today=today)
    if config.strict and planned.warnings:
        raise StrictModeError([str(w) for w in planned.warnings])
    budget = config.size_budget_kb * 1024
    digest, rendered = render_within_budget(planned.digest, config.templates_dir, budget)
    if digest.more and not planned.digest.more:
        log.warning(
            "the HTML would be over the %d KB size budget (Gmail clips at about 102 KB): "
            "the last %d posts are listed under %r as titles and links",
            config.size_budget_kb,
            len(digest.more),
            digest.more_title,
        )
    if size_of(rendered) > budget:
        log.warning(
            "the HTML is %.1f KB, over the %d KB size budget even with every post collapsed",
            size_of(rendered) / 1024,
            config.size_budget_kb,
        )
    files: tuple[Path, ...] = ()
    if write and digest.entries:
        files = write_build(config.out_dir, digest, rendered)
    return BuildResult(digest=digest, rendered=rendered, files=files, warnings=planned.warnings)
