"""digest: turn a folder of blog posts into an email newsletter digest.

The library API mirrors the CLI's stages::

    from digest import load_config, build
    result = build(load_config("digest.toml"))
    print(result.rendered.subject, result.files)
"""

from .config import Config, load_config
from .errors import DigestError
from .models import BuildResult, Digest, Post, Rendered
from .pipeline import build, plan
from .version import __version__

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
