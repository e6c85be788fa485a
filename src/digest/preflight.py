"""The cheap part of ``digest check``, run by every build: warn before the subscriber does.

``digest build`` used to exit 0 on a config that ``digest check`` or an exporter
would refuse later (no unsubscribe link, no sender), or on titles that show
Markdown or HTML literally in the inbox. These findings cost a few
milliseconds, so every build reports them as warnings that say what to set;
``--strict`` fails on them before anything is written. The slow, client-level
rules (CSS support, contrast, images) stay in ``digest check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .config import Config
from .errors import DigestError
from .models import Digest, Problem, Rendered

if TYPE_CHECKING:
    from .checks import Finding

# Markup that shows literally in a subject line, a text part and an HTML title.
_HTML = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});"
)
_MARKDOWN = re.compile(
    r"\*\*[^*\s][^*]*\*\*"  # **strong**
    r"|(?<![\w*])\*[^*\s][^*]*\*(?![\w*])"  # *emphasis*
    r"|(?<!\w)__[^_\s][^_]*__(?!\w)"  # __strong__
    r"|\[[^\]]+\]\([^)\s]+\)"  # [link](url)
    r"|!\[[^\]]*\]\([^)]*\)"  # ![image](src)
)


def markup_in(value: str) -> str | None:
    """A short description of the Markdown or HTML left in ``value``, or None."""
    if match := _HTML.search(value):
        return f"HTML ({match.group(0)[:30]!r})"
    if match := _MARKDOWN.search(value):
        return f"Markdown ({match.group(0)[:30]!r})"
    return None


def _untagged_exports(config: Config) -> list[str]:
    """The configured export targets that have no unsubscribe tag of their own."""
    from .exporters import get_exporter

    names = []
    for name, raw in config.exports.items():
        try:
            exporter = get_exporter(name)
            options, _ = exporter.validate_options(raw)
            if exporter.unsubscribe_tag(options) is None:
                names.append(name)
        except DigestError:  # an unknown exporter or bad options are reported where used
            names.append(name)
    return names


def _config_problems(config: Config, where: str) -> Iterator[Problem]:
    if not (config.email.unsubscribe_url or config.email.unsubscribe_mailto):
        # Every configured service filling in its own tag is enough; otherwise say so.
        untagged = _untagged_exports(config) if config.exports else ["(none configured)"]
        if untagged:
            yield Problem(
                where=where,
                message="no unsubscribe link: set [email] unsubscribe_url (or "
                "unsubscribe_mailto); services with their own unsubscribe tag (Mailchimp's "
                "*|UNSUB|*, Mailgun's %unsubscribe_url%, …) fill it in on export, but .eml, "
                "`digest send` and other exports need it",
            )
    if not config.email.sender:
        yield Problem(
            where=where,
            message='no sender: set [email] from = "Name <address@example.org>" '
            "(the From header of .eml and `digest send`, and the sender name services show)",
        )


def _post_problems(digest: Digest) -> Iterator[Problem]:
    for entry in digest.entries:
        for field, value in (("title", entry.post.title), ("author", entry.post.author)):
            found = markup_in(value)
            if found:
                yield Problem(
                    where=entry.post.source,
                    message=f"the {field} contains {found}, which readers will see as typed; "
                    f"write the {field} as plain text in the frontmatter",
                )


def _finding_problems(findings: Iterable[Finding], where: str) -> Iterator[Problem]:
    for finding in findings:
        if finding.severity == "info":
            continue
        place = f" ({finding.where})" if finding.where else ""
        # the subject comes from one config key: name it, so the editor knows what to change
        yield Problem(
            where="[digest] subject" if finding.rule == "subject" else where,
            message=f"[{finding.rule}] {finding.message}{place}",
        )


def _site_problems(digest: Digest, config: Config) -> Iterator[Problem]:
    """With ``[site] verify``: each post the published site does not have (``checks.site``)."""
    if not config.site.verify:
        return
    from .checks import PostRef
    from .checks.site import site_findings

    posts = [PostRef(title=e.post.title, url=e.post.url) for e in digest.entries]
    for finding in site_findings(posts, config.site.verify, config.site.url):
        post = f"{finding.where!r}: " if finding.where else ""
        yield Problem(where="[site] verify", message=f"{post}{finding.message}")


def output_problems(rendered: Rendered, config: Config) -> tuple[Problem, ...]:
    """The cheap checks' findings on the rendered parts (the costly part of ``preflight``:
    it parses the HTML). They depend on the render alone, so they are cached with it."""
    from .checks import EmailParts, cheap_findings  # deferred: lxml, and only on a new render

    parts = EmailParts(
        html=rendered.html,
        text=rendered.text,
        subject=rendered.subject,
        preheader=rendered.preheader,
    )
    return tuple(_finding_problems(cheap_findings(parts), f"{config.run.edition} output"))


def preflight(
    digest: Digest,
    rendered: Rendered,
    config: Config,
    *,
    output: tuple[Problem, ...] | None = None,
) -> tuple[Problem, ...]:
    """Warnings about what ``digest check`` or an exporter would reject, for one build.

    ``output``: :func:`output_problems` for this render, if already known (cached).
    """
    where = str(config.source) if config.source else "[email] (no digest.toml)"
    return (
        *_config_problems(config, where),
        *_post_problems(digest),
        *(output_problems(rendered, config) if output is None else output),
        *_site_problems(digest, config),
    )
