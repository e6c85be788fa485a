"""Feeds over HTTP: bounded, conditional, cached, and one clear error when they fail.

A feed URL is hostile input like any post: the whole fetch (every redirect and
page) has one deadline, a body is read as a stream and dropped past
:data:`MAX_BYTES` (decoded bytes: a gzip bomb stops there too), redirects go
only to http(s) addresses and at most :data:`MAX_REDIRECTS` times, and
WordPress REST paging stops after :data:`MAX_PAGES` pages.

Each response is cached (body and validators) in ``<cache>/feeds/``, sealed with
the cache key like every other cache file and named by a hash of the feed's
name (:attr:`~digest.config.SourceSpec.label`), so a repeat build asks with
``If-None-Match``/``If-Modified-Since`` and a 304 reuses the body; ``--offline``
(and ``digest rebuild``) read the cache alone. Without a cache folder
(``--no-cache``) nothing is kept: every build fetches in full and ``--offline``
has nothing to read. The cache stores no URL (a URL may carry a token): files
and pages are named by hashes.

Messages name a feed by :func:`digest.links.redact_url` of it (no
``user:password@``, no ``?token=`` value), never by the address fetched.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from ..errors import DigestError
from ..links import redact_url
from ..models import Problem
from ..version import __version__

if TYPE_CHECKING:
    import httpx

    from ..config import Config, SourceSpec
    from .feedload import FeedLoad

log = logging.getLogger("digest")

DEADLINE_SECONDS = 30.0  # for one feed, every redirect and page included
MAX_BYTES = 20_000_000  # per response, decoded
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_PAGES = 20  # WordPress REST pages of PER_PAGE posts
PER_PAGE = 100
CACHE_MAGIC = "digest feed cache"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class FetchError(DigestError):
    """A feed could not be fetched (or, offline, has no cached copy)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """How much one feed may cost; tests make them small."""

    deadline: float = DEADLINE_SECONDS
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    max_pages: int = MAX_PAGES


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """One page of a feed as fetched (or cached): what parsing and the next request need."""

    page: str  # sha256 of the URL asked for: the cache's key, never the URL itself
    body: bytes
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    total_pages: int | None = None  # WordPress REST's X-WP-TotalPages
    fetched: str = ""  # when, ISO 8601 (for messages)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} bytes"


# --- the cache -----------------------------------------------------------------------------------


class _Store:
    """The cached pages of one feed (none without a cache folder): read, checked, replaced."""

    def __init__(self, config: Config, name: str):
        folder = config.paths.cache
        self.path = folder / "feeds" / f"{_hash(name)[:40]}.json" if folder else None
        self.pages = self._read()

    def _read(self) -> dict[str, Response]:
        from ..cache import _load_json  # the sealed-JSON reader every cache file goes through

        if self.path is None:
            return {}
        data = _load_json(self.path, CACHE_MAGIC)
        if data is None:
            return {}
        try:
            return {r.page: r for r in map(_decode, _items(data.get("responses")))}
        except (ValueError, TypeError) as exc:
            log.debug("ignoring the feed cache %s: %s", self.path, exc)
            return {}

    def get(self, url: str) -> Response | None:
        return self.pages.get(_hash(url))

    def save(self, responses: Iterable[Response]) -> None:
        from ..cache import _write  # sealed, atomic; a read-only cache folder is only logged

        if self.path is None:
            return
        _write(
            self.path,
            {"format": CACHE_MAGIC, "responses": [_encode(r) for r in responses]},
        )

    @property
    def fetched(self) -> str:
        return max((r.fetched for r in self.pages.values()), default="")


_TEXT = ("page", "content_type", "etag", "last_modified", "fetched")


def _items(value: Any) -> list[dict[str, Any]]:
    if type(value) is not list or not all(type(v) is dict for v in value):
        raise ValueError("not a list of responses")
    return value


