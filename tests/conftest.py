"""Shared fixtures: the repository's sample project, the real corpora, and small posts."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from digest.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DIGEST_SHARED", REPO.parent / "shared"))
CORPORA = SHARED / "corpora"
SAMPLE_UNTIL = "2026-11-26"

# Property-based tests (tests/test_properties.py): the same examples on every run and machine
# (derandomized, no example database written into the repository), few enough for CI's time.
# HYPOTHESIS_PROFILE=explore runs many more, randomly, when hunting for bugs locally.
# Hypothesis caches (constants, Unicode tables) go to the temporary folder, not the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "digest-hypothesis")
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "explore", parent=settings.get_profile("ci"), derandomize=False, max_examples=1000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output instead of comparing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _restore_digest_logger() -> object:
    """The CLI configures the "digest" logger per run; undo it so caplog works after."""
    logger = logging.getLogger("digest")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def copy_sample(root: Path) -> Path:
    """A copy of the sample project (posts and digest.toml) in ``root``, to break freely."""
    shutil.copytree(REPO / "posts", root / "posts")
    shutil.copy(REPO / "digest.toml", root / "digest.toml")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


@pytest.fixture
def sample_config() -> Config:
    return load_config(REPO / "digest.toml")


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"real-post corpora not found at {CORPORA} (../shared is absent)")
    return CORPORA


WritePost = Callable[..., Path]


@pytest.fixture
def write_post(tmp_path: Path) -> WritePost:
    """Write a post below tmp_path/posts; text is dedented so tests read naturally."""

    def write(name: str, text: str, *, raw: bool = False) -> Path:
        path = tmp_path / "posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if raw else textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    (tmp_path / "posts").mkdir(exist_ok=True)
    return write


@pytest.fixture
def tmp_config(tmp_path: Path) -> Callable[..., Config]:
    """A Config for tmp_path/posts with a base URL, plus any overrides."""

    def make(**overrides: object) -> Config:
        values: dict[str, object] = {
            "posts_dir": tmp_path / "posts",
            "base_url": "https://blog.example.org/",
            "timezone": "UTC",
            "out_dir": tmp_path / "out",
        }
        values.update(overrides)
        return load_config(None, overrides=values, cwd=tmp_path)

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, shared by every browser test of a run."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_ARGS, chromium_path

    path = chromium_path()
    if path is None:
        pytest.fail(
            "Chromium not found: install Debian's chromium (scripts/test does) or set DIGEST_CHROMIUM"
        )
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
