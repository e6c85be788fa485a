"""The ``site`` rule: is every post the digest links to really published on the site?

A digest whose links 404 is worse than none, and a wrong permalink pattern is
silent until a subscriber clicks. This rule looks the post URLs up in what the
site actually publishes, in one of three forms (``digest check --site``,
``[site] verify``):

- a **built site folder** (Hugo's ``public/``, Jekyll's ``_site/``, MkDocs'
  ``site/``, Astro's and Eleventy's ``dist/``/``_site/``): a pretty URL
  ``/blog/x/`` must have ``blog/x/index.html``, an ugly one ``/x.html`` that
  file. The URL's path under the site's base URL is mapped into the folder
  segment by segment, and the file must resolve inside the folder: ``..``,
  encoded separators and symlinks pointing out of it find nothing;
- a **sitemap** (a file or an http(s) URL), with sitemap index files followed
  (https://www.sitemaps.org/protocol.html: at most 50 MB and 50,000 URLs a
  file; children on the index's own host only, at most :data:`MAX_SITEMAPS`);
- a **feed** (RSS or Atom, read by feedparser): only as complete as the feed,
  which usually carries the latest posts only, as a digest does.

Everything read is hostile: sizes and counts are capped, XML with a DOCTYPE
(entity expansion) is refused, the network is http(s) only with a deadline.
For each missing post the finding names the closest URL the site does have
(``difflib``), which is usually the permalink pattern's mistake made visible.
"""

from __future__ import annotations

import bisect
import difflib
import gzip
import io
import itertools
import os
import posixpath
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

from ..errors import DigestError
from ..links import is_secret_param, redact_url
from .model import CheckInput, Finding, PostRef
from .registry import rule

RULE = "site"
# The sitemap protocol's own limits per file (sitemaps.org): 50 MB uncompressed, 50,000 URLs.
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_URLS_PER_FILE = 50_000
MAX_SITEMAPS = 50  # children of a sitemap index followed, in all
MAX_KNOWN_URLS = 200_000  # URLs kept for the "closest URL" suggestion
MAX_FOLDER_FILES = 200_000  # pages a built-site folder is walked for, for suggestions
FETCH_SECONDS = 15.0  # one deadline per request, connect to last byte
SUGGEST_CUTOFF = 0.5
SUGGEST_CHARS = 300  # of each URL compared (difflib is quadratic in the worst case)
MAX_SUGGEST_CANDIDATES = 5_000


class SiteError(DigestError):
    """The site to verify against cannot be read (missing, too big, not a sitemap or feed)."""


@dataclass(frozen=True, slots=True)
class Missing:
    """A post whose URL the site does not publish, and the closest URL it does."""

    post: PostRef
    closest: str | None


def url_key(url: str) -> str:
    """``url`` as compared: host lowercased, path decoded, ``index.html`` and the trailing
    slash dropped, scheme, query and fragment ignored (they do not make a page 404)."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    if path.endswith("/index.html") or path.endswith("/index.htm"):
        path = path.rsplit("/", 1)[0]
    return f"{parts.netloc.lower()}{path.rstrip('/') or ''}"


# --- reading: files and URLs, bounded ----------------------------------------------------------


def is_url(target: str) -> bool:
    return urlsplit(target).scheme in {"http", "https"}


def fetch(url: str) -> bytes:
    """GET ``url`` (http or https only), at most :data:`MAX_XML_BYTES` and :data:`FETCH_SECONDS`."""
    import httpx

    limit = MAX_XML_BYTES

    if not is_url(url):
        raise SiteError(f"{url}: only http and https URLs are fetched")
    deadline = time.monotonic() + FETCH_SECONDS
    chunks: list[bytes] = []
    size = 0
    try:
        with (
            httpx.Client(timeout=FETCH_SECONDS, follow_redirects=True, max_redirects=5) as client,
            client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response,
        ):
            if response.status_code != 200:
                raise SiteError(f"{url}: HTTP {response.status_code}")
            final = str(response.url)
            if not is_url(final):
                raise SiteError(f"{url}: redirected to a non-http address")
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise SiteError(f"{url}: larger than {limit // (1024 * 1024)} MB; not read")
                if time.monotonic() > deadline:
                    raise SiteError(f"{url}: took longer than {FETCH_SECONDS:.0f} s; not read")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise SiteError(f"{url}: cannot fetch it ({type(exc).__name__}: {exc})") from None
    return _gunzip(b"".join(chunks), url, limit)


def read_file(path: Path) -> bytes:
    limit = MAX_XML_BYTES
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SiteError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise SiteError(f"{path}: larger than {limit // (1024 * 1024)} MB; not read")
    return _gunzip(data, str(path), limit)


def _gunzip(data: bytes, where: str, limit: int) -> bytes:
    """A gzipped sitemap (``sitemap.xml.gz``) unpacked, to ``limit`` bytes (no zip bombs)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            out = unpacked.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise SiteError(f"{where}: not valid gzip ({exc})") from None
    if len(out) > limit:
        raise SiteError(f"{where}: larger than {limit // (1024 * 1024)} MB unpacked; not read")
    return out


