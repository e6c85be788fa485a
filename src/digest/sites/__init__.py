"""Static-site generators: one module per generator, a registry, and the rules of a run.

``[site] generator`` (or ``--generator``) names the profile whose rules decide
which files are posts, whether each is published, and the URL it is published
at. ``none`` (the default) is digest's own permalink pattern. Plugins add
profiles through the ``digest.sites`` entry-point group (an object with the
:class:`~digest.sites.base.Profile` interface); a built-in name cannot be
taken over.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .astro import AstroProfile
from .base import Profile, Rules, SiteInfo
from .eleventy import EleventyProfile
from .hugo import HugoProfile
from .jekyll import JekyllProfile
from .mkdocs import MkDocsProfile
from .none import NoneProfile
from .zola import ZolaProfile

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "Profile",
    "Rules",
    "SiteInfo",
    "detect",
    "fingerprint",
    "forget",
    "fresh_rules",
    "get",
    "names",
    "rules_for",
]

log = logging.getLogger("digest")

BUILTIN: dict[str, Profile] = {
    p.name: p
    for p in (
        HugoProfile(),
        JekyllProfile(),
        ZolaProfile(),
        EleventyProfile(),
        AstroProfile(),
        MkDocsProfile(),
        NoneProfile(),
    )
}

# The order digest init tries them in: the most specific config files first.
DETECT_ORDER = ("hugo", "zola", "jekyll", "mkdocs-material", "astro", "eleventy")


@functools.cache
def _registry() -> dict[str, Profile]:
    found = dict(BUILTIN)
    for entry in importlib.metadata.entry_points(group="digest.sites"):
        if entry.name in found:
            log.warning("site plugin %r ignored: the name is taken", entry.name)
            continue
        try:
            profile = entry.load()
        except Exception as exc:  # a broken plugin must not stop the built-ins
            log.warning("site plugin %r could not be loaded: %s", entry.name, exc)
            continue
        found[entry.name] = profile() if isinstance(profile, type) else profile
    return found


def names() -> tuple[str, ...]:
    """Every generator name ``[site] generator`` accepts."""
    return tuple(_registry())


def get(name: str) -> Profile:
    registry = _registry()
    if name not in registry:
        raise UsageError(f"unknown generator {name!r}; choose from: {', '.join(registry)}")
    return registry[name]


def _key(config: Config) -> tuple[object, ...]:
    site = config.site
    return (site.generator, site.root, config.paths.posts, site.url, site.permalink, site.timezone)


_RULES: dict[tuple[object, ...], Rules] = {}


def rules_for(config: Config) -> Rules:
    """The rules of ``config``'s generator, read once per site (and per forked worker).

    Keyed on the settings that shape them; the generator's config files are read
    again by a new process, or after :func:`forget` (the preview's rebuilds).
    """
    key = _key(config)
    found = _RULES.get(key)
    if found is None:
        if len(_RULES) >= 8:
            _RULES.clear()
        found = _RULES[key] = get(config.site.generator).rules(config)
    return found


def forget() -> None:
    """Read the generators' config files again on the next :func:`rules_for`."""
    _RULES.clear()


def fresh_rules(config: Config) -> Rules:
    """The rules, read again from the generator's config files: each load starts here, so
    a long-lived process (the preview) follows edits to hugo.toml or _config.yml."""
    forget()
    return rules_for(config)


def fingerprint(config: Config) -> str:
    """What the post cache must key on: the generator, the bytes of its config files,
    and, for a generator that hides future or expired posts, the hour (a post's fate
    changes with time, not with its file)."""
    profile = get(config.site.generator)
    digest = hashlib.sha256(config.site.generator.encode())
    root = profile.find_root(config)
    digest.update(str(root).encode())
    for path in profile.config_files(root):
        digest.update(b"\0" + str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    if rules_for(config).time_sensitive:
        digest.update(datetime.now(UTC).strftime("%Y-%m-%dT%H").encode())
    return digest.hexdigest()[:16]


def detect(root: Path) -> SiteInfo | None:
    """The first generator whose site ``root`` is, with what its config says."""
    for name in DETECT_ORDER:
        found = BUILTIN[name].detect(root)
        if found is not None:
            return found
    return None
