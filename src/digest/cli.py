"""The ``digest`` command: a thin click layer over :mod:`digest.pipeline`.

The only module that imports click and configures logging. Flags default to
``None`` so that ``digest.toml`` wins unless a flag is given. Every
:class:`~digest.errors.DigestError` becomes one clear message and its exit
code (1 for content and configuration, 2 for usage); no traceback reaches a
user unless they ask for one with ``-vv``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .dates import parse_day, parse_span
from .errors import DigestError, StrictModeError
from .sizes import budget_bytes, kb
from .version import __version__
from .wording import plural

# The stages (and the libraries they use) are imported by the commands that need them:
# `digest --version` and `--help` load none of them.
if TYPE_CHECKING:
    from .config import Config
    from .delivery import ExportResult
    from .models import BuildResult

log = logging.getLogger("digest")
F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[Any], Any]


def load_config(path: Path | None, *, overrides: Mapping[str, Any] | None = None) -> Config:
    """:func:`digest.config.load_config`, imported on first use."""
    from .config import load_config as load

    return load(path, overrides=overrides)


class _Since(click.ParamType[date | int]):
    """``2026-11-19`` (a day) or ``7d``/``2w`` (a window length ending with --until)."""

    name = "DATE|Nd"

    def convert(self, value: Any, param: Any, ctx: Any) -> date | int:
        if isinstance(value, (date, int)):
            return value
        try:
            days = parse_span(value)
            return days if days is not None else parse_day(value)
        except ValueError as exc:
            self.fail(f"{exc}; use a date like 2026-11-19 or a span like 7d", param, ctx)


class _Day(click.ParamType[date]):
    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_day(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _fail(message: str, exit_code: int) -> NoReturn:
    """Print ``error: message`` and leave with ``exit_code``.

    click's ``ClickException.exit_code`` is a class constant (click 8.5), while our
    exit code depends on the error, so the message is printed here and the code
    travels in ``click.exceptions.Exit``, whose exit code is per instance.
    """
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(exit_code)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def _handle_errors(func: F) -> F:
    """Turn library errors into click failures; hide tracebacks unless -vv."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DigestError as exc:
            _fail(str(exc), exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            if log.isEnabledFor(logging.DEBUG):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (run again with -vv for details, "
                "and please report it)",
                1,
            )

    return wrapper  # type: ignore[return-value]


def _config_option(help_text: str) -> Decorator:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"{help_text} [default: ./digest.toml if present].",
    )


_VERBOSITY: list[Decorator] = [
    click.option("-v", "--verbose", count=True, help="Say more (-vv: debug)."),
    click.option("-q", "--quiet", is_flag=True, help="Only errors."),
]


def _with(func: F, options: Sequence[Decorator]) -> F:
    """Apply click options in reading order (the first listed shows first in --help)."""
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True)
class Common:
    """The options every command takes: which digest.toml, and how much to say."""

    config_file: Path | None
    verbose: int
    quiet: bool


@dataclass(frozen=True, slots=True)
class SelectionFlags:
    """The flags of every command that loads and selects posts, before they meet digest.toml."""

    posts_dir: Path | None
    feeds: tuple[str, ...]
    offline: bool | None
    templates_dir: Path | None
    base_url: str | None
    timezone: str | None
    generator: str | None
    since: date | int | None  # a first day, or a span in days ending with --until
    until: date | None
    categories: tuple[str, ...]
    exclude_categories: tuple[str, ...]
    limit: int | None
    strict: bool | None
    new_only: bool | None
    no_cache: bool

    def config(self, common: Common, **extra: Any) -> Config:
        """digest.toml with these flags over it (a flag wins only when given)."""
        since = self.since
        overrides: dict[str, Any] = {
            "posts_dir": self.posts_dir,
            "feeds": self.feeds,
            "offline": self.offline,
            "templates_dir": self.templates_dir,
            "base_url": self.base_url,
            "timezone": self.timezone,
            "generator": self.generator,
            "until": self.until,
            "categories": list(self.categories) or None,
            "exclude_categories": list(self.exclude_categories) or None,
            "limit": self.limit,
            "strict": self.strict,
            "new_only": self.new_only,
            "cache_dir": False if self.no_cache else None,
            "since": since if isinstance(since, date) else None,
            "window_days": since if isinstance(since, int) else None,
            **extra,
        }
        config = load_config(common.config_file, overrides=overrides)
        if isinstance(since, int) and config.run.since is not None:
            # A span on the command line beats a fixed first day in the file.
            config = replace(config, run=replace(config.run, since=None))
        return config