# --- sitemaps ----------------------------------------------------------------------------------


def _xml_root(data: bytes, where: str) -> Any:
    """The parsed root of an XML document that declares no DTD (no entities to expand)."""
    from lxml import etree

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise SiteError(f"{where}: XML with a DOCTYPE or entities is refused (sitemaps need none)")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SiteError(f"{where}: not valid XML ({exc})") from None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _locs(root: Any, parent: str, where: str) -> list[str]:
    """The ``<loc>`` of each ``<url>`` (or ``<sitemap>``) child, at most the protocol's 50,000."""
    out = []
    for child in root:
        if _local(child.tag) != parent:
            continue
        for item in child:
            if _local(item.tag) == "loc" and item.text and item.text.strip():
                out.append(item.text.strip())
                break
        if len(out) > MAX_URLS_PER_FILE:
            raise SiteError(f"{where}: more than {MAX_URLS_PER_FILE:,} entries; not read")
    return out


def looks_like_sitemap(data: bytes) -> bool:
    start = data[:8192]  # after an XML declaration, a stylesheet and comments
    return b"<urlset" in start or b"<sitemapindex" in start


def sitemap_urls(data: bytes, where: str, *, base: str) -> list[str]:
    """Every page URL a sitemap (or sitemap index, followed) lists.

    ``base`` is where the sitemap came from: a URL (children are fetched, on the
    same host only) or a file path (children are read from the same folder,
    by file name).
    """
    root = _xml_root(data, where)
    kind = _local(root.tag)
    if kind == "urlset":
        return _locs(root, "url", where)
    if kind != "sitemapindex":
        raise SiteError(f"{where}: not a sitemap (its root element is <{kind}>)")
    children = _locs(root, "sitemap", where)
    if len(children) > MAX_SITEMAPS:
        raise SiteError(f"{where}: a sitemap index of more than {MAX_SITEMAPS} sitemaps")
    urls: list[str] = []
    for child in children:
        child_data, child_where = _read_child(child, base, where)
        child_root = _xml_root(child_data, child_where)
        if _local(child_root.tag) != "urlset":  # an index of indexes is not followed (bounded)
            raise SiteError(f"{child_where}: a sitemap index may list only sitemaps of pages")
        urls += _locs(child_root, "url", child_where)
        if len(urls) > MAX_KNOWN_URLS:
            raise SiteError(f"{where}: more than {MAX_KNOWN_URLS:,} URLs in all; not read")
    return urls


def _read_child(loc: str, base: str, where: str) -> tuple[bytes, str]:
    if is_url(base):
        absolute = urljoin(base, loc)
        if urlsplit(absolute).netloc.lower() != urlsplit(base).netloc.lower():
            raise SiteError(f"{where}: lists a sitemap on another host ({absolute[:80]})")
        return fetch(absolute), absolute
    # A file: its children were published beside it; take only the name (no paths from XML).
    name = posixpath.basename(urlsplit(loc).path)
    if not name or name in {".", ".."}:
        raise SiteError(f"{where}: lists a sitemap without a file name ({loc[:80]})")
    path = Path(base).parent / name
    return read_file(path), str(path)


# --- feeds -------------------------------------------------------------------------------------


