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
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from . import ledger
from .cache import cached_read, load_render, render_key, save_render
from .config import Config, SourceSpec, is_feed_url
from .errors import ConfigError, ExportError, PostError, StrictModeError, UsageError
from .manifest import SAFE_NAME_RULE, is_safe_name
from .models import BuildResult, Digest, LoadResult, Problem, Rendered, Selection, source_key
from .output import write_build
from .preflight import output_problems, preflight
from .select import nothing_selected_hint, resolve_window, select, unknown_categories
from .sizes import GMAIL_CLIPS, budget_bytes, kb
from .sources.combine import load_source, merge
from .sources.markdown import PendingLoad, with_bodies
from .templates import templates_hash_for
from .wording import plural

log = logging.getLogger("digest")
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a build would contain, before rendering: used by ``build`` and ``digest list``."""

    loaded: LoadResult
    selection: Selection
    digest: Digest
    warnings: tuple[Problem, ...]


def check_out_dir(
    config: Config, out_dir: Path | None = None, *, what: str = "the digest", flag: str = ""
) -> None:
    """Refuse an output folder whose writes could overwrite the project's own files.

    That is the posts folder (or one inside it, or one containing it), the
    templates folder likewise, the project root (the folder of digest.toml),
    the home folder and ``/``. ``out_dir`` defaults to the config's. ``flag``:
    the command-line option that named ``out_dir`` (a usage error, exit 2).
    """
    out = (out_dir or config.paths.out).resolve()
    root = (config.source.parent if config.source else Path.cwd()).resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    why = ""
    if out.parent == out:
        why = "it is the root of the file system"
    elif system := _system_folder(out):
        why = f"it is the system folder {system}" + ("" if out == system else " or inside it")
    elif out == home:
        why = "it is your home folder"
    elif out == root:
        why = "it is the project folder (where digest.toml is)"
    for label, folder in (("posts", config.paths.posts), ("templates", config.paths.templates)):
        if why or folder is None:
            continue
        folder = folder.resolve()
        if out == folder:
            why = f"it is the {label} folder"
        elif folder in out.parents:
            why = f"it is inside the {label} folder {folder}"
        elif out in folder.parents:
            why = f"it contains the {label} folder {folder}"
    if why and flag:
        raise UsageError(f"refusing to write {what} to {out}: {why}; choose another {flag}")
    if why:
        raise ConfigError(
            [f"refusing to write {what} to {out}: {why}; choose another --out or [paths] out"]
        )


# Folders that belong to the operating system: no digest output or report goes there.
SYSTEM_FOLDERS = tuple(
    Path(p)
    for p in (
        *("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc"),
        *("/run", "/sbin", "/sys", "/usr", "/var/lib", "/var/log", "/var/cache", "/var/spool"),
    )
)


def _system_folder(path: Path) -> Path | None:
    for folder in SYSTEM_FOLDERS:
        real = folder.resolve() if folder.exists() else folder
        if path == real or real in path.parents:
            return folder
    return None


def check_report_file(config: Config, path: Path) -> None:
    """Refuse a report file (``check -o``) that would overwrite the project's own files:
    digest.toml, anything in the posts or templates folders, or a system folder's."""
    target = path.resolve()
    why = ""
    if config.source is not None and target == config.source.resolve():
        why = "it is the configuration file"
    elif system := _system_folder(target):
        why = f"it is inside the system folder {system}"
    for label, folder in (("posts", config.paths.posts), ("templates", config.paths.templates)):
        if not why and folder is not None and folder.resolve() in target.parents:
            why = f"it is inside the {label} folder {folder}"
    if why:
        raise ConfigError([f"refusing to write the report to {target}: {why}; choose another -o"])


def today_in(config: Config) -> date:
    return datetime.now(config.site.tz).date()


def load(
    config: Config, *, progress: Progress | None = None, today: date | None = None
) -> LoadResult:
    """Every post of every source, merged (see :mod:`digest.sources.combine`).

    Markdown comes from the frontmatter cache where files are unchanged, feeds
    from the network with their cache (or the cache alone, offline). ``today``
    places the window, which bounds how far back WordPress REST is paged.
    """
    since = earliest_day(config, today or today_in(config))
    return merge(
        [
            load_source(
                spec, config, since=since, markdown=lambda: _load_markdown(config, progress)
            )
            for spec in config.all_sources
        ]
    )


def earliest_day(config: Config, today: date) -> date | None:
    """The earliest day any selection of this run can take (``--new-only`` looks back)."""
    if config.run.only_sources is not None:
        return None  # a rebuild takes its posts whatever their date
    since = resolve_window(config, today).since
    if config.selection.new_only:
        since -= timedelta(days=config.selection.lookback_days)
    return since


