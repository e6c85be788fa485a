"""Errors a user can cause and fix.

Every error that reaches a user is a :class:`DigestError`: the CLI turns it into
one clear message and an exit code instead of a traceback. Each carries the
place it is about (a file, a config key) and, where we know one, a hint.
"""

from __future__ import annotations

from collections.abc import Sequence


class DigestError(Exception):
    """Base class: a problem the user can fix. ``exit_code`` follows the CLI contract."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(DigestError):
    """``digest.toml`` (or a flag standing in for it) is wrong; lists every problem found."""

    def __init__(self, problems: Sequence[str], *, where: str | None = None):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems), where=where)

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        if len(self.problems) == 1:
            return head + self.problems[0]
        lines = [f"{head}{len(self.problems)} problems in the configuration:"]  # always > 1
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(DigestError):
    """A bad option value or combination; exit code 2 like click's own usage errors."""

    exit_code = 2


class PostError(DigestError):
    """A post that cannot be read at all (raised only where skipping is not an option)."""


class FeedError(DigestError):
    """A feed (or export) that cannot be read at all: names the feed and what is wrong."""


class TemplateError(DigestError):
    """A Jinja template is missing or broken; names the template and line."""


class RenderError(DigestError):
    """MJML or CSS inlining failed on what the templates produced."""


class ExportError(DigestError):
    """Writing or sending the digest failed."""


class UnconfirmedError(ExportError):
    """A send that may have reached the service with no answer to confirm it.

    Neither retried (it could go out twice) nor recorded as sent (it may not
    have): ``reason`` is what happened, in short, and ``check`` where the
    editor can find out which.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        check: str,
        where: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, where=where, hint=hint)
        self.reason = reason
        self.check = check


class StrictModeError(DigestError):
    """``--strict`` was given and the run produced warnings."""

    def __init__(self, warnings: Sequence[str]):
        self.warnings = tuple(warnings)
        count = len(self.warnings)
        super().__init__(
            f"--strict: {count} warning{'s' if count != 1 else ''} turned into failure"
        )
