"""Helpers for the real-browser tests: Debian's Chromium driven by Playwright.

The probes themselves (Chromium's flags, the offline router, the layout and
colour scripts, contrast) live in :mod:`digest.browser`, shared with
``digest check --matrix --browser``; this module adds what only tests need.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from digest.browser import (
    CHROMIUM_ARGS,
    COLOURS_JS,
    LAYOUT_JS,
    PLACEHOLDER,
    chromium_path,
    contrast,
    luminance,
    offline,
    png,
)

__all__ = [
    "ARTIFACTS",
    "CHROMIUM_ARGS",
    "COLOURS_JS",
    "LAYOUT_JS",
    "PLACEHOLDER",
    "chromium_path",
    "contrast",
    "luminance",
    "offline",
    "png",
]

# Screenshots for people to look at: outside the repository (tests never write there),
# in $DIGEST_TEST_ARTIFACTS when set (CI can upload that folder).
ARTIFACTS = Path(
    os.environ.get("DIGEST_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "digest-test-artifacts"
)