def _decode(item: dict[str, Any]) -> Response:
    """A cached response, every value checked (a cache file is hostile input too)."""
    if set(item) != {*_TEXT, "body", "total_pages"}:
        raise ValueError("not a cached response")
    if not all(type(item[k]) is str for k in _TEXT) or not re.fullmatch(
        r"[0-9a-f]{64}", item["page"]
    ):
        raise ValueError("a cached response with a value of the wrong type")
    pages = item["total_pages"]
    if pages is not None and (type(pages) is not int or pages < 0):
        raise ValueError("total_pages: not a count")
    if type(item["body"]) is not str:
        raise ValueError("body: not text")
    body = base64.b64decode(item["body"], validate=True)
    return Response(body=body, total_pages=pages, **{k: item[k] for k in _TEXT})


def _encode(response: Response) -> dict[str, Any]:
    return {
        **{k: getattr(response, k) for k in _TEXT},
        "total_pages": response.total_pages,
        "body": base64.b64encode(response.body).decode("ascii"),
    }


# --- one GET: redirects, deadline, size cap ------------------------------------------------------


class _Fetcher:
    """GETs for one feed, sharing its deadline and naming it (never its URL) in errors."""

    def __init__(self, client: httpx.Client, name: str, limits: Limits, cached: bool):
        self.client, self.name, self.limits, self.cached = client, name, limits, cached
        self.deadline = time.monotonic() + limits.deadline

    def fail(self, message: str) -> FetchError:
        hint = (
            "--offline builds from the copy cached by the last successful fetch"
            if self.cached
            else None
        )
        return FetchError(f"cannot fetch the feed: {message}", where=self.name, hint=hint)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.fail(f"no complete answer within {self.limits.deadline:g} seconds")
        return left

    def get(self, url: str, cached: Response | None) -> tuple[Response, bool]:
        """The page at ``url``: (response, True) if fresh, (cached, False) on a 304."""
        import httpx

        headers = {"Accept": ACCEPT, "User-Agent": f"digest-newsletter/{__version__}"}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        current, seen = url, {url}
        for _ in range(self.limits.max_redirects + 1):
            try:
                timeout = httpx.Timeout(self.remaining())
                with self.client.stream(
                    "GET", current, headers=headers, timeout=timeout
                ) as response:
                    if response.status_code in REDIRECTS:
                        current = self._redirect(current, response, seen)
                        continue
                    if response.status_code == 304 and cached is not None:
                        return cached, False
                    if response.status_code != 200:
                        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                        raise self.fail(f"HTTP {response.status_code}{phrase}")
                    body = self._read(response)
                    return self._response(url, response, body), True
            except httpx.TimeoutException:
                raise self.fail(
                    f"no complete answer within {self.limits.deadline:g} seconds"
                ) from None
            except httpx.HTTPError as exc:  # connection refused, bad TLS, broken encoding…
                raise self.fail(self._describe(exc, url, current)) from None
            except (httpx.InvalidURL, ValueError) as exc:  # a bad port, an IDNA host…
                why = self._describe(exc, url, current)
                raise self.fail(f"not a usable address ({why})") from None
        raise self.fail(f"more than {self.limits.max_redirects} redirects")

    def _redirect(self, current: str, response: httpx.Response, seen: set[str]) -> str:
        location = _header(response, "location").strip()
        if not location:
            raise self.fail(f"HTTP {response.status_code} without a Location to go to")
        target = urljoin(current, location)
        parts = urlsplit(target)
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            shown = f"{parts.scheme}:" if parts.scheme else "an address that is not a URL"
            raise self.fail(f"redirected to {shown}; only http(s) redirects are followed")
        if target in seen:
            raise self.fail(f"redirect loop (back to {redact_url(target)})")
        seen.add(target)
        return target

    def _read(self, response: httpx.Response) -> bytes:
        """The decoded body, read as a stream: stopped past the size cap or the deadline."""
        cap = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        too_big = f"larger than the {_size(cap)} allowed for a feed"
        if (
            declared.isdigit()
            and int(declared) > cap
            and "content-encoding" not in response.headers
        ):
            raise self.fail(f"{too_big} ({_size(int(declared))})")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise self.fail(f"{too_big}: stopped reading")
            chunks.append(chunk)
            self.remaining()
        return b"".join(chunks)

    def _response(self, url: str, response: httpx.Response, body: bytes) -> Response:
        pages = response.headers.get("x-wp-totalpages", "").strip()
        return Response(
            page=_hash(url),
            body=body,
            content_type=_header(response, "content-type"),
            etag=_header(response, "etag"),
            last_modified=_header(response, "last-modified"),
            total_pages=int(pages) if pages.isdigit() and len(pages) < 7 else None,
            fetched=datetime.now().astimezone().isoformat(timespec="seconds"),
        )

    def _describe(self, exc: Exception, *urls: str) -> str:
        """An httpx error in words, with any address it quotes redacted."""
        text = " ".join(str(exc).split()) or type(exc).__name__
        for raw in urls:
            text = text.replace(raw, redact_url(raw))
            password = urlsplit(raw).password
            if password:
                text = text.replace(password, "***")
        return text[:300]