def _load_markdown(config: Config, progress: Progress | None) -> LoadResult:
    """The posts folder, from the frontmatter cache where files are unchanged."""
    if not config.paths.posts.is_dir():
        raise ConfigError(
            [f"posts folder not found: {config.paths.posts} (set [paths] posts or --posts)"]
        )
    if config.paths.cache is not None:
        return cached_read(config, progress=progress, warm_up=_warm_up)
    pending = PendingLoad(config, progress=progress)
    _warm_up()  # overlaps with the workers' parsing on a large folder
    return pending.result()


def _warm_up() -> None:
    from .render import warm_up  # deferred: a warm build may never render

    warm_up()


def _sent(config: Config) -> tuple[frozenset[str], date | None]:
    """What the ledger says this edition already sent, and since when it keeps count."""
    if not config.selection.new_only:
        return frozenset(), None
    issues = ledger.read(config.paths.ledger)
    return ledger.sent_keys(issues, config.run.edition), ledger.first_since(
        issues, config.run.edition
    )


def numbered(config: Config) -> Config:
    """``config`` with its issue number for the masthead: the issues the ledger records
    for this edition, plus one (read only; unreadable lines are not counted)."""
    if config.run.issue_number is not None:
        return config
    issues = ledger.scan(config.paths.ledger).issues
    count = sum(1 for issue in issues if issue.edition == config.run.edition)
    return config.but(issue_number=count + 1)


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
    shared = (*config.warnings, *loaded.problems)
    if not shared_logged:
        for problem in shared:
            log.warning("%s", problem)
    if not loaded.posts and loaded.problems:
        hint = (
            "; set [site] url in digest.toml (or --base-url): every post needs it for its link"
            if not config.site.url
            else ""
        )
        feeds = [spec.label for spec in config.all_sources if spec.feed]
        counted = plural(len(loaded.problems), "post or item", "posts or items")
        where = (
            f"{counted} in {', '.join(feeds)}"
            + ("" if len(feeds) == len(config.all_sources) else f" and {config.paths.posts}")
            if feeds
            else f"{plural(len(loaded.problems), 'post file')} in {config.paths.posts}"
        )
        raise PostError(f"none of the {where} could be used (the warnings above say why){hint}")
    sent, sent_since = _sent(config)
    selection = select(
        loaded.posts, config, window, sent=sent, sent_since=sent_since, claimed=claimed
    )
    selection = replace(
        selection, problems=(*unknown_categories(loaded.posts, config), *selection.problems)
    )
    # Bodies are read for the selected posts only: excerpts are the costly part.
    selection = replace(selection, posts=with_bodies(selection.posts, config))
    for problem in selection.problems:
        log.warning("%s", problem)
    warnings = (*shared, *selection.problems)
    log.info(
        "%s: %s loaded (drafts left out: %d); %d selected for %s to %s",
        config.run.edition,
        plural(len(loaded.posts), "post"),
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

    loaded = loaded if loaded is not None else load(config, today=today)
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
    """Compose and render within the size budget, check the cheap rules, then write.

    An unchanged selection (same posts and bodies, settings, templates) reuses
    its last render from the cache without composing again. An empty digest
    is written only if allowed. The render's own warnings (over budget, what
    ``digest check`` or an exporter would reject) are logged and returned;
    with ``config.run.strict`` and any of them, nothing is written.
    """
    budget = budget_bytes(config.digest.size_budget_kb)
    key = render_key(config, selection) if config.paths.cache is not None else ""
    cached = load_render(config, key) if key else None
    if cached is not None:
        fitted, rendered, output = cached
        log.info("%s: unchanged since the last build; using its render", config.run.edition)
    else:
        from .compose import compose
        from .render import render_within_budget

        digest = digest or compose(selection, config)
        fitted, rendered = render_within_budget(digest, config.paths.templates, budget)
        output = output_problems(rendered, config)
        if key:
            save_render(config, key, (fitted, rendered, output))
    warnings = (
        *_size_problems(config, fitted, rendered),
        *preflight(fitted, rendered, config, output=output),
    )
    for problem in warnings:
        log.warning("%s", problem)
    full, listed = len(fitted.full_entries), len(fitted.entries) - len(fitted.full_entries)
    log.info(
        "%s: the email carries %s: %d with excerpts, %d as title and link",
        config.run.edition,
        plural(full + listed, "post"),
        full,
        listed,
    )
    files: tuple[Path, ...] = ()
    if write and (fitted.entries or allow_empty) and not (config.run.strict and warnings):
        check_out_dir(config)
        files = write_build(config.paths.out, fitted, rendered)
    return BuildResult(digest=fitted, rendered=rendered, files=files, warnings=warnings)


def _size_problems(config: Config, fitted: Digest, rendered: Rendered) -> Iterator[Problem]:
    where = f"{config.run.edition} output"
    budget = budget_bytes(config.digest.size_budget_kb)
    if fitted.more:
        count = len(fitted.more)
        yield Problem(
            where=where,
            message=f"the HTML would be over the {config.digest.size_budget_kb} KB size budget "
            f"({GMAIL_CLIPS}): the last {plural(count, 'post')} "
            f"{'are' if count != 1 else 'is'} listed under {fitted.more_title!r} as titles "
            "and links",
        )
    if rendered.html_bytes > budget:
        yield Problem(
            where=where,
            message=f"the HTML is {kb(rendered.html_bytes)}, over the "
            f"{config.digest.size_budget_kb} KB size budget even with every post collapsed",
        )


def build(
    config: Config,
    *,
    today: date | None = None,
    write: bool = True,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the digest; write it to ``config.paths.out`` unless ``write`` is False.

    An empty digest is rendered but not written unless ``allow_empty``: there
    is nothing to send. With ``config.run.strict``, a warning from any stage
    (config, posts, selection, render) fails the build before anything is written.
    """
    if write:
        check_out_dir(config)  # before the work, not after it
    config = numbered(config)
    loaded = load(config, progress=progress, today=today)
    selection, warnings = choose(config, today=today, loaded=loaded)
    if config.run.strict and warnings:
        raise StrictModeError([str(w) for w in warnings])
    result = render_and_write(config, selection, write=write, allow_empty=allow_empty)
    if config.run.strict and result.warnings:
        raise StrictModeError([str(w) for w in result.warnings])
    hint = (
        ""
        if selection.posts
        else nothing_selected_hint(
            loaded.posts, selection.window, config, drafts=len(loaded.drafts)
        )
    )
    return replace(result, warnings=(*warnings, *result.warnings), hint=hint)


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
    loaded = load(config, today=today)
    specs = sorted((config.edition_spec(n) for n in names), key=lambda s: (-s.priority, s.name))
    claimed: set[str] = set()
    jobs: list[tuple[Config, Selection, Digest | None, bool, bool]] = []
    warnings: dict[str, tuple[Problem, ...]] = {}
    for index, spec in enumerate(specs):
        edition = numbered(config.for_edition(spec.name))
        if write:
            check_out_dir(edition)  # here, not in a worker: its error reads clearly
        digest: Digest | None = None
        logged = index > 0  # a broken post is one warning, not one per edition
        if config.selection.exclusive_editions:
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
    if config.run.strict and all_warnings:
        raise StrictModeError(sorted(all_warnings))
    if config.run.strict:  # written only once every edition rendered without a warning
        jobs = [(c, sel, d, False, empty) for c, sel, d, _, empty in jobs]
    count = workers or min(len(jobs), os.cpu_count() or 1)
    results: list[BuildResult] = []
    import multiprocessing as mp  # deferred: a single build never forks

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
    if config.run.strict:
        render_warnings = sorted({str(w) for result in results for w in result.warnings})
        if render_warnings:
            raise StrictModeError(render_warnings)
        if write:
            results = [
                replace(result, files=write_build(job[0].paths.out, result.digest, result.rendered))
                if result.digest.entries or allow_empty
                else result
                for job, result in zip(jobs, results, strict=True)
            ]
    return {
        job[0].run.edition: replace(
            result,
            warnings=(*warnings[job[0].run.edition], *result.warnings),
            hint=""
            if job[1].posts
            else nothing_selected_hint(
                loaded.posts, job[1].window, job[0], drafts=len(loaded.drafts)
            ),
        )
        for job, result in zip(jobs, results, strict=True)
    }


# --- rebuild: a build of a past issue, pinned to what the ledger recorded ------------------


def with_feeds_of(config: Config, issues: Sequence[ledger.Issue]) -> Config:
    """``config`` with the feeds the issues' posts came from that it does not list (a
    build given ``--feed``): rebuilds read feeds as cached, so a URL needs no network.

    A ledger is input like any other: a feed file it names is read only if it is a
    file inside the project folder (digest.toml's).
    """
    known = {spec.label for spec in config.all_sources}
    root = (config.source.parent if config.source else Path.cwd()).resolve()
    extra: list[SourceSpec] = []
    for post in (p for issue in issues for p in issue.posts):
        if not post.feed or post.feed in known:
            continue
        known.add(post.feed)
        if is_feed_url(post.feed):
            extra.append(SourceSpec(feed=post.feed, location=post.feed))
            continue
        path = (root / post.feed).resolve()
        if root in path.parents and path.is_file():
            extra.append(SourceSpec(feed=post.feed, location=str(path)))
    return replace(config, sources=(*config.all_sources, *extra)) if extra else config


def rebuild(
    config: Config,
    issue_id: str,
    out_dir: Path,
    *,
    force: bool = False,
    loaded: LoadResult | None = None,
    write: bool = True,
) -> BuildResult:
    """Reproduce a past issue from the ledger, byte for byte, or say what changed.

    ``loaded`` (the posts, already read) spares the archive a load per issue;
    with ``write=False`` nothing is written (the archive writes its own pages).
    """
    if not is_safe_name(issue_id):
        raise ExportError(f"{issue_id!r} is not an issue id: ids are {SAFE_NAME_RULE}")
    if write:
        check_out_dir(config, out_dir)
    issue = ledger.find(ledger.read(config.paths.ledger), issue_id)
    return rebuild_issue(config, issue, out_dir, force=force, loaded=loaded, write=write)


def _number_of(config: Config, issue: ledger.Issue) -> int:
    """The number ``issue`` had when it was built: its edition's earlier issues, plus one."""
    earlier = 0
    for recorded in ledger.scan(config.paths.ledger).issues:
        if recorded.id == issue.id:
            break
        earlier += recorded.edition == issue.edition
    return earlier + 1


def rebuild_issue(
    config: Config,
    issue: ledger.Issue,
    out_dir: Path,
    *,
    force: bool = False,
    loaded: LoadResult | None = None,
    write: bool = True,
) -> BuildResult:
    """:func:`rebuild` for an issue already read from the ledger."""
    if not is_safe_name(issue.id) or not is_safe_name(issue.edition):
        raise ExportError(
            f"the ledger entry {issue.id!r} (edition {issue.edition!r}) has an unsafe name: "
            f"ids and editions are {SAFE_NAME_RULE}",
            where=str(config.paths.ledger),
        )
    if not (issue.since and issue.until):
        raise ExportError(
            f"the ledger entry {issue.id!r} has no window to rebuild",
            where=str(config.paths.ledger),
        )
    if write:
        check_out_dir(config, out_dir)
    edition = with_feeds_of(config.as_edition(issue.edition), [issue])
    edition = replace(
        edition,
        run=replace(
            edition.run,
            since=date.fromisoformat(issue.since),
            until=date.fromisoformat(issue.until),
            only_sources=tuple(source_key(p.source, p.feed) for p in issue.posts),
            strict=False,
            offline=True,  # feeds as cached: the feed may have moved on since
            issue_number=_number_of(config, issue),
        ),
        selection=replace(edition.selection, new_only=False),
        paths=replace(edition.paths, out=out_dir),
    )
    planned = plan(edition, loaded=loaded)
    found = {source_key(e.post.source, e.post.feed) for e in planned.digest.entries}
    missing = [
        f"{p.source} (from {p.feed})" if p.feed else p.source
        for p in issue.posts
        if source_key(p.source, p.feed) not in found
    ]
    if missing:
        raise ExportError(
            f"cannot rebuild {issue.id}: posts no longer loadable: {', '.join(missing)}"
        )
    result = render_and_write(edition, planned.selection, digest=planned.digest, write=False)
    same = (ledger.sha256_text(result.rendered.html), ledger.sha256_text(result.rendered.text)) == (
        issue.html_sha256,
        issue.text_sha256,
    )
    if not same:
        reasons = [
            f"{p.source} changed"
            for p in issue.posts
            if p.sha256
            and not p.feed
            and ledger.sha256_files([edition.paths.posts / p.source]) != p.sha256
        ]
        if issue.config_sha256 and ledger.config_sha256(edition) != issue.config_sha256:
            reasons.append(f"{edition.source} changed")
        if (
            issue.templates_sha256
            and templates_hash_for(edition.paths.templates) != issue.templates_sha256
        ):
            reasons.append("the templates changed")
        feeds = sorted({p.feed for p in issue.posts if p.feed})
        if feeds:  # items are not hashed: the feed as cached now may say something else
            reasons.append(f"{', '.join(feeds)} may have changed since (read as cached now)")
        why = "; ".join(reasons) or "digest itself changed since"
        if not force:
            raise ExportError(
                f"{issue.id} cannot be reproduced byte for byte: {why}",
                hint="--force writes the rebuild anyway",
            )
        log.warning("%s differs from what was sent: %s", issue.id, why)
    if not write:
        return result
    files = write_build(out_dir, result.digest, result.rendered)
    return replace(result, files=files)
