"""``digest preview``: the digest in a browser, rebuilt whenever a post, template or config changes.

A small HTTP server on 127.0.0.1 serves one page showing the email at phone
and desktop widths side by side, in the light or dark scheme, with the plain
text part and the ``digest check`` findings a click away. A background thread
watches the posts, templates and ``digest.toml`` (with ``watchfiles``) and
rebuilds in memory; the page polls a version number and reloads what changed.
A broken template or post shows on the page, with file and line, and the
server keeps running until it is fixed.

The server answers only requests addressed to it by a loopback name and its own
port (a web page cannot reach it through DNS rebinding), shows the email in
sandboxed frames with a no-script Content-Security-Policy, and treats a client
that goes away mid-response as routine, not as an error with a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import watchfiles

from .checks import CheckOptions, check, parts_from_manifest, summary_line
from .config import Config
from .errors import DigestError
from .manifest import Manifest
from .pipeline import build
from .sizes import budget_bytes

log = logging.getLogger("digest")
WATCH_START_SECONDS = 10.0  # at most this long for the file watcher to be in place
DARK_QUERY = "@media (prefers-color-scheme: dark)"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
REQUEST_TIMEOUT = 30.0  # seconds a client may take to send a request or read an answer

# The email: styles and images, but no scripts, forms, plugins or base URL, and
# sandboxed (an opaque origin) even when opened outside the preview page's frames.
EMAIL_CSP = (
    "default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src * data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


@dataclass
class _State:
    version: int = 0
    html: str = ""
    text: str = ""
    status: dict[str, Any] = field(default_factory=dict)


class Preview:
    """The preview server; ``start()`` it, read ``url``, ``stop()`` it."""

    def __init__(
        self, make_config: Callable[[], Config], *, host: str = "127.0.0.1", port: int = 0
    ):
        self._make_config = make_config
        self._host = host
        self._state = _State()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._dirty = threading.Event()  # set by the watcher, cleared by the builder
        self._watching = threading.Event()  # the watcher has started watching
        self._server = _QuietServer((host, port), self._handler())
        self._threads: list[threading.Thread] = []
        self._watched: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}/"

    @property
    def version(self) -> int:
        with self._lock:
            return self._state.version

    def state_html(self) -> str:
        """The email HTML the preview serves now."""
        with self._lock:
            return self._state.html

    def rebuild(self) -> None:
        """Build in memory; on failure keep serving and show the error on the page."""
        status: dict[str, Any]
        html = text = ""
        try:
            config = self._make_config()
            self._watched = [
                p for p in (config.paths.posts, config.paths.templates, config.source) if p
            ] + [Path(s.location) for s in config.all_sources if s.feed and not s.is_url]
            result = build(config, write=False, allow_empty=True)
            html, text = result.rendered.html, result.rendered.text
            record = Manifest.from_digest(result.digest)
            parts = parts_from_manifest(html, text, record)
            report = check(
                parts,
                CheckOptions(
                    budget_bytes=budget_bytes(config.digest.size_budget_kb),
                    unsubscribe_url=config.email.unsubscribe_url,
                ),
            )
            status = {
                "error": None,
                "subject": result.digest.subject,
                "preheader": result.digest.preheader,
                "window": {"since": record.since.isoformat(), "until": record.until.isoformat()},
                "posts": len(parts.posts),
                "warnings": [str(w) for w in result.warnings],
                "summary": summary_line(report),
                "findings": report.as_dict()["findings"],
            }
        except DigestError as exc:
            status = {"error": str(exc)}
        except Exception as exc:  # a bug must not take the preview down either
            log.exception("preview rebuild failed")
            status = {"error": f"internal error: {type(exc).__name__}: {exc}"}
        with self._lock:
            version = self._state.version + 1
            status["version"] = version
            self._state = _State(
                version=version,
                html=html or self._state.html,
                text=text or self._state.text,
                status=status,
            )
        log.info("preview: version %d%s", version, " (error)" if status.get("error") else "")

    def _watch(self) -> None:
        """Mark the preview dirty on every change; never stops watching during a rebuild.

        Rebuilding happens on another thread (``_build_loop``), so an edit made
        while a rebuild runs is seen and builds again. The watcher restarts only
        when the watched paths change (a new posts folder in digest.toml), and
        then asks for one more build to cover the moment it was not watching.
        """
        while not self._stop.is_set():
            paths = [p for p in self._watched if p.exists()]
            if not paths:
                self._stop.wait(0.5)
                continue
            try:
                self._watch_once(paths)
            except Exception as exc:  # e.g. an unreadable folder: say so, keep serving
                log.error("preview: watching for changes failed: %s; retrying", exc)
                self._dirty.set()
                self._stop.wait(2.0)

    def _watch_once(self, paths: list[Path]) -> None:
        """Watch the posts and templates folders (recursively) and digest.toml itself —
        never the whole project folder, which may hold anything (links to ``/``)."""
        config_files = {p.resolve() for p in paths if p.is_file()}

        def wanted(change: watchfiles.Change, name: str) -> bool:
            path = Path(name).resolve()
            if path in config_files:
                return True
            return any(p.is_dir() and p.resolve() in path.parents for p in paths) and (
                ".digest-cache" not in path.parts and not path.name.startswith(".")
            )

        for changes in watchfiles.watch(
            *paths,
            watch_filter=wanted,
            stop_event=self._stop,
            debounce=200,
            step=50,
            rust_timeout=500,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            self._watching.set()  # a first (empty) answer: the watch is in place
            if changes:
                self._dirty.set()
            if any(Path(name).resolve() in config_files for _, name in changes):
                self._dirty.set()
                return  # an editor may have replaced the file: watch the new one
            if [p for p in self._watched if p.exists()] != paths:
                self._dirty.set()  # what changed while no watcher ran is built too
                return

    def _build_loop(self) -> None:
        while not self._stop.is_set():
            if self._dirty.wait(0.5):
                self._dirty.clear()
                self.rebuild()

    def start(self) -> Preview:
        """Build once, then serve, watch and rebuild; returns once the watch is in place,
        so that an edit saved right after start is seen."""
        self.rebuild()
        for target in (self._server.serve_forever, self._watch, self._build_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._watching.wait(WATCH_START_SECONDS)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    # --- HTTP ---------------------------------------------------------------------------------

    def _snapshot(self) -> _State:
        with self._lock:
            return self._state

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        preview = self

        class Handler(BaseHTTPRequestHandler):
            timeout = REQUEST_TIMEOUT  # a stalled client cannot hold a thread forever

            def parse_request(self) -> bool:
                """Refuse, for every method, a request not addressed to this server by name."""
                if not super().parse_request():
                    return False
                hosts = self.headers.get_all("Host") or []
                port = preview._server.server_port
                if len(hosts) == 1 and host_allowed(hosts[0], port):
                    return True
                self.close_connection = True
                message = f"forbidden: the preview answers only to {allowed_hosts(port)[0]}\n"
                self._send(403, "text/plain; charset=utf-8", message.encode())
                return False

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                state = preview._snapshot()
                if parts.path == "/":
                    self._send(200, "text/html; charset=utf-8", page(), page_csp())
                elif parts.path == "/status.json":
                    self._send(200, "application/json", json.dumps(state.status).encode())
                elif parts.path == "/email.html":
                    scheme = parse_qs(parts.query).get("scheme", ["light"])[0]
                    html = with_scheme(state.html, scheme).encode()
                    self._send(200, "text/html; charset=utf-8", html, EMAIL_CSP)
                elif parts.path == "/email.txt":
                    self._send(200, "text/plain; charset=utf-8", state.text.encode())
                else:
                    self._send(404, "text/plain; charset=utf-8", b"not found")

            def _send(
                self, status: int, content_type: str, body: bytes, csp: str | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Referrer-Policy", "no-referrer")
                if csp:
                    self.send_header("Content-Security-Policy", csp)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("preview: " + format, *args)

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """A client that disconnects mid-answer is logged at debug level, not with a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("preview: client %s went away (%s)", client_address[0], error)
        else:
            log.error("preview: request from %s failed: %r", client_address[0], error)
            log.debug("preview: request failure", exc_info=error)


def allowed_hosts(port: int) -> tuple[str, ...]:
    """The Host values a browser sends for this server: a loopback name and the port."""
    named = tuple(f"{name}:{port}" for name in LOOPBACK_NAMES)
    return named + (LOOPBACK_NAMES if port == 80 else ())


def host_allowed(host: str, port: int) -> bool:
    """Whether ``host`` (a Host header) names this server, so no rebound DNS name gets in."""
    return host.strip().lower() in allowed_hosts(port)


def with_scheme(html: str, scheme: str) -> str:
    """Force the email's dark-mode styles on or off, whatever the viewer's own setting."""
    return html.replace(DARK_QUERY, "@media all" if scheme == "dark" else "@media not all")


@cache
def page() -> bytes:
    """The preview page (data/preview.html): HTML, CSS and a little script, no dependencies."""
    return files("digest").joinpath("data", "preview.html").read_bytes()


@cache
def page_csp() -> str:
    """The page's policy: its own inline script (by hash) and same-origin fetches and frames."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in re.findall(rb"<script>(.*?)</script>", page(), re.DOTALL)
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
