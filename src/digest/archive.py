"""A static web archive of past issues: the target of the email's "view in browser" link.

Every issue in the ledger is rebuilt with the same templates into
``<out>/<issue-id>/index.html`` (and its text part), and ``<out>/index.html``
lists them newest first, by edition. All links between pages are relative,
so the archive can be served from any sub-path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from . import ledger
from .config import Config
from .errors import DigestError
from .output import write_files
from .pipeline import check_out_dir, load, rebuild_issue
from .render import render_template
from .templates import make_environment

log = logging.getLogger("digest")
ARCHIVE_TEMPLATE = "archive.html.j2"


def write_archive(config: Config, out_dir: Path) -> tuple[Path, ...]:
    """Rebuild every recorded issue into ``out_dir`` and write the index page."""
    check_out_dir(config, out_dir)
    contents = ledger.scan(config.paths.ledger)
    for problem in contents.problems:  # one damaged line costs its issue, not the archive
        log.warning("archive: left out: %s", problem)
    if not contents.issues:
        if contents.problems:
            raise contents.problems[0]
        raise DigestError(
            f"the ledger has no issues yet ({config.paths.ledger})",
            hint="record sent issues with digest mark-sent, export --push or send",
        )
    written: list[Path] = []
    kept: list[ledger.Issue] = []
    loaded = load(config)  # once for every issue, not once per issue
    for issue in contents.issues:
        try:
            result = rebuild_issue(
                config, issue, out_dir / issue.id, force=True, loaded=loaded, write=False
            )
        except DigestError as exc:
            log.warning("archive: %r left out: %s", issue.id, exc.message)
            continue
        # rebuild_issue refused unsafe ids; write_files still refuses any that would leave out_dir
        written += write_files(
            out_dir,
            {
                f"{issue.id}/index.html": result.rendered.html,
                f"{issue.id}/digest.txt": result.rendered.text,
            },
        )
        kept.append(issue)
    by_edition: dict[str, list[ledger.Issue]] = {}
    for issue in sorted(kept, key=lambda i: (i.until, i.id), reverse=True):
        by_edition.setdefault(issue.edition, []).append(issue)
    html = render_index(config, sorted(by_edition.items()))
    written += write_files(out_dir, {"index.html": html})
    return tuple(written)


def render_index(config: Config, editions: Sequence[tuple[str, list[ledger.Issue]]]) -> str:
    env = make_environment(config.paths.templates, config.site.language)
    # ledger dates are ISO text: the site language's long date, after parsing them
    longdate = env.filters["longdate"]
    env.filters["longdate"] = lambda text: longdate(date.fromisoformat(text))
    return render_template(
        env,
        ARCHIVE_TEMPLATE,
        site_name=config.site.name,
        language=config.site.language,
        editions=editions,
    )