def _header(response: httpx.Response, name: str) -> str:
    value = str(response.headers.get(name, ""))
    return value if len(value) <= 1000 and value.isprintable() else ""


# --- WordPress REST ------------------------------------------------------------------------------


def is_wp_rest(url: str) -> bool:
    """A WordPress REST posts endpoint: ``/wp-json/wp/v2/posts``, ``?rest_route=/wp/v2/posts``."""
    parts = urlsplit(url)
    route = dict(parse_qsl(parts.query)).get("rest_route", "")
    return parts.path.rstrip("/").endswith("/wp/v2/posts") or route.rstrip("/") == "/wp/v2/posts"


def _with_params(url: str, params: dict[str, str], *, replace_existing: bool) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in pairs}
    if replace_existing:
        pairs = [(k, v) for k, v in pairs if k not in params]
        present = set()
    pairs += [(k, v) for k, v in params.items() if k not in present]
    return urlunsplit(parts._replace(query=urlencode(pairs, quote_via=quote, safe="/:")))


def first_page(location: str, since: datetime | None) -> str:
    """The first URL to fetch: a WordPress REST endpoint asks for 100 posts a page, with
    their authors and images embedded, published after the window's start."""
    if not is_wp_rest(location):
        return location
    params = {"per_page": str(PER_PAGE), "_embed": "1"}
    if since is not None:
        params["after"] = (since - timedelta(seconds=1)).isoformat(timespec="seconds")
    return _with_params(location, params, replace_existing=False)


def _next_page(url: str, number: int, response: Response, count: int) -> str | None:
    """The URL of page ``number + 1``, or None when page ``number`` was the last."""
    per_page = dict(parse_qsl(urlsplit(url).query)).get("per_page", "10")
    if response.total_pages is not None:
        if number >= response.total_pages:
            return None
    elif not per_page.isdigit() or count < int(per_page):
        return None
    return _with_params(url, {"page": str(number + 1)}, replace_existing=True)


# --- a feed URL, loaded --------------------------------------------------------------------------


def load_url(
    spec: SourceSpec,
    config: Config,
    *,
    since: datetime | None = None,
    limits: Limits | None = None,
) -> FeedLoad:
    """The posts of the feed at ``spec.location`` (offline: from the cache alone).

    ``since`` (the earliest day any selection of this run may take) bounds
    WordPress REST paging: pages are read until one reaches back before it,
    or there is no next page, or :data:`MAX_PAGES` were read.
    """
    limits = limits or Limits()
    name = spec.label
    store = _Store(config, name)  # by name: a rebuild knows a feed by the name its posts carry
    if config.run.offline:
        return _offline(spec, config, store)
    import httpx

    pages: list[tuple[Response, FeedLoad]] = []
    problems: list[Problem] = []
    url = first_page(spec.location, since)
    # redirects are followed by hand (http(s) only, counted); proxies from the environment
    with httpx.Client(follow_redirects=False) as client:
        fetcher = _Fetcher(client, name, limits, cached=bool(store.pages))
        for number in range(1, limits.max_pages + 1):
            response, fresh = fetcher.get(url, store.get(url))
            log.debug("%s: page %d %s", name, number, "fetched" if fresh else "not modified")
            load = _parse(response, name, config)
            pages.append((response, load))
            if load.kind != "wp-rest" or (
                since is not None and load.oldest is not None and load.oldest < since
            ):
                break
            next_url = _next_page(url, number, response, len(load.posts) + len(load.drafts))
            if next_url is None:
                break
            url = next_url
        else:
            problems.append(
                Problem(
                    where=name,
                    message=f"stopped after {limits.max_pages} pages: older posts were not read",
                )
            )
    store.save(response for response, _ in pages)
    return _merged([load for _, load in pages], problems)


