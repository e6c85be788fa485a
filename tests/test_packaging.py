"""The wheel, installed as a user installs it, builds the sample digest.

Editable installs read templates and data straight from the checkout, so a
file missing from the wheel would pass every other test. Here the wheel is
built from the working tree, installed (not editable) into a fresh virtual
environment, and run from a folder holding only the sample posts, well away
from ``src/`` and ``templates/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLE_UNTIL, copy_sample


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: hatchling is pinned in the test extra, so this needs no network.
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        out,
        REPO,
        cwd=out,
    )
    [built] = out.glob("digest_newsletter-*.whl")
    return built


def test_the_wheel_carries_the_package_its_templates_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_templates = {p.name for p in (REPO / "templates").iterdir() if p.is_file()}
    assert {f"digest/templates/{name}" for name in shipped_templates} <= names
    assert {"digest/data/caniemail.json", "digest/data/preview.html"} <= names
    catalogs = {
        f"digest/{p.relative_to(REPO / 'src' / 'digest').as_posix()}"
        for p in (REPO / "src" / "digest" / "locale").rglob("*.po*")
    }
    assert "digest/locale/ar/LC_MESSAGES/digest.po" in catalogs
    assert catalogs <= names, sorted(catalogs - names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "digest = digest.cli:main" in scripts
    assert "digest-newsletter = digest.cli:main" in scripts
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "Name: digest-newsletter" in zipfile.ZipFile(wheel).read(metadata).decode()


def test_a_non_editable_install_builds_the_sample_digest(wheel: Path, tmp_path: Path) -> None:
    # The fresh environment borrows the test run's site-packages for the runtime
    # dependencies (a plain path in a .pth file: the editable digest's own .pth hook
    # there is not processed), and gets digest itself only from the wheel.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    own_site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).strip()
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(own_site) / "borrowed-test-deps.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    site = tmp_path / "site"
    copy_sample(site)
    clean_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=site,
        env=clean_env,
    )
    where = _run(python, "-c", "import digest; print(digest.__file__)", cwd=site, env=clean_env)
    assert Path(where.strip()).is_relative_to(env_dir), where
    assert REPO not in Path(where.strip()).parents

    output = _run(
        env_dir / "bin" / "digest-newsletter",
        "build",
        "--until",
        SAMPLE_UNTIL,
        "--no-cache",
        cwd=site,
        env=clean_env,
    )
    html = (site / "dist" / "digest.html").read_text(encoding="utf-8")
    text = (site / "dist" / "digest.txt").read_text(encoding="utf-8")
    assert "<!doctype html>" in html.lower() and "Read more" in html
    assert "Saying no without closing the door" in html and "Saying no" in text
    assert "5 posts from 2026-11-20 to 2026-11-26" in output
    manifest = json.loads((site / "dist" / "digest.json").read_text(encoding="utf-8"))
    assert sum(len(section["posts"]) for section in manifest["sections"]) == 5
    # the catalogs are read from the installed package, not from a checkout
    french = _run(
        python,
        "-c",
        "from digest.i18n import language, builtin_locale_dir as d; "
        "print(language('fr').gettext('Read more'), d())",
        cwd=site,
        env=clean_env,
    )
    assert french.startswith("Lire la suite ") and str(REPO) not in french, french
    version = _run(env_dir / "bin" / "digest", "--version", cwd=site, env=clean_env)
    assert "digest-newsletter" in version
