"""Helpers for the real-browser tests: Debian's Chromium driven by Playwright.

No network: every request other than the digest itself is answered locally
(images with a generated PNG), so layout tests see real image sizes.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Screenshots for people to look at: outside the repository (tests never write there),
# in $DIGEST_TEST_ARTIFACTS when set (CI can upload that folder).
ARTIFACTS = Path(
    os.environ.get("DIGEST_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "digest-test-artifacts"
)


def chromium_path() -> str | None:
    """DIGEST_CHROMIUM, else Debian's chromium on PATH."""
    return (
        os.environ.get("DIGEST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def png(width: int, height: int, rgb: tuple[int, int, int] = (120, 150, 170)) -> bytes:
    """A solid-colour PNG, made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PLACEHOLDER = png(1200, 630)


def offline(route) -> None:  # type: ignore[no-untyped-def]
    """Serve images locally; refuse every other network request."""
    request = route.request
    if request.url.startswith("file://"):
        route.continue_()
    elif request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=PLACEHOLDER)
    else:
        route.abort()