_COMMON = ("config_file", "verbose", "quiet")
_SELECTION = tuple(SelectionFlags.__dataclass_fields__)


def _gathered(func: F, *, selection: bool) -> F:
    """Hand the command typed ``common`` (and ``flags``) instead of loose option values,
    with logging set up from -v/-q before it runs."""

    @wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        common = Common(**{name: kwargs.pop(name) for name in _COMMON})
        _setup_logging(common.verbose, common.quiet)
        if selection:
            kwargs["flags"] = SelectionFlags(**{name: kwargs.pop(name) for name in _SELECTION})
        return func(common=common, **kwargs)

    return wrapper  # type: ignore[return-value]


def _selection_options(func: F) -> F:
    """Options shared by every command that loads and selects posts."""
    options = [
        _config_option("Configuration file"),
        click.option(
            "--posts",
            "posts_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder of Markdown posts.",
        ),
        click.option(
            "--feed",
            "feeds",
            multiple=True,
            metavar="SOURCE",
            help="An RSS, Atom or JSON feed, WordPress export or WordPress REST URL: "
            "a file or an http(s) URL (repeatable; with --posts, replaces digest.toml's sources).",
        ),
        click.option(
            "--offline",
            is_flag=True,
            default=None,
            help="Read feeds from the cache only, without the network.",
        ),
        click.option(
            "--templates",
            "templates_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder whose templates override the built-in ones.",
        ),
        click.option("--base-url", help="Site address that relative links are resolved against."),
        click.option("--timezone", help="IANA time zone of the site, e.g. Europe/London."),
        click.option(
            "--generator",
            metavar="NAME",
            help="Whose rules place posts: hugo, jekyll, zola, eleventy, astro, "
            "mkdocs-material or none [default: [site] generator, else none].",
        ),
        click.option(
            "--since",
            type=_Since(),
            metavar="DATE|Nd",
            help="First day of the window (2026-11-19) or its length (7d, 2w).",
        ),
        click.option("--until", type=_Day(), help="Last day of the window [default: today]."),
        click.option(
            "-c",
            "--category",
            "categories",
            multiple=True,
            help="Only posts in this category (repeatable).",
        ),
        click.option(
            "--exclude-category",
            "exclude_categories",
            multiple=True,
            help="Leave out posts in this category (repeatable).",
        ),
        click.option("--limit", type=click.IntRange(min=1), help="At most this many posts."),
        click.option("--strict", is_flag=True, default=None, help="Fail on any warning."),
        click.option(
            "--new-only",
            is_flag=True,
            default=None,
            help="Leave out posts already sent in this edition (per the ledger).",
        ),
        click.option(
            "--no-cache", is_flag=True, help="Parse every post again (ignore .digest-cache/)."
        ),
        *_VERBOSITY,
    ]
    return _with(_gathered(func, selection=True), options)


def _file_options(func: F) -> F:
    """--config, -v and -q, for the commands that work on a built digest."""
    return _with(
        _gathered(func, selection=False), [_config_option("digest.toml to read"), *_VERBOSITY]
    )


class _HostPort(click.ParamType[tuple[str, int]]):
    """``HOST:PORT`` (``[::1]:25`` for IPv6) → (host, port), with a clear message otherwise."""

    name = "HOST:PORT"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        host, _, port = str(value).rpartition(":")
        if not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            self.fail(f"expected HOST:PORT, e.g. 127.0.0.1:1025, found {value!r}", param, ctx)
        return host.strip("[]"), int(port)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__,
    prog_name="digest",
    message="%(prog)s (digest-newsletter, the newsletter digest tool) %(version)s",
)
def main() -> None:
    """Turn a folder of blog posts into an email newsletter digest."""


