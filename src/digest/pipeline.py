"""The functions that run the stages in order: load → select → compose → render → write.

Read ``build`` top to bottom to know what a build does. Warnings from every
stage are logged as they are found and returned; with ``strict`` they fail the
build before anything is written. ``build_editions`` does the same for several
editions at once: posts are loaded once, selections are made in priority
order (so exclusive editions can leave out what a higher one carries), and the
renders run in parallel processes.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from . import ledger
from .cache import cached_read, load_render, render_key, save_render
from .config import Config
from .errors import ConfigError, StrictModeError
from .models import BuildResult, Digest, LoadResult, Problem, Selection
from .output import write_build
from .posts import PendingLoad, with_bodies
from .select import resolve_window, select

log = logging.getLogger("digest")
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a build would contain, before rendering: used by ``build`` and ``digest list``."""

    loaded: LoadResult
    selection: Selection
    digest: Digest
    warnings: tuple[Problem, ...]


def check_out_dir(config: Config, out_dir: Path | None = None) -> None:
    """Refuse an output folder whose writes could overwrite the project's own files.

    That is the posts folder (or one inside it, or one containing it), the
    templates folder likewise, the project root (the folder of digest.toml),
    the home folder and ``/``. ``out_dir`` defaults to the config's.
    """
    out = (out_dir or config.out_dir).resolve()
    root = (config.source.parent if config.source else Path.cwd()).resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    why = ""
    if out.parent == out:
        why = "it is the root of the file system"
    elif out == home:
        why = "it is your home folder"
    elif out == root:
        why = "it is the project folder (where digest.toml is)"
    for label, folder in (("posts", config.posts_dir), ("templates", config.templates_dir)):
        if why or folder is None:
            continue
        folder = folder.resolve()
        if out == folder:
            why = f"it is the {label} folder"
        elif folder in out.parents:
            why = f"it is inside the {label} folder {folder}"
        elif out in folder.parents:
            why = f"it contains the {label} folder {folder}"
    if why:
        raise ConfigError(
            [f"refusing to write the digest to {out}: {why}; choose another --out or [paths] out"]
        )


def today_in(config: Config) -> date:
    return datetime.now(config.tz).date()


def load(config: Config, *, progress: Progress | None = None) -> LoadResult:
    """Every post, from the frontmatter cache where files are unchanged."""
    if not config.posts_dir.is_dir():
        raise ConfigError(
            [f"posts folder not found: {config.posts_dir} (set [paths] posts or --posts)"]
        )
    if config.cache_dir is not None:
        return cached_read(config, progress=progress, warm_up=_warm_up)
    pending = PendingLoad(config, progress=progress)
    _warm_up()  # overlaps with the workers' parsing on a large folder
    return pending.result()


def _warm_up() -> None:
    from .render import warm_up  # deferred: a warm build may never render

    warm_up()


def _sent(config: Config) -> tuple[frozenset[str], date | None]:
    """What the ledger says this edition already sent, and since when it keeps count."""
    if not config.new_only:
        return frozenset(), None
    issues = ledger.read(config.ledger_path)
    return ledger.sent_keys(issues, config.edition), ledger.first_since(issues, config.edition)


def choose(
    config: Config,
    *,
    today: date | None = None,
    loaded: LoadResult,
    claimed: frozenset[str] = frozenset(),
    shared_logged: bool = False,
) -> tuple[Selection, tuple[Problem, ...]]:
    """Select (with bodies read for the chosen posts only) and log every warning once.

    Returns the config's, the loader's and the selection's warnings. With
    ``shared_logged`` (later editions of one run) the config's and loader's
    warnings were already logged and only the selection's are.
    """
    window = resolve_window(config, today or today_in(config))
    sent, sent_since = _sent(config)
    selection = select(
        loaded.posts, config, window, sent=sent, sent_since=sent_since, claimed=claimed
    )
    # Bodies are read for the selected posts only: excerpts are the costly part.
    selection = replace(selection, posts=with_bodies(selection.posts, config))
    shared = (*config.warnings, *loaded.problems)
    for problem in selection.problems if shared_logged else (*shared, *selection.problems):
        log.warning("%s", problem)
    warnings = (*shared, *selection.problems)
    log.info(
        "%s: %d posts loaded (drafts left out: %d); %d selected for %s to %s",
        config.edition,
        len(loaded.posts),
        len(loaded.drafts),
        len(selection.posts),
        window.since.isoformat(),
        window.until.isoformat(),
    )
    return selection, warnings


def plan(
    config: Config,
    *,
    today: date | None = None,
    loaded: LoadResult | None = None,
    claimed: frozenset[str] = frozenset(),
    shared_logged: bool = False,
) -> Plan:
    """Load (unless given), select and compose."""
    from .compose import compose  # deferred: Markdown and Jinja load only when needed

    loaded = loaded if loaded is not None else load(config)
    selection, warnings = choose(
        config, today=today, loaded=loaded, claimed=claimed, shared_logged=shared_logged
    )
    digest = compose(selection, config)
    return Plan(loaded=loaded, selection=selection, digest=digest, warnings=warnings)