def feed_urls(data: bytes, where: str) -> list[str]:
    """The entry links of an RSS or Atom feed (feedparser recovers many broken ones)."""
    import feedparser

    if b"<!entity" in data.lower():
        raise SiteError(f"{where}: XML with entities is refused")
    parsed = feedparser.parse(data)
    if not parsed.entries:
        raise SiteError(f"{where}: neither a sitemap nor an RSS or Atom feed with entries")
    urls = []
    for entry in parsed.entries[:MAX_URLS_PER_FILE]:
        for link in entry.get("links", []):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                urls.append(str(link["href"]))
        if entry.get("link"):
            urls.append(str(entry["link"]))
    return urls


# --- built-site folders ------------------------------------------------------------------------


def _relative_path(url: str, base_url: str) -> str | None:
    """The URL's path under the site's base path (``/blog/`` of ``https://x.org/blog/``)."""
    path = urlsplit(url).path
    base_path = urlsplit(base_url).path if base_url else "/"
    if not base_path.endswith("/"):
        base_path += "/"
    if path.startswith(base_path):
        return path[len(base_path) :]
    if path + "/" == base_path:
        return ""
    return None


def _safe_segments(rel: str) -> list[str] | None:
    """The decoded path segments, or None when one could leave the folder or is not a name."""
    segments = [unquote(s) for s in rel.split("/") if s]
    for segment in segments:
        if segment in {".", ".."} or "/" in segment or "\\" in segment or "\0" in segment:
            return None
    return segments


def _inside(root: Path, candidate: Path) -> bool:
    """``candidate`` is a regular file that resolves inside ``root`` (symlinks followed)."""
    try:
        real = Path(os.path.realpath(candidate))
    except (OSError, ValueError):
        return False
    return real.is_relative_to(root) and real.is_file()


def folder_has(root: Path, url: str, base_url: str) -> bool:
    """Whether the built site in ``root`` (resolved) publishes the page at ``url``."""
    rel = _relative_path(url, base_url)
    candidates = [rel] if rel is not None else []
    full = urlsplit(url).path.lstrip("/")
    if full not in candidates:
        candidates.append(full)  # a folder built with the base path inside it
    for candidate in candidates:
        segments = _safe_segments(candidate)
        if segments is None:
            continue
        target = root.joinpath(*segments) if segments else root
        tries = [target / "index.html"]
        if segments and not candidate.endswith("/"):
            tries += [target, target.with_name(target.name + ".html")]
        if any(_inside(root, t) for t in tries):
            return True
    return False


def folder_urls(root: Path, base_url: str) -> Iterator[str]:
    """Every page URL the built site in ``root`` publishes, bounded, symlinks not followed."""
    base = base_url or "/"
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for name in sorted(files):
            if not name.endswith((".html", ".htm")):
                continue
            count += 1
            if count > MAX_FOLDER_FILES:
                return
            yield urljoin(base, prefix if name == "index.html" else prefix + name)


# --- the check ---------------------------------------------------------------------------------