def _offline(spec: SourceSpec, config: Config, store: _Store) -> FeedLoad:
    """The feed as last fetched, without the network."""
    if config.paths.cache is None:
        raise FetchError(
            "--offline reads feeds from the cache, and the cache is off (--no-cache)",
            where=spec.label,
        )
    pages = list(store.pages.values())  # in the order they were fetched
    if not pages:
        damaged = store.path is not None and store.path.exists()
        raise FetchError(
            "no cached copy to build from offline"
            + (
                " (the cached file is damaged, or was not written by this user: ignored)"
                if damaged
                else ""
            ),
            where=spec.label,
            hint="build once without --offline to fetch it",
        )
    log.info("%s: read offline, as fetched %s", spec.label, store.fetched or "earlier")
    return _merged([_parse(r, spec.label, config) for r in pages], [])


def _parse(response: Response, name: str, config: Config) -> FeedLoad:
    from .. import cache

    digest = hashlib.sha256(response.body).hexdigest()
    key = cache.feed_key(config, name, "body", response.content_type or "", digest)
    return cache.cached_feed(config, key, lambda: _parse_body(response, name, config))


def _parse_body(response: Response, name: str, config: Config) -> FeedLoad:
    from .feeds import parse_feed

    try:
        return parse_feed(
            response.body, feed=name, config=config, content_type=response.content_type or None
        )
    except DigestError as exc:
        if exc.where is None:
            exc.where = name
        raise


def _merged(loads: list[FeedLoad], problems: list[Problem]) -> FeedLoad:
    """Pages of one feed as one load (a post on two pages, as paging shifts, counted once)."""
    first = loads[0]
    seen: set[str] = set()
    posts = []
    for load in loads:
        for post in load.posts:
            if post.source not in seen:
                seen.add(post.source)
                posts.append(post)
    oldest = [load.oldest for load in loads if load.oldest is not None]
    return replace(
        first,
        posts=tuple(posts),
        problems=(*(p for load in loads for p in load.problems), *problems),
        drafts=tuple(dict.fromkeys(d for load in loads for d in load.drafts)),
        oldest=min(oldest) if oldest else None,
    )


def load_file(spec: SourceSpec, config: Config) -> FeedLoad:
    """The posts of a feed file (a WordPress export is streamed, not read whole).

    An unchanged file's posts come from the cache: the parsers are not even imported.
    """
    path = Path(spec.location)
    if not path.is_file():  # a FIFO or a device would block or never end: not read
        why = (
            "not found"
            if not path.exists()
            else "is a folder, not a feed file"
            if path.is_dir()
            else "is not a regular file: not read"
        )
        raise FetchError(f"feed file {why}", where=spec.label)
    from .. import cache

    try:
        st = path.stat()
        key = cache.feed_key(config, spec.label, "file", str(path), st.st_size, st.st_mtime_ns)
        settled = st.st_mtime_ns < time.time_ns() - cache.RACY_NS  # see digest.cache
        return cache.cached_feed(
            config,
            key if settled else None,
            lambda: _parse_file(path, spec, config),
        )
    except DigestError as exc:
        if exc.where is None:
            exc.where = spec.label
        raise
    except OSError as exc:
        raise FetchError(f"cannot read: {exc.strerror or exc}", where=spec.label) from None


def _parse_file(path: Path, spec: SourceSpec, config: Config) -> FeedLoad:
    from .feeds import parse_feed_file

    return parse_feed_file(path, feed=spec.label, config=config)


def window_start(day: date | None, config: Config) -> datetime | None:
    """The first moment of ``day`` in the site's time zone."""
    return None if day is None else datetime.combine(day, datetime.min.time(), config.site.tz)