def render_and_write(
    config: Config,
    selection: Selection,
    *,
    digest: Digest | None = None,
    write: bool = True,
    allow_empty: bool = False,
) -> BuildResult:
    """Compose and render within the size budget, then write.

    An unchanged selection (same posts and bodies, settings, templates) reuses
    its last render from the cache without composing again. An empty digest
    is written only if allowed.
    """
    budget = config.size_budget_kb * 1024
    key = render_key(config, selection) if config.cache_dir is not None else ""
    cached = load_render(config, key) if key else None
    if cached is not None:
        fitted, rendered = cached
        log.info("%s: unchanged since the last build; using its render", config.edition)
    else:
        from .compose import compose
        from .render import render_within_budget

        digest = digest or compose(selection, config)
        fitted, rendered = render_within_budget(digest, config.templates_dir, budget)
        if key:
            save_render(config, key, (fitted, rendered))
    size = rendered.html_bytes
    if fitted.more:
        log.warning(
            "%s: the HTML would be over the %d KB size budget (Gmail clips at about 102 KB): "
            "the last %d posts are listed under %r as titles and links",
            config.edition,
            config.size_budget_kb,
            len(fitted.more),
            fitted.more_title,
        )
    if size > budget:
        log.warning(
            "%s: the HTML is %.1f KB, over the %d KB size budget even with every post collapsed",
            config.edition,
            size / 1024,
            config.size_budget_kb,
        )
    files: tuple[Path, ...] = ()
    if write and (fitted.entries or allow_empty):
        check_out_dir(config)
        files = write_build(config.out_dir, fitted, rendered)
    return BuildResult(digest=fitted, rendered=rendered, files=files, warnings=())


def build(
    config: Config,
    *,
    today: date | None = None,
    write: bool = True,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the digest; write it to ``config.out_dir`` unless ``write`` is False.

    An empty digest is rendered but not written unless ``allow_empty``: there
    is nothing to send.
    """
    if write:
        check_out_dir(config)  # before the work, not after it
    loaded = load(config, progress=progress)
    selection, warnings = choose(config, today=today, loaded=loaded)
    if config.strict and warnings:
        raise StrictModeError([str(w) for w in warnings])
    result = render_and_write(config, selection, write=write, allow_empty=allow_empty)
    return replace(result, warnings=warnings)


def _render_edition(job: tuple[Config, Selection, Digest | None, bool, bool]) -> BuildResult:
    config, selection, digest, write, allow_empty = job
    return render_and_write(config, selection, digest=digest, write=write, allow_empty=allow_empty)


def build_editions(
    config: Config,
    names: Sequence[str],
    *,
    today: date | None = None,
    write: bool = True,
    allow_empty: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[str, BuildResult]:
    """Build several editions into ``out_dir/<edition>/``, rendering in parallel processes.

    With ``[selection] exclusive_editions``, a post carried by a higher-priority
    edition is left out of the lower ones.
    """
    if write:
        check_out_dir(config)  # before the work, not after it
    loaded = load(config)
    specs = sorted((config.edition_spec(n) for n in names), key=lambda s: (-s.priority, s.name))
    claimed: set[str] = set()
    jobs: list[tuple[Config, Selection, Digest | None, bool, bool]] = []
    warnings: dict[str, tuple[Problem, ...]] = {}
    for index, spec in enumerate(specs):
        edition = config.for_edition(spec.name)
        if write:
            check_out_dir(edition)  # here, not in a worker: its error reads clearly
        digest: Digest | None = None
        logged = index > 0  # a broken post is one warning, not one per edition
        if config.exclusive_editions:
            # what this edition lists (after section limits) is what it claims
            planned = plan(
                edition,
                today=today,
                loaded=loaded,
                claimed=frozenset(claimed),
                shared_logged=logged,
            )
            selection, digest = planned.selection, planned.digest
            claimed.update(e.post.url for e in digest.entries)
            warnings[spec.name] = planned.warnings
        else:
            selection, warnings[spec.name] = choose(
                edition, today=today, loaded=loaded, shared_logged=logged
            )
        jobs.append((edition, selection, digest, write, allow_empty))
    all_warnings = {str(w) for ws in warnings.values() for w in ws}
    if config.strict and all_warnings:
        raise StrictModeError(sorted(all_warnings))
    count = workers or min(len(jobs), os.cpu_count() or 1)
    results: list[BuildResult] = []
    if count > 1 and len(jobs) > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(count) as pool:
            for done, result in enumerate(pool.imap(_render_edition, jobs), 1):
                results.append(result)
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, 1):
            results.append(_render_edition(job))
            if progress:
                progress(done, len(jobs))
    return {
        job[0].edition: replace(result, warnings=warnings[job[0].edition])
        for job, result in zip(jobs, results, strict=True)
    }
