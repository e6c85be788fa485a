"""Regenerate the README screenshots of the sample digest (phone and desktop, light and dark,
and phone views of the French and Arabic samples).

    python scripts/screenshots.py

Builds the sample digest for the week to 2026-11-26 and renders it in Debian's
Chromium. The sample's images (thumbnails and the logo, in posts/images/) are
served by a loopback HTTP server for the length of the script: every request for
``[site] url``/images/… is answered from it, every other request is refused, so
the screenshots show the real thumbnails and logo without touching the network.
Writes docs/screenshots/digest-*.png (digest-phone-fr.png, digest-phone-ar.png for the
languages).
"""

from __future__ import annotations

import functools
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from digest.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402
from digest.config import load_config  # noqa: E402
from digest.output import write_build  # noqa: E402
from digest.pipeline import build  # noqa: E402

# (file name, width, colour scheme, language: None for the sample's own)
SHOTS = [
    ("digest-phone-light", 375, "light", None),
    ("digest-desktop-light", 1024, "light", None),
    ("digest-phone-dark", 375, "dark", None),
    ("digest-phone-fr", 375, "light", "fr"),
    ("digest-phone-ar", 375, "light", "ar"),
]
IMAGES = REPO / "posts" / "images"
TARGET = REPO / "docs" / "screenshots"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def image_server(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs; its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    executable = chromium_path()
    if executable is None:
        print("error: Chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, image_server(IMAGES) as local:
        config = load_config(REPO / "digest.toml").but(
            until=date(2026, 11, 26),
            cache_dir=None,
            ledger_path=Path(tmp) / "ledger.jsonl",
        )
        pages: dict[str | None, Path] = {}
        for language in dict.fromkeys(lang for *_, lang in SHOTS):
            out = Path(tmp) / (language or "sample")
            built = config.but(out_dir=out, **({"language": language} if language else {}))
            result = build(built, write=False)
            write_build(out, result.digest, result.rendered)
            pages[language] = out / "digest.html"
        images = config.site.url + "images/"

        def serve(route: Any) -> None:
            url = route.request.url
            if url.startswith("file://"):
                route.continue_()
            elif url.startswith(images):
                route.fulfill(response=route.fetch(url=local + url[len(images) :]))
            else:
                route.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for name, width, scheme, language in SHOTS:
                page = browser.new_page(
                    viewport={"width": width, "height": 1100},
                    color_scheme=scheme,
                    device_scale_factor=1,
                )
                page.route("**/*", serve)
                page.goto(pages[language].as_uri())
                page.wait_for_load_state("networkidle")
                target = TARGET / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"wrote {target.relative_to(REPO)}")
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
