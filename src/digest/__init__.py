"""digest: turn a folder of blog posts into an email newsletter digest.

The library API mirrors the CLI's stages::

    from digest import load_config, build
    result = build(load_config("digest.toml"))
    print(result.rendered.subject, result.files)

The names are loaded on first use (PEP 562), so that importing a submodule such
as :mod:`digest.cli` does not load every stage: ``digest --version`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .config import Config, load_config
    from .errors import DigestError
    from .models import BuildResult, Digest, Post, Rendered
    from .pipeline import build, plan

_WHERE = {
    "BuildResult": "models",
    "Config": "config",
    "Digest": "models",
    "DigestError": "errors",
    "Post": "models",
    "Rendered": "models",
    "build": "pipeline",
    "load_config": "config",
    "plan": "pipeline",
}

__all__ = [
    "BuildResult",
    "Config",
    "Digest",
    "DigestError",
    "Post",
    "Rendered",
    "__version__",
    "build",
    "load_config",
    "plan",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'digest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
