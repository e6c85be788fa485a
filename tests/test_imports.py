"""Start-up cost: ``digest --version`` and ``--help`` must not load the stages' libraries.

Behaviour, not timing: which modules a fresh interpreter has loaded after importing the
CLI (or running ``--version``/``--help``), read from ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import REPO

# Each costs tens of milliseconds to import, and none is needed to parse a command line.
HEAVY = (
    "jinja2",
    "premailer",
    "cssutils",
    "lxml",
    "mjml",
    "httpx",
    "markdown_it",
    "nh3",
    "yaml",
    "frontmatter",
    "babel",
    "feedparser",
)


def loaded_after(code: str) -> set[str]:
    """The top-level modules loaded in a fresh interpreter after running ``code``."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        "print(json.dumps(sorted({name.partition('.')[0] for name in sys.modules})))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = loaded_after("import digest.cli")
    assert "click" in loaded  # the check itself works
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_no_stage(flag: str) -> None:
    code = (
        "from digest.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "mods = {n for n in sys.modules if n.startswith('digest.')}\n"
        "assert not mods & {'digest.config', 'digest.pipeline', 'digest.cache'}, mods\n"
    )
    loaded = loaded_after(code)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_package_api_still_loads_on_first_use() -> None:
    """``from digest import build, load_config`` works, though ``import digest`` is light."""
    loaded = loaded_after("import digest\nassert 'digest.pipeline' not in sys.modules")
    assert loaded.isdisjoint(HEAVY)
    import digest

    assert digest.build.__module__ == "digest.pipeline"
    assert digest.load_config.__module__ == "digest.config"
    assert {"Config", "DigestError", "Rendered", "plan"} <= set(dir(digest))
    with pytest.raises(AttributeError):
        digest.no_such_name  # noqa: B018


def test_a_warm_build_loads_no_rendering_or_checking_library(tmp_path) -> None:
    """An unchanged build reuses its cached render and the checks' findings: Jinja, MJML,
    premailer, lxml and Markdown are never imported, nor are worker processes set up."""
    import time

    from .conftest import copy_sample

    root = copy_sample(tmp_path)
    old = time.time() - 60
    for path in (root / "posts").rglob("*"):
        os.utime(path, (old, old))
    args = ["build", "-q", "--config", str(root / "digest.toml"), "--until", "2026-11-26"]
    code = f"from digest.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
    cold = loaded_after(code)
    assert {"jinja2", "mjml", "premailer", "lxml"} <= cold  # the first build renders
    warm = loaded_after(code)
    # (Babel stays: [site] language is checked against CLDR's locales whenever the
    # configuration is read, about 10 ms. The sample's feed comes from the feed cache:
    # feedparser, nh3 and Markdown are not imported.)
    assert warm.isdisjoint(
        {*HEAVY, "multiprocessing", "concurrent"} - {"yaml", "frontmatter", "babel"}
    )