@main.command()
@_selection_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: dist/ beside digest.toml].",
)
@click.option(
    "--edition",
    "editions",
    multiple=True,
    metavar="NAME",
    help="Build this edition into OUT/NAME/ (repeatable).",
)
@click.option(
    "--all-editions", is_flag=True, help="Build every edition in digest.toml, in parallel."
)
@click.option("--allow-empty", is_flag=True, help="Write the digest even when no post is selected.")
@click.option(
    "--export",
    "exports",
    multiple=True,
    metavar="NAME",
    help="Also export for this service (repeatable; see `digest exporters`).",
)
@click.option("--push", is_flag=True, help="With --export: send to the service's API.")
@_handle_errors
def build(
    common: Common,
    flags: SelectionFlags,
    out_dir: Path | None,
    editions: tuple[str, ...],
    all_editions: bool,
    allow_empty: bool,
    exports: tuple[str, ...],
    push: bool,
) -> None:
    """Build digest.html, digest.txt and digest.json for the selected window."""
    quiet, do_push = common.quiet, push
    if do_push and not exports:
        raise click.UsageError("--push needs --export NAME")
    if editions and all_editions:
        raise click.UsageError("--edition and --all-editions cannot be combined")
    config = flags.config(common, out_dir=out_dir)
    if editions or all_editions:
        names = [spec.name for spec in config.editions] if all_editions else list(editions)
        if not names:
            raise click.UsageError("--all-editions: digest.toml declares no [editions.NAME]")
        from .pipeline import build_editions as run_build_editions

        with _progress("rendering editions", quiet) as progress:
            results = run_build_editions(config, names, allow_empty=allow_empty, progress=progress)
        for name, result in results.items():
            _report_build(config.for_edition(name), result, exports, do_push)
        return
    from .pipeline import build as run_build

    with _progress("loading posts", quiet) as progress:
        result = run_build(config, allow_empty=allow_empty, progress=progress)
    _report_build(config, result, exports, do_push)


def _report_build(
    config: Config, result: BuildResult, exports: tuple[str, ...], do_push: bool
) -> None:
    window = result.digest.window
    label = "" if config.run.edition == "digest" else f"{config.run.edition}: "
    if not result.files:
        if log.isEnabledFor(logging.WARNING):
            new = "new " if config.selection.new_only else ""
            hint = f"; {result.hint}" if result.hint else ""
            click.echo(
                f"{label}nothing to send: no {new}posts dated {window.since} to {window.until}"
                f"{hint}; nothing was written (--allow-empty writes it anyway)",
                err=True,
            )
        return
    count = len(result.digest.entries)
    if log.isEnabledFor(logging.WARNING):  # -q leaves only errors
        click.echo(
            f"{label}{plural(count, 'post')} from {window.since} to {window.until} "
            f"→ {config.paths.out}  ({kb(result.rendered.html_bytes)} HTML)",
            err=True,
        )
        click.echo(f"{label}subject: {result.digest.subject}", err=True)
    if exports:
        from .delivery import export as run_export

        _report_exports(run_export(config, config.paths.out, exports, do_push=do_push))


