"""Sending an export's requests to a service's API: the only user of httpx.

Credentials come from environment variables named by the exporter and are
never written, logged or shown: every message, from a service or about it,
goes through one :class:`~digest.exporters.scrub.Scrubber` that knows each
secret's encoded forms (base64 of the Basic-auth pair, percent-encoding, …)
before it reaches an error or a log line.

Never twice: a request is retried only when it provably did not arrive (the
connection was refused, the name did not resolve, connecting timed out) or
the service asks for it (429, honouring ``Retry-After``). A request that may
have arrived — a timeout or a dropped connection after it was sent, a 5xx —
is retried only on endpoints that do not send mail (creating a draft) or that
take an idempotency key; on the others it ends the push as unconfirmed
(:class:`~digest.errors.UnconfirmedError`), for the editor to check. Any
other 4xx stops at once with the service's own explanation.

One deadline per request (:data:`DEADLINE_SECONDS`) covers connecting,
sending and reading the whole answer: httpx's own timeouts are per operation,
so a server that drips a byte every few seconds would never trip them. Each
attempt runs under ``asyncio.timeout`` with httpx's async client, which
cancels it wherever it is; the answer read is capped too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import ExportError, UnconfirmedError
from .base import Expect, Export, Exporter, HttpRequest
from .scrub import Scrubber

log = logging.getLogger("digest")

TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # per operation, within the deadline
DEADLINE_SECONDS = 60.0  # per request: connect, send and read the answer
PUSH_BUDGET_SECONDS = 180.0  # all attempts of one request together, waits included
MAX_ANSWER_BYTES = 1_000_000  # an answer is an id or a message: the rest is not read
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PushResponse:
    label: str
    status: int
    body: Any
    id: str = ""  # the id the service gave what it created or sent


class SigV4(httpx.Auth):
    """AWS Signature Version 4 for httpx, with botocore's signer (not hand-rolled)."""

    requires_request_body = True

    def __init__(
        self, access_key: str, secret_key: str, token: str | None, region: str, service: str
    ):
        try:
            from botocore.auth import SigV4Auth
            from botocore.credentials import Credentials as AwsCredentials
        except ImportError:
            raise ExportError(
                "pushing to Amazon SES needs botocore's request signer",
                hint="pip install 'digest-newsletter[ses]'",
            ) from None
        self._signer = SigV4Auth(AwsCredentials(access_key, secret_key, token), service, region)

    def auth_flow(self, request: httpx.Request) -> Any:
        from botocore.awsrequest import AWSRequest

        aws = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"Content-Type": request.headers.get("Content-Type", "")},
        )
        self._signer.add_auth(aws)
        for key, value in aws.headers.items():
            request.headers[key] = value
        yield request


def _auth(
    exporter: Exporter, env: Mapping[str, str]
) -> tuple[dict[str, str], httpx.Auth | None, list[str]]:
    """Headers or an httpx auth for the push, and every secret they carry."""
    creds = exporter.credentials
    if creds is None:
        raise ExportError(
            f"{exporter.name} cannot be pushed from digest",
            hint=f"use the file it writes; see the {exporter.name} exporter's description",
        )
    missing = [name for name in creds.required if not env.get(name)]
    if missing:
        raise ExportError(
            f"{exporter.name}: {' and '.join(missing)} not set",
            hint=f"credentials are read from the environment only, e.g. export {missing[0]}=…",
        )
    secret = env[creds.secret_env]
    user = env[creds.user_env] if creds.user_env else creds.user
    if creds.scheme == "basic":
        return {}, httpx.BasicAuth(user, secret), [secret]
    if creds.scheme == "aws-sigv4":
        token = env.get("AWS_SESSION_TOKEN") or None
        signer = SigV4(user, secret, token, env["AWS_REGION"], "ses")
        return {}, signer, [secret] + ([token] if token else [])
    if creds.scheme == "bearer":
        return {"Authorization": f"Bearer {secret}"}, None, [secret]
    return {creds.header: f"{creds.prefix}{secret}"}, None, [secret]


