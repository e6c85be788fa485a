"""Sending an export's requests to a service's API: the only user of httpx.

Credentials come from environment variables named by the exporter and are
never written, logged or shown: every message, from a service or about it,
goes through one :class:`~digest.exporters.scrub.Scrubber` that knows each
secret's encoded forms (base64 of the Basic-auth pair, percent-encoding, …)
before it reaches an error or a log line. Rate limits (429) and server errors (5xx)
are retried with exponential backoff, honouring ``Retry-After``; any other
4xx stops at once with the service's own explanation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ..errors import ExportError
from .base import Expect, Export, Exporter, HttpRequest
from .scrub import Scrubber

log = logging.getLogger("digest")

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
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


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = str(response.headers.get("Retry-After", ""))
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER)
    return float(BACKOFF_SECONDS * 2 ** (attempt - 1))


def _send(client: httpx.Client, request: HttpRequest, url: str) -> httpx.Response:
    if request.form is not None:
        # multipart/form-data without files: (name, (None, value)) parts, repeated for lists
        parts = [
            (key, (None, str(item)))
            for key, value in request.form.items()
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ]
        return client.request(request.method, url, files=parts)
    return client.request(request.method, url, json=request.json)


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


def push(
    exporter: Exporter,
    export: Export,
    env: Mapping[str, str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> list[PushResponse]:
    """Send ``export.requests`` in order; a later path's ``{id}`` is the previous response's id.

    A request succeeds only with the answer its :class:`Expect` declares; a
    redirect is never followed (the body would go to another host) and fails.
    """
    headers, auth, secrets = _auth(exporter, env)
    base = exporter.base_url(env)
    # a password in the address (https://user:pass@host) is a secret too
    scrub = Scrubber.of([*secrets, urlsplit(base).password])
    override = exporter.credentials.base_url_env if exporter.credentials else ""
    check = f"check the API address{f' ({override})' if override else ''}"
    responses: list[PushResponse] = []
    previous_id = ""
    with httpx.Client(
        timeout=TIMEOUT,
        headers={**headers, "User-Agent": "digest"},
        auth=auth,
        transport=transport,
        follow_redirects=False,
    ) as client:
        for request in export.requests:
            # an id from a response is data, not a path: quoted, it cannot climb or query
            path = request.path.replace("{id}", quote(previous_id, safe=""))
            url = base + path
            label = f"{exporter.name}: {request.label or request.method + ' ' + request.path}"
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    response = _send(client, request, url)
                except httpx.TimeoutException:
                    problem = "timed out"
                except httpx.TransportError as exc:
                    problem = scrub(f"cannot connect ({type(exc).__name__}: {exc})")
                else:
                    if response.status_code == 429 or response.status_code >= 500:
                        problem = f"HTTP {response.status_code}: {_message(response, scrub)}"
                        if attempt < ATTEMPTS:
                            delay = _retry_after(response, attempt)
                            log.warning("%s: %s; retrying in %.0f s", label, problem, delay)
                            sleep(delay)
                            continue
                        raise ExportError(f"{label} failed after {ATTEMPTS} attempts: {problem}")
                    if response.status_code >= 400:
                        raise ExportError(
                            f"{label} was refused: HTTP {response.status_code}: "
                            f"{_message(response, scrub)}"
                        )
                    break
                if attempt == ATTEMPTS:
                    raise ExportError(f"{label} failed after {ATTEMPTS} attempts: {problem}")
                log.warning("%s: %s; retrying", label, problem)
                sleep(float(BACKOFF_SECONDS * 2 ** (attempt - 1)))
            if response.is_redirect or not response.is_success:
                raise ExportError(
                    f"{label} failed: {_redirect(response, scrub)}; "
                    "a redirect is never followed, and nothing was recorded as sent",
                    hint=check,
                )
            answer_id, wrong = _unexpected(request.expect, response)
            if wrong:
                raise ExportError(
                    f"{label} failed: {wrong}: {_message(response, scrub)[:120]}; "
                    "nothing was recorded as sent",
                    hint=f"{check}; if {exporter.name} did act on it, its dashboard shows it",
                )
            try:
                body: Any = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = response.text
            previous_id = answer_id or previous_id
            log.info(
                "%s: HTTP %d%s",
                label,
                response.status_code,
                scrub(f", id {answer_id}") if answer_id else "",
            )
            responses.append(
                PushResponse(label=label, status=response.status_code, body=body, id=answer_id)
            )
    return responses
