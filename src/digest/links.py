"""Making links absolute and safe: the one place that decides what a link may be.

An email has no "current page", so every link and image must be absolute.
Post content is untrusted: only ``http``, ``https`` and ``mailto`` survive.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def absolute_url(link: str, base_url: str) -> str | None:
    """``link`` made absolute against ``base_url``; None if it cannot be made safe.

    Root-relative links keep the base URL's sub-path (``/img/a.png`` on a site
    at ``https://example.org/datascience/`` becomes
    ``https://example.org/datascience/img/a.png``) unless they already start
    with it; protocol-relative links get ``https:``.
    """
    link = link.strip()
    if not link:
        return None
    if link.startswith("//"):
        link = "https:" + link
    parts = urlsplit(link)
    if parts.scheme:
        return (
            link
            if parts.scheme.lower() in SAFE_SCHEMES
            and (parts.netloc or parts.scheme.lower() == "mailto")
            else None
        )
    if not base_url:
        return None
    if link.startswith("#"):
        return None  # an in-page anchor means nothing outside the page
    base = urlsplit(base_url)
    if link.startswith("/"):
        if base.path and base.path != "/" and link.startswith(base.path):
            return f"{base.scheme}://{base.netloc}{link}"
        return urljoin(base_url, link.lstrip("/"))
    return urljoin(base_url, link)


def is_safe_link(url: str) -> bool:
    """True for an absolute http(s) URL or a mailto: address."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        return "@" in parts.path
    return scheme in {"http", "https"} and bool(parts.netloc)
