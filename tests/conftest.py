"""Shared fixtures: the repository's sample project, the real corpora, and small posts."""

from __future__ import annotations

import contextlib
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


GOLDEN = Path(__file__).parent / "golden"
_GOLDEN_CHANGED = pytest.StashKey[list[str]]()


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare ``content`` with ``tests/golden/NAME``, or rewrite it with --update-golden.

    Rewritten files that really changed are listed at the end of the run, so a
    regeneration says what it touched.
    """
    update = bool(request.config.getoption("--update-golden"))
    changed = request.config.stash.setdefault(_GOLDEN_CHANGED, [])

    def compare(name: str, content: str) -> None:
        path = GOLDEN / name
        # bytes, not text: line endings are part of the output (an .eml's are CRLF)
        old = path.read_bytes().decode("utf-8") if path.exists() else None
        if update:
            if old != content:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content.encode("utf-8"))
                changed.append(name)
            return
        assert old is not None, f"{path} is missing: run pytest --update-golden"
        assert content == old, (
            f"{name} differs from the golden file; if the change is intended, "
            "run pytest --update-golden and review the diff"
        )

    return compare


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not config.getoption("--update-golden"):
        return
    changed = sorted(set(config.stash.get(_GOLDEN_CHANGED, [])))
    terminalreporter.write_line(
        "golden files rewritten: " + (", ".join(changed) if changed else "none changed")
    )


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


def sample_config_in(tmp: Path) -> Config:
    """The repository's sample configuration with every output redirected into ``tmp``.

    The sample's own paths point into the repository (``dist/``, the cache,
    the ledger); tests never write there, and a render cache shared between
    tests would let a test compare a cached render with itself.
    """
    return load_config(REPO / "digest.toml").but(
        out_dir=tmp / "dist", cache_dir=None, ledger_path=tmp / "digest-ledger.jsonl"
    )


@pytest.fixture
def sample_config(tmp_path: Path) -> Config:
    return sample_config_in(tmp_path)


# --- no test writes into the repository ------------------------------------------------------

_SCRATCH = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}


def _repository_files() -> dict[str, int]:
    """Every file in the working tree but tool caches, with its modification time."""
    found: dict[str, int] = {}
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in _SCRATCH and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder, name)
            with contextlib.suppress(OSError):
                found[str(path.relative_to(REPO))] = path.stat().st_mtime_ns
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _repository_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None or session.config.getoption("--update-golden"):
        return
    after = _repository_files()
    touched = sorted(name for name, mtime in after.items() if before.get(name) != mtime)
    if touched:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "error: tests wrote into the repository: " + ", ".join(touched[:10]), red=True
            )


_BEFORE = pytest.StashKey[dict[str, int]]()


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