@contextmanager
def _progress(label: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (never in pipes, CI logs or with -q)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@main.command(name="list")
@_selection_options
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option("--edition", metavar="NAME", help="What this edition would select.")
@_handle_errors
def list_posts(common: Common, flags: SelectionFlags, as_json: bool, edition: str | None) -> None:
    """Show what a build would select, without writing anything."""
    config = flags.config(common)
    if edition:
        config = config.for_edition(edition)
    from .pipeline import plan as run_plan

    planned = run_plan(config)
    if config.run.strict and planned.warnings:
        raise StrictModeError([str(w) for w in planned.warnings])
    if as_json:
        from .manifest import Manifest

        click.echo(Manifest.from_digest(planned.digest).dumps(), nl=False)
        return
    rows = [
        (e.post.day.isoformat(), section.title, e.post.title, e.post.author, e.post.source)
        for section in planned.digest.sections
        for e in section.entries
    ]
    window = planned.digest.window
    if not rows:
        from .select import nothing_selected_hint

        hint = nothing_selected_hint(
            planned.loaded.posts, window, config, drafts=len(planned.loaded.drafts)
        )
        click.echo(f"no posts dated {window.since} to {window.until}; {hint}")
        return
    headers = ("date", "section", "title", "author", "source")
    widths = [min(max(len(r[i]) for r in [headers, *rows]), 48) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            cell = cell if len(cell) <= width else cell[: width - 1] + "…"
            out.append(cell.ljust(width))
        return "  ".join(out).rstrip()

    click.echo(line(headers))
    click.echo(line(tuple("-" * w for w in widths)))
    for row in rows:
        click.echo(line(row))
    click.echo(f"\n{plural(len(rows), 'post')} from {window.since} to {window.until}")


class _CheckCommand(click.Command):
    """``check``: PATH is required unless --matrix is given, refused while parsing as before."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        if ctx.params.get("path") is None and not ctx.params.get("matrix"):
            [path] = [p for p in self.params if p.name == "path"]
            raise click.MissingParameter(ctx=ctx, param=path, param_hint="'PATH'")
        return rest


@main.command(name="check", cls=_CheckCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="Fail on warnings as well as errors.")
@click.option(
    "--matrix",
    is_flag=True,
    help="Instead of PATH: render the templates against built-in edge cases, every rule on each.",
)
@click.option(
    "--cell",
    "cells",
    multiple=True,
    metavar="NAME",
    help="With --matrix: only this cell (repeatable).",
)
@click.option(
    "--browser",
    is_flag=True,
    help="With --matrix: lay each cell out in Chromium (375/600/1024 px, light and dark).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --matrix: write an HTML report (and screenshots with --browser) into this folder.",
)
@click.option(
    "--compare",
    "compare_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="With --matrix --browser: the pixel difference against this earlier --report folder.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option("--budget-kb", type=click.IntRange(min=10), help="Size budget in KB [default: 90].")
@click.option(
    "--allow",
    multiple=True,
    metavar="FEATURE",
    help="A caniemail feature (e.g. css-display-flex) to accept (repeatable).",
)
@click.option(
    "--site",
    metavar="DIR|URL",
    help="Check every post link against the published site: a built site folder "
    "(public/, _site/), a sitemap or a feed, as a file or an http(s) URL "
    "[default: [site] verify].",
)
@_file_options
@_handle_errors
def check_command(
    common: Common,
    path: Path | None,
    strict: bool,
    matrix: bool,
    cells: tuple[str, ...],
    browser: bool,
    report_dir: Path | None,
    compare_dir: Path | None,
    fmt: str,
    output: Path | None,
    budget_kb: int | None,
    allow: tuple[str, ...],
    site: str | None,
) -> None:
    """Inspect a built digest (a folder, or an .html file beside its .txt) as an inbox would.

    With --matrix instead of PATH, render the templates (yours included) against
    built-in edge cases and the current digest, and run every rule on each.
    Exit status 1 when there are errors, or warnings with --strict.
    """
    from .checks import CheckOptions, as_junit, check, parts_from_manifest, summary_line
    from .output import read_build, to_json

    config = load_config(common.config_file)
    if budget_kb is not None:
        config = config.but(size_budget_kb=budget_kb)
    if matrix:
        rendered, failed = _check_matrix(
            common, config, strict, fmt, cells, allow, browser, report_dir, compare_dir, path
        )
        _emit_report(config, output, rendered)
        if failed:
            raise click.exceptions.Exit(1)
        return
    if cells or browser or report_dir or compare_dir:
        raise click.UsageError("--cell, --browser, --report and --compare go with --matrix")
    if path is None:
        raise click.UsageError("give a built digest (a folder or an .html file), or --matrix")
    options = CheckOptions(
        budget_bytes=budget_bytes(budget_kb or config.digest.size_budget_kb),
        unsubscribe_url=config.email.unsubscribe_url,
        allow_features=allow,
        site=site or config.site.verify,
        base_url=config.site.url,
        postal_address=config.email.postal_address,
    )
    report = check(parts_from_manifest(*read_build(path)), options)
    if fmt == "json":
        rendered = to_json(
            {**report.as_dict(), "strict": strict, "passed": not report.failed(strict=strict)}
        )
    elif fmt == "junit":
        rendered = as_junit(report, strict=strict)
    else:
        # -v also lists the notes; -q leaves only the summary line
        shown = [f for f in report.findings if common.verbose or f.severity != "info"]
        lines = [] if common.quiet else [str(f) for f in shown]
        verdict = "FAILED" if report.failed(strict=strict) else "passed"
        lines.append(f"{verdict}: {summary_line(report)}" + (" (strict)" if strict else ""))
        rendered = "\n".join(lines) + "\n"
    _emit_report(config, output, rendered)
    if report.failed(strict=strict):
        raise click.exceptions.Exit(1)


def _emit_report(config: Config, output: Path | None, rendered: str) -> None:
    if output is not None:
        from .output import write_files
        from .pipeline import check_report_file

        check_report_file(config, output)
        write_files(output.parent, {output.name: rendered})
    else:
        click.echo(rendered, nl=False)


def _check_matrix(
    common: Common,
    config: Config,
    strict: bool,
    fmt: str,
    cells: tuple[str, ...],
    allow: tuple[str, ...],
    browser: bool,
    report_dir: Path | None,
    compare_dir: Path | None,
    path: Path | None,
) -> tuple[str, bool]:
    """``check --matrix``: the report in ``fmt`` and whether it failed."""
    from .checks.matrix import cells as matrix_cells
    from .checks.matrix_report import MatrixRun, as_dict, as_junit, as_text, run
    from .output import to_json

    if path is not None:
        raise click.UsageError("--matrix checks the templates, not a built digest: drop PATH")
    if compare_dir is not None and not browser:
        raise click.UsageError("--compare compares screenshots: add --browser")
    known = [c.name for c in matrix_cells(config)]
    unknown = [c for c in cells if c not in known]
    if unknown:
        raise click.UsageError(f"unknown cell {unknown[0]!r}; choose from: {', '.join(known)}")
    outcome = run(
        config,
        MatrixRun(
            allow=allow,
            cells=cells,
            browser=browser,
            report_dir=report_dir,
            compare_dir=compare_dir,
            strict=strict,
        ),
    )
    result = outcome.result
    if report_dir is not None and log.isEnabledFor(logging.WARNING):
        click.echo(f"report: wrote {report_dir / 'index.html'}", err=True)
    if fmt == "json":
        rendered = to_json(as_dict(result, strict=strict))
    elif fmt == "junit":
        rendered = as_junit(result, strict=strict)
    else:
        rendered = as_text(result, strict=strict, verbose=common.verbose, quiet=common.quiet)
    return rendered, result.failed(strict=strict)


def _report_exports(results: list[ExportResult]) -> None:
    if not log.isEnabledFor(logging.WARNING):  # -q
        return
    for result in results:
        for path in result.files:
            click.echo(f"{result.name}: wrote {path}", err=True)
        for response in result.pushed:
            click.echo(f"{response.label}: HTTP {response.status}", err=True)


@main.command(name="export")
@click.argument("build_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--to",
    "names",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Exporter name (repeatable): eml, mbox, mailchimp, sendgrid, … (see `digest exporters`).",
)
@click.option(
    "--push",
    is_flag=True,
    help="Send the payload to the service's API (credentials from the environment).",
)
@click.option(
    "--again",
    is_flag=True,
    help="With --push: push a digest the ledger says this service already received.",
)
@_file_options
@_handle_errors
def export_command(
    common: Common, build_dir: Path, names: tuple[str, ...], push: bool, again: bool
) -> None:
    """Write what a mailing service accepts for a built digest (and push it with --push)."""
    from .delivery import export as run_export

    config = load_config(common.config_file)
    for warning in config.warnings:
        log.warning("%s", warning)
    if again and not push:
        raise click.UsageError("--again goes with --push")
    _report_exports(run_export(config, build_dir, names, do_push=push, again=again))


@main.command(name="exporters")
@_handle_errors
def exporters_command() -> None:
    """List the exporters: built-in and plugins, with what --push needs."""
    from .exporters import registry

    _setup_logging(0, False)
    found, problems = registry()
    for problem in problems:
        log.warning("%s", problem)
    width = max(len(name) for name in found)
    for name, entry in sorted(found.items()):
        exporter = entry.exporter
        creds = exporter.credentials
        push = "no push" if creds is None else "push: " + ", ".join(creds.required)
        click.echo(f"{name.ljust(width)}  {exporter.description}")
        click.echo(f"{' ' * width}  ({entry.origin}; {push})")


@main.command(name="send")
@click.argument("build_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--smtp", "server", required=True, type=_HostPort(), help="SMTP server, e.g. 127.0.0.1:1025."
)
@click.option("--to", "recipients", multiple=True, required=True, help="Recipient (repeatable).")
@click.option("--from", "sender", help="Envelope sender [default: [email] from].")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option("--user", help="Log in as this user; the password comes from DIGEST_SMTP_PASSWORD.")
@click.option(
    "--record",
    "record_issue",
    is_flag=True,
    help="Record the issue in the ledger as sent (the send is the real one, not a test copy).",
)
@_file_options
@_handle_errors
def send_command(
    common: Common,
    build_dir: Path,
    server: tuple[str, int],
    recipients: tuple[str, ...],
    sender: str | None,
    starttls: bool,
    user: str | None,
    record_issue: bool,
) -> None:
    """Send a test copy of a built digest over SMTP (exactly the exported digest.eml).

    A test copy is not recorded in the ledger; --record records a real send.
    """
    from .delivery import send as run_send

    config = load_config(common.config_file)
    host, port = server
    eml = run_send(
        config,
        build_dir,
        host=host,
        port=port,
        recipients=recipients,
        sender=sender,
        starttls=starttls,
        user=user,
        record_issue=record_issue,
    )
    if not common.quiet:
        click.echo(f"sent {eml} to {', '.join(recipients)} via {host}:{port}", err=True)


@main.command(name="mark-sent")
@click.argument("build_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_file_options
@_handle_errors
def mark_sent_command(common: Common, build_dir: Path) -> None:
    """Record a built digest in the ledger as sent (for services digest does not push to)."""
    from .delivery import record as run_record

    config = load_config(common.config_file)
    issue = run_record(config, build_dir, via="mark-sent")
    if not common.quiet:
        click.echo(
            f"recorded {issue.id} ({plural(len(issue.posts), 'post')}) in {config.paths.ledger}",
            err=True,
        )


@main.command(name="rebuild")
@click.argument("issue_id")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: OUT/rebuild/ISSUE].",
)
@click.option(
    "--force", is_flag=True, help="Write the rebuild even if it differs from what was sent."
)
@_file_options
@_handle_errors
def rebuild_command(common: Common, issue_id: str, out_dir: Path | None, force: bool) -> None:
    """Reproduce a past issue from the ledger, byte for byte."""
    from .pipeline import rebuild as run_rebuild

    config = load_config(common.config_file)
    target = out_dir or config.paths.out / "rebuild" / issue_id
    result = run_rebuild(config, issue_id, target, force=force)
    if not common.quiet:
        click.echo(f"rebuilt {issue_id} → {target} ({plural(len(result.files), 'file')})", err=True)


@main.command(name="init")
@click.argument(
    "site", type=click.Path(file_okay=False, path_type=Path), default=Path("."), required=False
)
@click.option("--force", is_flag=True, help="Replace an existing digest.toml.")
@click.option(
    "--generator",
    metavar="NAME",
    help="Take the site as this generator's instead of detecting it (none: a starter file).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@_handle_errors
def init_command(site: Path, force: bool, generator: str | None, quiet: bool) -> None:
    """Write a digest.toml for the site in SITE (default: here), from its generator's config."""
    from .init import init_site

    result = init_site(site, force=force, generator=generator)
    if quiet:
        return
    click.echo(f"wrote {result.path}", err=True)
    for line in result.found:
        click.echo(f"  found:   {line}", err=True)
    for line in result.guessed:
        click.echo(f"  guessed: {line}", err=True)
    click.echo("next: digest build (or digest list to see the posts it finds)", err=True)


@main.command(name="archive")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the static archive site.",
)
@_file_options
@_handle_errors
def archive_command(common: Common, out_dir: Path) -> None:
    """Write a static site of past issues (from the ledger) to serve as "view in browser"."""
    from .archive import write_archive

    config = load_config(common.config_file)
    files = write_archive(config, out_dir)
    if not common.quiet:
        click.echo(f"archive: {plural(len(files), 'file')} → {out_dir}", err=True)


@main.command(name="preview")
@_selection_options
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8025,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
@click.option("--edition", metavar="NAME", help="Preview this edition, as `build --edition`.")
@_handle_errors
def preview_command(
    common: Common, flags: SelectionFlags, port: int, no_open: bool, edition: str | None
) -> None:
    """Serve a live preview that rebuilds when posts, templates or digest.toml change."""

    def configure() -> Config:
        config = flags.config(common)
        return config.for_edition(edition) if edition else config

    configure()  # fail now, with a clear message, if the configuration or edition is wrong
    from .preview import Preview

    try:
        server = Preview(configure, port=port).start()
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", 1)
    click.echo(f"preview at {server.url} (Ctrl-C to stop)", err=True)
    if not no_open:
        import webbrowser

        webbrowser.open(server.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