def _message(response: httpx.Response, scrub: Scrubber) -> str:
    """The service's own explanation, from the usual JSON error shapes, scrubbed.

    Scrubbed before it is shortened: a cut through a secret would leave a part
    of it that no scrubber recognises.
    """
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return scrub(response.text.strip())[:300]
    if isinstance(data, dict):
        for key in ("detail", "message", "Message", "error", "title"):
            if isinstance(data.get(key), str):
                return scrub(str(data[key]))[:300]
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            text = str(first.get("message", first)) if isinstance(first, dict) else str(first)
            return scrub(text)[:300]
    return scrub(json.dumps(data))[:300]


def _pause(seconds: float) -> None:
    """Waiting between attempts (a module function, so that tests can stand in for it)."""
    time.sleep(seconds)


def _backoff(attempt: int) -> float:
    return float(BACKOFF_SECONDS * 2 ** (attempt - 1))


def _retry_after(response: httpx.Response, attempt: int) -> float:
    """How long the service asks us to wait (seconds or an HTTP date), else the backoff."""
    header = str(response.headers.get("Retry-After", "")).strip()
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return _backoff(attempt)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def idempotency_key(request: HttpRequest) -> str:
    """The same key for the same request, in this run or the next: a re-push is recognised."""
    body = json.dumps([request.method, request.path, request.json, request.form], default=str)
    return "digest-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:48]


def _content(request: HttpRequest) -> dict[str, Any]:
    """httpx's arguments for the body: JSON, or multipart/form-data without files."""
    if request.form is None:
        return {"json": request.json}
    # (name, (None, value)) parts, repeated for lists
    return {
        "files": [
            (key, (None, str(item)))
            for key, value in request.form.items()
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ]
    }


class _DeadlinePassed(Exception):
    """The request's deadline passed; ``sent``: its first bytes had left by then."""

    def __init__(self, sent: bool):
        super().__init__()
        self.sent = sent


async def _attempt(client: httpx.AsyncClient, request: HttpRequest, url: str) -> httpx.Response:
    """One try at ``request``, answer read in full (up to the cap), within the deadline."""
    headers = (
        {request.idempotency_header: idempotency_key(request)} if request.idempotency_header else {}
    )
    sending = asyncio.Event()

    async def trace(event: str, info: Any) -> None:  # httpx's documented "trace" extension
        if event.endswith("send_request_headers.started"):
            sending.set()

    try:
        async with asyncio.timeout(DEADLINE_SECONDS):
            async with client.stream(
                request.method,
                url,
                headers=headers,
                extensions={"trace": trace},
                **_content(request),
            ) as streamed:
                body = bytearray()
                async for chunk in streamed.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_ANSWER_BYTES:
                        break
    except TimeoutError:
        raise _DeadlinePassed(sending.is_set()) from None
    # the body is decoded already: the headers that describe its encoding go
    kept = [
        (k, v)
        for k, v in streamed.headers.multi_items()
        if k.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
    ]
    return httpx.Response(
        streamed.status_code, headers=kept, content=bytes(body[:MAX_ANSWER_BYTES])
    )


