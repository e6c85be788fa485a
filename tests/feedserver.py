"""A feed server on 127.0.0.1 for the fetch and sources tests.

Each path answers from a script: a function of the request that returns
(status, headers, body), so a test can answer 304 to a conditional request,
redirect, fail, gzip, send too much, or :class:`Slow` (a body dripped a few
bytes at a time). Every request is recorded, headers included.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names


@dataclass(frozen=True)
class Slow:
    """A 200 whose body arrives a few bytes every ``interval`` seconds."""

    body: bytes
    interval: float = 0.2


Answer = tuple[int, dict[str, str], "bytes | Slow"]
Route = Callable[[Request], Answer]


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def asked(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def static(body: bytes, content_type: str = "application/rss+xml", **headers: str) -> Route:
    """Always the same 200 answer."""
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return lambda request: (200, {"Content-Type": content_type, **extra}, body)


def conditional(body: bytes, *, etag: str = "", last_modified: str = "") -> Route:
    """200 with validators, or 304 when the request carries a matching one."""

    def answer(request: Request) -> Answer:
        if etag and request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        if last_modified and request.headers.get("if-modified-since") == last_modified:
            return 304, {}, b""
        headers = {"Content-Type": "application/rss+xml"}
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        return 200, headers, body

    return answer


def gzipped(body: bytes, content_type: str = "application/rss+xml") -> Route:
    packed = gzip.compress(body)
    return lambda request: (200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, packed)


def redirect(location: str, status: int = 302) -> Route:
    return lambda request: (status, {"Location": location}, b"")


def status(code: int) -> Route:
    return lambda request: (code, {"Content-Type": "text/plain"}, b"it broke")


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            server.requests.append(request)
            route = server.routes.get(parts.path)
            code, headers, body = route(request) if route else (404, {}, b"no such feed")
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            data = body.body if isinstance(body, Slow) else body
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if isinstance(body, Slow):
                try:
                    for start in range(0, len(data), 4):
                        self.wfile.write(data[start : start + 4])
                        self.wfile.flush()
                        time.sleep(body.interval)
                except OSError:  # the client gave up, as it should
                    return
            else:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Records a handler's exception instead of printing it.

    A client that gives up mid-answer (a deadline, a size cap: what the tests
    provoke) makes the handler raise; printed, the traceback lands in whatever
    stream a concurrently running CliRunner has captured, and its output is wrong.
    """

    errors: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.errors.append(repr(sys.exc_info()[1]))


@contextmanager
def serving(routes: dict[str, Route] | None = None) -> Iterator[FeedServer]:
    """A :class:`FeedServer` listening on 127.0.0.1 for the block's duration."""
    feeds = FeedServer(routes=dict(routes or {}))
    httpd = _QuietServer(("127.0.0.1", 0), _handler(feeds))
    httpd.errors = []
    httpd.daemon_threads = True
    feeds.port = httpd.server_address[1]
    # a short poll: shutdown() waits for it, once per test
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