def _candidates(url: str, known: Sequence[str]) -> list[str]:
    """The known URLs worth comparing with ``url``: all of a small site's; of a large one's,
    its neighbours in sorted order (same date path) and those holding its slug (the page
    published under another pattern), so a suggestion costs milliseconds, not minutes."""
    if len(known) <= MAX_SUGGEST_CANDIDATES:
        return list(known)
    ordered = sorted(known)
    at = bisect.bisect_left(ordered, url)
    near = ordered[max(0, at - MAX_SUGGEST_CANDIDATES // 4) : at + MAX_SUGGEST_CANDIDATES // 4]
    slug = next((part for part in reversed(urlsplit(url).path.split("/")) if part), "")
    same_slug = [u for u in known if slug and slug in u][: MAX_SUGGEST_CANDIDATES // 2]
    return list(dict.fromkeys(near + same_slug))


def closest(url: str, known: Sequence[str]) -> str | None:
    """The known URL most like ``url``, if any is alike enough to be the same page."""
    by_head: dict[str, str] = {}
    for candidate in _candidates(url, known):
        by_head.setdefault(candidate[:SUGGEST_CHARS], candidate)
    found = difflib.get_close_matches(url[:SUGGEST_CHARS], by_head, n=1, cutoff=SUGGEST_CUTOFF)
    return by_head[found[0]] if found else None


def _published(target: str, *, base: str) -> list[str]:
    """The page URLs a sitemap or feed (file or URL) lists."""
    if is_url(target):
        data, where = fetch(target), target
        if b"<html" in data[:2048].lower():  # the site's home page: its sitemap is beside it
            where = base = urljoin(target, "sitemap.xml")
            data = fetch(where)
    else:
        data, where = read_file(Path(target)), target
    if looks_like_sitemap(data):
        return sitemap_urls(data, where, base=base)
    return feed_urls(data, where)


def _elsewhere(url: str, base_url: str) -> bool:
    if not base_url:
        return False
    return urlsplit(url).netloc.lower() != urlsplit(base_url).netloc.lower()


def missing_posts(posts: Iterable[PostRef], site: str, base_url: str) -> list[Missing]:
    """The posts whose URL the site (a folder, a sitemap or a feed) does not publish.

    Raises :class:`SiteError` when the site cannot be read.
    """
    # A post published elsewhere (its own url: on another host) is not this site's to have.
    posts = [p for p in posts if not _elsewhere(p.url, base_url)]
    if not posts:
        return []
    if not is_url(site) and Path(site).is_dir():
        root = Path(os.path.realpath(site))
        gone = [p for p in posts if not folder_has(root, p.url, base_url)]
        if not gone:
            return []
        known = list(itertools.islice(folder_urls(root, base_url), MAX_KNOWN_URLS))
        return [Missing(post=p, closest=closest(p.url, known)) for p in gone]
    if not is_url(site) and not Path(site).exists():
        raise SiteError(f"{site}: no such file or folder")
    listed = _published(site, base=site)[:MAX_KNOWN_URLS]
    keys = {url_key(u) for u in listed}
    return [
        Missing(post=p, closest=closest(p.url, listed)) for p in posts if url_key(p.url) not in keys
    ]


def _secrets(site: str) -> Callable[[str], str]:
    """A function hiding ``site``'s credentials (``user:password@``, ``?token=`` values, as
    given or decoded) in a message: the address is quoted by httpx and by our own errors."""
    if not is_url(site):
        return lambda text: text
    shown = redact_url(site)
    secrets: set[str] = set()
    try:
        parts = urlsplit(site)
        userinfo = parts.netloc.rpartition("@")[0]
        secrets.update(x for x in (userinfo, *userinfo.split(":", 1)) if x)
        secrets.update(v for k, v in parse_qsl(parts.query) if v and is_secret_param(k))
    except ValueError:
        pass
    secrets |= {unquote(x) for x in secrets} | {quote(x, safe="") for x in secrets}
    ordered = sorted((x for x in secrets if len(x) > 1), key=len, reverse=True)

    def hide(text: str) -> str:
        text = text.replace(site, shown)
        for secret in ordered:
            text = text.replace(secret, "***")
        return text

    return hide


def site_findings(posts: Sequence[PostRef], site: str, base_url: str) -> list[Finding]:
    """The rule's findings: one error per missing post, or one if the site cannot be read."""
    hide = _secrets(site)
    try:
        missing = missing_posts(posts, site, base_url)
    except SiteError as exc:
        message = hide(f"cannot verify links: {exc}")
        return [Finding(rule=RULE, severity="error", message=message)]
    site = hide(site)
    findings = []
    for item in missing:
        hint = (
            f"; the closest URL it has is {item.closest}"
            if item.closest
            else "; it has no similar URL"
        )
        findings.append(
            Finding(
                rule=RULE,
                severity="error",
                message=f"the site ({site}) does not publish {item.post.url}{hint}",
                where=item.post.title[:80],
            )
        )
    return findings


@rule(RULE)
def site(inp: CheckInput) -> Iterator[Finding]:
    """Only when a site to verify against is given (``--site`` or ``[site] verify``)."""
    if not inp.options.site:
        return
    if not inp.parts.posts:
        yield Finding(
            rule=RULE,
            severity="info",
            message="no post links to verify: the build has no digest.json listing its posts",
        )
        return
    yield from site_findings(inp.parts.posts, inp.options.site, inp.options.base_url)