def _run(coroutine: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
    """Run one attempt on an event loop of its own.

    In a thread of its own if the caller's thread already runs a loop (a
    library user's, or playwright's): a thread can run only one at a time.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-push") as worker:
        return worker.submit(_run_here, coroutine).result()


def _run_here(coroutine: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
    """Not ``asyncio.run``: closing the loop must not wait for a resolver thread
    that is still stuck in ``getaddrinfo`` after the deadline cancelled it."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


# Raised before a byte of the request left: retrying cannot send anything twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Call:
    """One request of a push, with what its outcome needs to be told."""

    request: HttpRequest
    url: str
    label: str
    scrub: Scrubber
    check: str  # where the editor can see whether it went out

    @property
    def cautious(self) -> bool:
        """An answer-less failure must not be retried: it may have sent mail."""
        return self.request.sends and not self.request.idempotency_header

    @property
    def creates(self) -> bool:
        """A POST without an idempotency key: repeating one that arrived makes a second
        campaign or draft, so an answer-less failure is not retried either."""
        return self.request.method.upper() == "POST" and not self.request.idempotency_header

    def maybe_created(self, problem: str) -> ExportError:
        return ExportError(
            f"{self.label} may have gone through: {problem}; not retried, so that it cannot "
            "create a second one",
            hint=f"check {self.check} before pushing again (push again with --again)",
        )

    def unconfirmed(self, problem: str) -> UnconfirmedError:
        return UnconfirmedError(
            f"{self.label} may have been sent: {problem}; not retried, so that it cannot "
            "go out twice",
            reason=f"{self.label}: {problem}",
            check=self.check,
        )


async def _attempt_with(client: Callable[[], httpx.AsyncClient], call: _Call) -> httpx.Response:
    async with client() as opened:
        return await _attempt(opened, call.request, call.url)


def _deliver(
    client: Callable[[], httpx.AsyncClient], call: _Call, sleep: Callable[[float], None]
) -> tuple[httpx.Response, bool]:
    """The first answer that is not a rate limit or a retried failure, and whether an
    earlier attempt may have arrived."""
    maybe_sent = False
    problem = ""
    started = time.monotonic()
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1 and time.monotonic() - started > PUSH_BUDGET_SECONDS:
            problem += f" (and the push's {PUSH_BUDGET_SECONDS:g} s budget is spent)"
            break
        try:
            response = _run(_attempt_with(client, call))
        except NOT_SENT as exc:
            problem = call.scrub(f"cannot connect ({type(exc).__name__}: {exc})")
            delay = _backoff(attempt)
        except _DeadlinePassed as exc:
            what = "no complete answer" if exc.sent else "not connected"
            problem = f"{what} within the {DEADLINE_SECONDS:g} s deadline"
            if exc.sent:
                maybe_sent = True
                if call.cautious:
                    raise call.unconfirmed(problem) from None
                if call.creates:
                    raise call.maybe_created(problem) from None
            delay = _backoff(attempt)
        except httpx.TransportError as exc:  # after the request (or part of it) was sent
            maybe_sent = True
            what = "no answer in time" if isinstance(exc, httpx.TimeoutException) else "lost"
            detail = f": {exc}" if str(exc) else ""
            problem = call.scrub(f"{what} ({type(exc).__name__}{detail})")
            if call.cautious:
                raise call.unconfirmed(problem) from None
            if call.creates:
                raise call.maybe_created(problem) from None
            delay = _backoff(attempt)
        else:
            status = response.status_code
            if status != 429 and status < 500:
                return response, maybe_sent
            problem = f"HTTP {status}: {_message(response, call.scrub)}"
            if status >= 500:
                maybe_sent = True
                if call.cautious:
                    raise call.unconfirmed(problem)
            delay = _retry_after(response, attempt)
            if delay > MAX_RETRY_AFTER:
                raise ExportError(
                    f"{call.label} failed: {problem}; the service asks to wait "
                    f"{delay:.0f} s: push again later"
                )
        if attempt < ATTEMPTS:
            log.warning("%s: %s; retrying in %.1f s", call.label, problem, delay)
            sleep(delay)
    if maybe_sent and call.request.sends:
        raise call.unconfirmed(f"failed after {ATTEMPTS} attempts: {problem}")
    raise ExportError(f"{call.label} failed after {ATTEMPTS} attempts: {problem}")


_MISSING = object()
MAX_ID_LENGTH = 200


def _member(data: Any, path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``_MISSING`` where a step is not there."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def _unexpected(expect: Expect | None, response: httpx.Response) -> tuple[str, str]:
    """(the answer's id, "") when it is what the API promises, else ("", what is wrong)."""
    status = response.status_code
    if expect is None:
        return "", ""  # an undeclared endpoint: any 2xx
    if status != expect.status:
        return "", f"HTTP {status}, where the API answers {expect.status}"
    if expect.empty:
        if response.content.strip():
            return "", f"HTTP {status} with a body, where the API sends none"
        return "", ""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "", f"HTTP {status} without the JSON body the API promises"
    if not isinstance(data, dict):
        return "", f"HTTP {status} without the JSON object the API promises"
    found = _member(data, expect.id) if expect.id else ""
    if isinstance(found, bool) or not isinstance(found, (str, int)) or (expect.id and found == ""):
        return "", f"HTTP {status} without the {expect.id!r} the API promises"
    if len(str(found)) > MAX_ID_LENGTH:
        return "", f"HTTP {status} with an id of {len(str(found))} characters"
    for key, value in expect.fields.items():
        member = _member(data, key)
        if member is _MISSING:
            return "", f"HTTP {status} without the {key!r} the API promises"
        if type(member) is not type(value) or member != value:
            return "", f"HTTP {status} with {key} = {json.dumps(member)[:40]}"
    return str(found), ""


def _redirect(response: httpx.Response, scrub: Scrubber) -> str:
    location = scrub(response.headers.get("Location", "")[:200]) or "nowhere"
    return f"HTTP {response.status_code}, a redirect to {location}"


def _address(base: str, name: str, check: str) -> httpx.URL:
    """The API address, refused before anything is sent if no request can go there.

    The message does not repeat it: it may hold a password.
    """
    try:
        url = httpx.URL(base)
        if url.scheme in {"http", "https"} and url.host and 0 < (url.port or 443) < 65536:
            return url
    except httpx.InvalidURL:
        pass
    raise ExportError(f"{name}: the API address is not an http(s) URL", hint=check)


def push(
    exporter: Exporter,
    export: Export,
    env: Mapping[str, str],
    *,
    sleep: Callable[[float], None] | None = None,
) -> list[PushResponse]:
    """Send ``export.requests`` in order; a later path's ``{id}`` is the previous response's id.

    A request succeeds only with the answer its :class:`Expect` declares; a
    redirect is never followed (the body would go to another host) and fails.
    Raises :class:`UnconfirmedError` when a request that sends mail may have
    gone out without an answer that says so.
    """
    headers, auth, secrets = _auth(exporter, env)
    base = exporter.base_url(env)
    override = exporter.credentials.base_url_env if exporter.credentials else ""
    check = f"check the API address{f' ({override})' if override else ''}"
    # a password in the address (https://user:pass@host) is a secret too
    scrub = Scrubber.of([*secrets, _address(base, exporter.name, check).password])
    responses: list[PushResponse] = []
    previous_id = ""

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=TIMEOUT,
            headers={**headers, "User-Agent": "digest"},
            auth=auth,
            follow_redirects=False,
        )

    for request in export.requests:
        # an id from a response is data, not a path: quoted, it cannot climb or query
        path = request.path.replace("{id}", quote(previous_id, safe=""))
        call = _Call(
            request=request,
            url=base + path,
            label=f"{exporter.name}: {request.label or request.method + ' ' + request.path}",
            scrub=scrub,
            check=exporter.activity_log,
        )
        response, maybe_sent = _deliver(client, call, sleep or _pause)
        answer_id, problem, hint = _judge(request.expect, response, scrub, check)
        if problem and maybe_sent and request.sends:
            raise call.unconfirmed(f"an earlier attempt got no answer, then it {problem}")
        if problem:
            if hint and request.sends:
                hint += f"; if it did go out, {exporter.activity_log} shows it"
            raise ExportError(f"{call.label} {problem}", hint=hint)
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = response.text
        previous_id = answer_id or previous_id
        log.info(
            "%s: HTTP %d%s",
            call.label,
            response.status_code,
            scrub(f", id {answer_id}") if answer_id else "",
        )
        responses.append(
            PushResponse(label=call.label, status=response.status_code, body=body, id=answer_id)
        )
    return responses


def _judge(
    expect: Expect | None, response: httpx.Response, scrub: Scrubber, check: str
) -> tuple[str, str, str | None]:
    """(id, "", None) for the promised answer, else ("", what happened, a hint)."""
    status = response.status_code
    if response.is_redirect or status < 200 or 300 <= status < 400:
        problem = f"failed: {_redirect(response, scrub)}, and a redirect is never followed"
        return "", f"{problem}; nothing was recorded as sent", check
    if status >= 400:
        return "", f"was refused: HTTP {status}: {_message(response, scrub)}", None
    answer_id, wrong = _unexpected(expect, response)
    if wrong:
        problem = f"failed: {wrong}: {_message(response, scrub)[:120]}"
        return "", f"{problem}; nothing was recorded as sent", check
    return answer_id, "", None
