"""The exporter registry: built-ins plus plugins from the ``digest.exporters`` entry points.

A plugin is a class implementing :class:`~digest.exporters.base.Exporter`,
registered by its package as::

    [project.entry-points."digest.exporters"]
    myservice = "my_package.exporter:MyServiceExporter"

A plugin can add a name but never replace a built-in one (Lektor's publisher
registry refuses duplicates the same way): such a plugin is ignored with a
warning, as is one that fails to load.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from dataclasses import dataclass
from functools import cache

from ..errors import UsageError
from ..models import Problem
from .base import Credentials, Email, Expect, Export, Exporter, HttpRequest, Option
from .buttondown import ButtondownExporter
from .eml import EmlExporter, MboxExporter
from .listmonk import ListmonkExporter
from .mailchimp import MailchimpExporter
from .mailgun import MailgunExporter
from .postmark import PostmarkExporter
from .sendgrid import SendGridExporter, SendGridSingleSendExporter
from .ses import SesExporter

ENTRY_POINT_GROUP = "digest.exporters"
BUILTINS: dict[str, type[Exporter]] = {
    cls.name: cls
    for cls in (
        EmlExporter,
        MboxExporter,
        MailchimpExporter,
        SendGridExporter,
        SendGridSingleSendExporter,
        PostmarkExporter,
        SesExporter,
        MailgunExporter,
        ListmonkExporter,
        ButtondownExporter,
    )
}
log = logging.getLogger("digest")


@dataclass(frozen=True, slots=True)
class Registered:
    exporter: Exporter
    origin: str  # "built-in" or "plugin <distribution>"


@cache
def _scan() -> tuple[importlib.metadata.EntryPoint, ...]:
    """The installed plugins, scanned once per process (a scan reads every distribution)."""
    return tuple(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(_scan())


def registry() -> tuple[dict[str, Registered], list[Problem]]:
    """Every available exporter by name, and the plugins that were refused."""
    found = {name: Registered(cls(), "built-in") for name, cls in BUILTINS.items()}
    problems: list[Problem] = []
    for entry in _entry_points():
        dist = entry.dist.name if entry.dist else "unknown package"
        where = f"plugin {entry.name!r} ({dist})"
        if entry.name in found:
            owner = found[entry.name].origin
            problems.append(
                Problem(where=where, message=f"refused: the name is taken by the {owner} exporter")
            )
            continue
        try:
            loaded = entry.load()
            exporter = loaded() if isinstance(loaded, type) else loaded
        except Exception as exc:  # a broken plugin must not break digest
            problems.append(
                Problem(where=where, message=f"failed to load: {type(exc).__name__}: {exc}")
            )
            continue
        if not isinstance(exporter, Exporter):
            problems.append(
                Problem(where=where, message="refused: not a digest.exporters.base.Exporter")
            )
            continue
        found[entry.name] = Registered(exporter, f"plugin {dist}")
    return found, problems


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name``; an unknown name is answered with the choices."""
    found, problems = registry()
    for problem in problems:
        if str(problem) not in _warned:  # a refused plugin is said once per process
            _warned.add(str(problem))
            log.warning("%s", problem)
    if name not in found:
        choices = ", ".join(sorted(found))
        raise UsageError(f"unknown exporter {name!r}; choose from: {choices}")
    return found[name].exporter


_warned: set[str] = set()


def unsubscribe_placeholders() -> tuple[str, ...]:
    """Every registered exporter's unsubscribe tag, plugins included, with its aliases.

    The one list ``digest check`` accepts in place of an unsubscribe link: a
    plugin's exported HTML passes the check as a built-in's does. Each tag is
    also accepted with the spaces inside its braces left out or put in, as
    people write them by hand (``{{UnsubscribeURL}}``).
    """
    found, _ = registry()
    tags: dict[str, None] = {}
    for registered in found.values():
        exporter = registered.exporter
        for tag in (exporter.placeholder, *exporter.placeholder_aliases):
            if not tag:
                continue
            tags.update(dict.fromkeys(_spellings(tag)))
    return tuple(tags)


def _spellings(tag: str) -> tuple[str, str, str]:
    tight = re.sub(r"(\{+)\s*(.*?)\s*(\}+)", r"\1\2\3", tag)
    spaced = re.sub(r"(\{+)\s*(.*?)\s*(\}+)", r"\1 \2 \3", tag)
    return tag, tight, spaced


def preferences_placeholders() -> tuple[str, ...]:
    """Every registered exporter's preferences tag: links ``digest check`` accepts as
    filled in by the service (never as an unsubscribe link)."""
    found, _ = registry()
    tags: dict[str, None] = {}
    for registered in found.values():
        tag = registered.exporter.preferences_placeholder
        if tag:
            tags.update(dict.fromkeys(_spellings(tag)))
    return tuple(tags)


__all__ = [
    "BUILTINS",
    "Credentials",
    "Email",
    "Expect",
    "Export",
    "Exporter",
    "HttpRequest",
    "Option",
    "Registered",
    "get_exporter",
    "preferences_placeholders",
    "registry",
    "unsubscribe_placeholders",
]
