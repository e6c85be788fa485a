"""A stand-in for a mailing service's API on 127.0.0.1, for push tests.

It validates every request body against the service's published schema
(answering 400 with the schema's complaint, as the real API would), records
what it received, and answers from a script: a list of (status, body,
headers) tuples, so tests can make it rate-limit, fail or refuse, or of
functions of the request received that return one (to echo it back), or a
:class:`Drip`: raw bytes sent one at a time, slowly, like a stuck proxy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Validator = Callable[[str, str, Any], list[str]]
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Drip:
    """An answer written a byte every ``interval`` seconds (until the client gives up)."""

    data: bytes
    interval: float = 0.2


def drip_headers(interval: float = 0.2) -> Drip:
    """A 200 whose status line and headers take minutes to arrive."""
    return Drip(b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"." * 2000 + b"\r\n\r\n", interval)


def drip_body(interval: float = 0.2) -> Drip:
    """Headers at once, then a body that takes minutes to arrive."""
    body = b"{" + b" " * 2000 + b"}"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    return Drip(head + b"Content-Length: %d\r\n\r\n" % len(body) + body, interval)


def _created(received: Received) -> Answer:
    return 200, {"id": "cmp-1"}, {}


@dataclass
class FakeApi:
    validate: Validator
    success: Callable[[Received], Answer] = _created  # the answer when the script is empty
    script: list[Answer | Callable[[Received], Answer] | Drip] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    url: str = ""


def _parse(content_type: str, raw: bytes) -> Any:
    if content_type.startswith("application/json"):
        return json.loads(raw)
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(name, []).append(part.get_content())
        return fields
    return raw.decode()


def slow(seconds: float, answer: Answer) -> Callable[[Received], Answer]:
    """An answer given only after ``seconds``: a service that is slow to confirm."""

    def late(received: Received) -> Answer:
        time.sleep(seconds)
        return answer

    return late


def start(
    validate: Validator, success: Callable[[Received], Answer] = _created, *, port: int = 0
) -> tuple[FakeApi, ThreadingHTTPServer]:
    api = FakeApi(validate=validate, success=success)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = _parse(self.headers.get("Content-Type", ""), self.rfile.read(length))
            received = Received(self.command, self.path, dict(self.headers.items()), body)
            api.received.append(received)
            problems = api.validate(self.command, self.path, body)
            if problems:
                api.invalid.extend(problems)
                self._answer(400, {"detail": "invalid request: " + "; ".join(problems[:3])}, {})
                return
            entry = api.script.pop(0) if api.script else api.success
            if isinstance(entry, Drip):
                self._drip(entry)
                return
            status, answer, headers = entry(received) if callable(entry) else entry
            self._answer(status, answer, headers)

        def _answer(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting: that is what some tests are about
                pass

        def _drip(self, drip: Drip) -> None:
            self.close_connection = True
            try:
                for byte in drip.data:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(drip.interval)
            except OSError:  # the client gave up: the point of the test
                pass

        do_POST = do_PUT = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return api, server
