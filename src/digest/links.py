"""Making links absolute and safe: the one place that decides what a link may be.

An email has no "current page", so every link and image must be absolute.
Post content is untrusted: only ``http``, ``https`` and ``mailto`` survive.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit


@functools.lru_cache(maxsize=16)
def _base_parts(base_url: str) -> tuple[str, str]:
    """(origin, path) of a base URL, e.g. ("https://example.org", "/datascience/")."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/"


def absolute_url(link: str, base_url: str) -> str | None:
    """``link`` made absolute against ``base_url``; None if it cannot be made safe.

    Root-relative links keep the base URL's sub-path (``/img/a.png`` on a site
    at ``https://example.org/datascience/`` becomes
    ``https://example.org/datascience/img/a.png``) unless they already start
    with it; protocol-relative links get ``https:``. ``base_url`` ends in ``/``
    (the config guarantees it).
    """
    link = link.strip()
    if not link or link.startswith("#"):
        return None  # an in-page anchor means nothing outside the page
    if link.startswith("//"):
        link = "https:" + link
    if ":" in link.split("/", 1)[0]:  # it has a scheme: keep it only if it is safe
        return link if is_safe_link(link) else None
    if not base_url:
        return None
    origin, base_path = _base_parts(base_url)
    if link.startswith("/"):
        if base_path != "/" and link.startswith(base_path):
            return origin + link
        link = link.lstrip("/")
    if "./" in link or link.startswith("."):
        return urljoin(base_url, link)  # dot segments: let the standard library resolve them
    return base_url + link


def is_safe_link(url: str) -> bool:
    """True for an absolute http(s) URL or a mailto: address."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        return "@" in parts.path
    return scheme in {"http", "https"} and bool(parts.netloc)


def _domain_matches(host: str, domains: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(
        host == d or host.endswith("." + d) for d in (x.lower().lstrip(".") for x in domains)
    )


def add_utm(url: str, params: dict[str, str], skip_domains: tuple[str, ...] = ()) -> str:
    """``url`` with ``utm_*`` parameters added, never replacing ones it already has.

    Links to ``skip_domains`` (and their subdomains) and non-http links are
    returned unchanged; so are all links when ``params`` is empty.
    """
    wanted = {k: v for k, v in params.items() if v}
    parts = urlsplit(url)
    if not wanted or parts.scheme not in {"http", "https"}:
        return url
    if _domain_matches(parts.hostname or "", skip_domains):
        return url
    existing = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in existing}
    added = [(k, v) for k, v in wanted.items() if k not in present]
    if not added:
        return url
    query = urlencode(existing + added, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# Query parameters whose values are credentials often enough to hide them from every message.
_SECRET_PARAM = re.compile(
    r"key|token|secret|pass|pwd|auth|sig|session|credential|private", re.IGNORECASE
)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's value is hidden from messages (``token``, ``api_key``…)."""
    return bool(_SECRET_PARAM.search(name))


_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")
_QUERY_PAIR = re.compile(r"([?&;])([^=&#;]*)=([^&#;]*)")


def _redact_text(text: str) -> str:
    """``redact_url`` by pattern, for what ``urlsplit`` cannot (or should not) take apart."""
    text = _USERINFO.sub("", text)
    return _QUERY_PAIR.sub(
        lambda m: f"{m[1]}{m[2]}=***" if _SECRET_PARAM.search(m[2]) else m[0], text
    )


def redact_url(url: str) -> str:
    """``url`` fit for a message, a manifest or a ledger: no ``user:password@``, and the
    values of query parameters that look like credentials (``?token=…``, ``api_key``)
    replaced by ``***``. Any other ``scheme://`` address, or one too malformed to take
    apart (``http://u:p@[::1/``), loses the same parts by pattern; anything else (a
    file path) is returned as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_text(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return _redact_text(url) if "://" in url else url
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_SECRET_PARAM.search(key) for key, _ in pairs):
        hidden = [(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in pairs]
        query = urlencode(hidden, quote_via=quote, safe="*/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
