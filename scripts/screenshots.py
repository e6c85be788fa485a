"""Regenerate the README screenshots of the sample digest (phone and desktop, light and dark).

    python scripts/screenshots.py

Builds the sample digest for the week to 2026-11-26, renders it in Debian's
Chromium with images served locally (see tests/browser.py), and writes
docs/digest-*.png.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM_ARGS, chromium_path, offline  # noqa: E402

from digest.config import load_config  # noqa: E402
from digest.output import write_build  # noqa: E402
from digest.pipeline import build  # noqa: E402

SHOTS = [("phone", 375, "light"), ("desktop", 1024, "light"), ("phone", 375, "dark")]


def main() -> int:
    executable = chromium_path()
    if executable is None:
        print("error: Chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(REPO / "digest.toml").but(until=date(2026, 11, 26), out_dir=Path(tmp))
        result = build(config, write=False)
        write_build(Path(tmp), result.digest, result.rendered)
        html = Path(tmp) / "digest.html"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for name, width, scheme in SHOTS:
                page = browser.new_page(
                    viewport={"width": width, "height": 1100}, color_scheme=scheme
                )
                page.route("**/*", offline)
                page.goto(html.as_uri())
                target = REPO / "docs" / f"digest-{name}-{scheme}.png"
                page.screenshot(path=str(target), full_page=False)
                print(f"wrote {target.relative_to(REPO)}")
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
