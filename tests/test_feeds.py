"""The real feeds and exports in ../shared/feeds, read as they are.

For each capture the expected posts are derived here from the raw file, with
the standard library only (``xml.etree``, ``json``, ``email.utils``,
``datetime.fromisoformat``), never with our loader or feedparser: which items
are posts, their ids and their dates. A date window must then select exactly
those, and every post must be clean: absolute links, decoded titles, excerpts
without markup, entities or WordPress boilerplate.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from digest.config import Config, SiteSettings
from digest.excerpts import make_excerpt
from digest.models import DateWindow
from digest.select import select
from digest.sources.feeds import FeedLoad, parse_feed, parse_feed_file

from .conftest import SHARED

FEEDS = SHARED / "feeds"

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Capture:
    folder: str
    kind: str
    # The site's address: what a user would set as [site] url (the captures are files,
    # and atom-qemu's links are all relative).
    site: str
    # Problems the capture must report: what is genuinely wrong with it, as a pattern.
    problems: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        folder = FEEDS / self.folder
        return next(p for p in folder.iterdir() if p.name != "SOURCE.txt")


CAPTURES = [
    Capture("wp-rss-natashatherobot", "rss", "https://www.natashatherobot.com/"),
    Capture("wp-rss-manton", "rss", "http://www.manton.org/"),
    Capture("wp-rss-leancrew-allthis", "rss", "http://leancrew.com/all-this/"),
    Capture("wp-rss-cyklistbloggen", "rss", "http://www.cyklistbloggen.se/"),
    Capture("wp-rss-norm2782", "rss", "http://www.norm2782.com/"),
    Capture(
        "wp-rss-techcrunch",
        "rss",
        "http://techcrunch.com/",
        problems=(r"not well-formed XML \(XML or text declaration not at start of entity",),
    ),
    Capture("atom-onefoottsunami", "atom", "http://onefoottsunami.com/"),
    Capture("atom-qemu", "atom", "https://www.qemu.org/"),
    Capture("atom-cowboyprogrammer", "atom", "https://cowboyprogrammer.org/"),
    Capture("atom-utdelningsseglaren", "atom", "http://utdelningsseglaren.blogspot.com/"),
    Capture("jsonfeed-3960", "jsonfeed", "https://journal.3960.org/"),
    Capture("jsonfeed-inessential", "jsonfeed", "http://inessential.com/"),
    Capture("jsonfeed-cowboyprogrammer", "jsonfeed", "https://cowboyprogrammer.org/"),
    Capture("wp-rest-demo-wp-api", "wp-rest", "https://demo.wp-api.org/"),
    Capture(
        "wp-rest-wordpress-org-pages",
        "wp-rest",
        "https://wordpress.org/",
        problems=(r"^10 items are WordPress pages, not posts: left out",),
    ),
    Capture("wxr-localhost-trunk", "wxr", "http://localhost/"),
    Capture("wxr-wpthemetestdata", "wxr", "https://wpthemetestdata.wordpress.com/"),
]


@pytest.fixture(scope="module")
def feeds_dir() -> Path:
    if not FEEDS.is_dir():
        pytest.skip(f"real feed captures not found at {FEEDS} (../shared is absent)")
    return FEEDS


def config_for(capture: Capture) -> Config:
    return Config(site=SiteSettings(url=capture.site, timezone="UTC"))


# --- the expected posts, from the raw file --------------------------------------------------

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _xml_root(path: Path) -> ET.Element:
    # techcrunch's capture starts with a newline before <?xml: strip it, as a reader would
    return ET.fromstring(path.read_bytes().lstrip())


def _rss(path: Path) -> list[tuple[str, datetime]]:
    out = []
    for item in _xml_root(path).iter("item"):
        guid = item.findtext("guid") or item.findtext("link") or ""
        out.append((guid.strip(), parsedate_to_datetime(item.findtext("pubDate") or "")))
    return out


def _atom(path: Path, site: str) -> list[tuple[str, datetime]]:
    out = []
    for entry in _xml_root(path).iter(f"{{{NS['atom']}}}entry"):
        raw_id = (entry.findtext("atom:id", namespaces=NS) or "").strip()
        when = entry.findtext("atom:published", namespaces=NS) or entry.findtext(
            "atom:updated", namespaces=NS
        )
        # a relative id (jekyll-feed) is relative to the site, like every link in the feed
        ident = raw_id if ":" in raw_id else urljoin(site, raw_id)
        out.append((ident, datetime.fromisoformat(when or "")))
    return out


def _jsonfeed(path: Path) -> list[tuple[str, datetime]]:
    items = json.loads(path.read_bytes())["items"]
    return [
        (str(i["id"]), datetime.fromisoformat(i.get("date_published") or i["date_modified"]))
        for i in items
    ]


def _rest(path: Path) -> list[tuple[str, datetime]]:
    return [
        (str(p["id"]), datetime.fromisoformat(p["date_gmt"]).replace(tzinfo=UTC))
        for p in json.loads(path.read_bytes())
        if p.get("type", "post") == "post"
    ]


def _wxr(path: Path) -> tuple[list[tuple[str, datetime]], list[str]]:
    """(published posts, ids of the posts left out as not published) of an export."""
    root = _xml_root(path)
    wp = root.tag  # the namespace differs between WXR versions: find it on the items
    posts, drafts = [], []
    for item in root.iter("item"):
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in item}
        if fields.get("post_type") != "post":
            continue
        post_id = fields["post_id"]
        if fields.get("status") != "publish" or fields.get("post_password"):
            drafts.append(post_id)
            continue
        gmt = fields["post_date_gmt"]
        if gmt and not gmt.startswith("0000"):
            when = datetime.fromisoformat(gmt).replace(tzinfo=UTC)
        else:
            when = parsedate_to_datetime(fields["pubDate"])
        posts.append((post_id, when))
    del wp
    return posts, drafts


def expected_items(capture: Capture) -> list[tuple[str, datetime]]:
    path = capture.path
    if capture.kind == "rss":
        return _rss(path)
    if capture.kind == "atom":
        return _atom(path, capture.site)
    if capture.kind == "jsonfeed":
        return _jsonfeed(path)
    if capture.kind == "wp-rest":
        return _rest(path)
    return _wxr(path)[0]


def load(capture: Capture) -> FeedLoad:
    return parse_feed_file(capture.path, feed=str(capture.path), config=config_for(capture))


IDS = [c.folder for c in CAPTURES]


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("capture", CAPTURES, ids=IDS)
def test_loads_every_post_with_only_real_problems(feeds_dir: Path, capture: Capture) -> None:
    result = load(capture)
    assert result.kind == capture.kind
    expected = expected_items(capture)
    assert sorted(p.source for p in result.posts) == sorted(i for i, _ in expected)
    got_dates = {p.source: p.date for p in result.posts}
    for ident, when in expected:
        assert got_dates[ident] == when, ident
    messages = [p.message for p in result.problems]
    assert len(messages) == len(capture.problems), messages
    for pattern, message in zip(capture.problems, messages, strict=True):
        assert re.search(pattern, message), message
    for problem in result.problems:
        assert problem.where.startswith(str(capture.path))
    assert [p.date for p in result.posts] == sorted((p.date for p in result.posts), reverse=True)
    assert all(p.feed == str(capture.path) for p in result.posts)


@pytest.mark.parametrize("capture", CAPTURES, ids=IDS)
def test_a_window_selects_exactly_the_expected_items(feeds_dir: Path, capture: Capture) -> None:
    expected = expected_items(capture)
    if not expected:
        pytest.skip("no posts in this capture (WordPress pages)")
    days = sorted({when.astimezone(UTC).date() for _, when in expected})
    # a window over the middle of the feed: neither the newest nor the oldest day
    since = days[len(days) // 3]
    until = days[-2] if len(days) > 2 else days[-1]
    window = DateWindow(since=since, until=until)
    wanted = {i for i, when in expected if since <= when.astimezone(UTC).date() <= until}
    assert wanted
    config = config_for(capture)
    selection = select(load(capture).posts, config, window)
    assert {p.source for p in selection.posts} == wanted
    assert not selection.problems


def test_window_in_the_site_time_zone(feeds_dir: Path) -> None:
    """A post at 23:30 UTC on the 1st is on the 2nd in Stockholm: the window says so."""
    capture = next(c for c in CAPTURES if c.folder == "wp-rss-natashatherobot")
    expected = expected_items(capture)
    config = Config(site=SiteSettings(url=capture.site, timezone="Pacific/Kiritimati"))  # +14
    posts = parse_feed_file(capture.path, feed="f", config=config).posts
    for post in posts:
        local = next(w for i, w in expected if i == post.source).astimezone(post.date.tzinfo)
        assert post.date == local and post.day == local.date()
        assert post.date.utcoffset() == timedelta(hours=14)


_TAG = re.compile(r"<[a-zA-Z/!?][^>]*>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_BOILERPLATE = re.compile(
    r'appeared first on|(?<!")continue reading(?!")|read more\W*$|läs vidare'
    r"|\[(?:…|\.\.\.|&#8230;)\]\s*$",  # a feed's trailer left before (or instead of) ours
    re.IGNORECASE,
)


def _written_as_text(tag: str, raw: str, plain: str) -> bool:
    """True when the raw feed holds ``tag`` escaped (``&lt;i&gt;``) or in a plain-text
    field (a JSON Feed ``summary``): text about HTML, not markup."""
    start = tag[1:8]
    return f"&lt;{start}" in raw or f"&amp;lt;{start}" in raw or tag in plain


@pytest.mark.parametrize("capture", CAPTURES, ids=IDS)
def test_posts_are_clean(feeds_dir: Path, capture: Capture) -> None:
    config = config_for(capture)
    more = config.digest.excerpt_more
    raw = capture.path.read_text(encoding="utf-8")
    plain: dict[str, str] = {}
    if capture.kind == "jsonfeed":  # title, summary and content_text are plain text
        for item in json.loads(raw)["items"]:
            plain[str(item["id"])] = " ".join(
                item.get(key, "") for key in ("title", "summary", "content_text")
            )
    for post in load(capture).posts:
        for link in (post.url, post.image):
            if link is None:
                continue
            parts = urlsplit(link)
            assert parts.scheme in {"http", "https"} and parts.netloc, link
            assert "utm_" not in parts.query
        assert post.title and post.title == post.title.strip()
        assert not _ENTITY.search(post.title), post.title
        for tag in _TAG.finditer(post.title):
            assert _written_as_text(tag.group(0), raw, plain.get(post.source, "")), post.title
        excerpt = make_excerpt(post, config.digest.excerpt_words, more)
        for tag in _TAG.finditer(excerpt):  # only where the author wrote it as text: &lt;i&gt;
            assert _written_as_text(tag.group(0), raw, plain.get(post.source, "")), excerpt
        assert not _ENTITY.search(excerpt), excerpt
        assert not _BOILERPLATE.search(excerpt.removesuffix(more)), excerpt
        assert excerpt.count(more) <= 1 and (more not in excerpt or excerpt.endswith(more))
        assert len(excerpt.removesuffix(more).split()) <= config.digest.excerpt_words


def test_wordpress_excerpt_trailers_become_excerpt_more_once(feeds_dir: Path) -> None:
    """manton's descriptions end "[&#8230;]", norm2782's "[...]": each excerpt ends with the
    configured mark, once, and keeps the words before it."""
    for folder, trailer in (("wp-rss-manton", "[&#8230;]"), ("wp-rss-norm2782", "[...]")):
        capture = next(c for c in CAPTURES if c.folder == folder)
        raw = capture.path.read_text(encoding="utf-8")
        cut_items = raw.count(trailer + "]]></description>")
        assert cut_items >= 3
        config = config_for(capture).but(excerpt_more=" (more)")
        excerpts = [make_excerpt(p, 55, " (more)") for p in load(capture).posts]
        marked = [e for e in excerpts if e.endswith(" (more)")]
        assert len(marked) >= cut_items
        assert all(e.count("(more)") == 1 and "[" not in e[-12:] for e in marked)
        del config


def test_read_more_links_in_another_language_are_dropped(feeds_dir: Path) -> None:
    """cyklistbloggen's descriptions end "måste &#8230; <a href=post>Läs vidare →</a>"."""
    capture = next(c for c in CAPTURES if c.folder == "wp-rss-cyklistbloggen")
    posts = load(capture).posts
    raw = capture.path.read_text(encoding="utf-8")
    assert raw.count("Läs vidare") >= 5
    for post in posts:
        excerpt = make_excerpt(post, 55, " […]")
        assert "Läs vidare" not in excerpt and "→" not in excerpt
        assert not excerpt.endswith("… […]")


def test_title_less_posts_take_their_first_words(feeds_dir: Path) -> None:
    capture = next(c for c in CAPTURES if c.folder == "wp-rss-manton")
    root = _xml_root(capture.path)
    untitled = {
        (i.findtext("guid") or "").strip() for i in root.iter("item") if not i.findtext("title")
    }
    assert len(untitled) == 4
    posts = {p.source: p for p in load(capture).posts}
    for ident in untitled:
        post = posts[ident]
        words = post.title.removesuffix("…").split()
        assert 1 <= len(words) <= 10
        assert make_excerpt(post, 55, " […]").split()[: len(words)] == words


def test_wxr_leaves_out_drafts_pages_attachments_and_menus(feeds_dir: Path) -> None:
    for folder in ("wxr-localhost-trunk", "wxr-wpthemetestdata"):
        capture = next(c for c in CAPTURES if c.folder == folder)
        _posts, drafts = _wxr(capture.path)
        result = load(capture)
        assert sorted(result.drafts) == sorted(drafts)
    assert len(drafts) == 3  # the theme test data: a draft, a scheduled and a protected post


def test_wxr_featured_images_and_authors(feeds_dir: Path) -> None:
    """``_thumbnail_id`` names an attachment, often later in the file; dc:creator is a
    login, shown as the author's display name."""
    capture = next(c for c in CAPTURES if c.folder == "wxr-wpthemetestdata")
    root = _xml_root(capture.path)
    attachments: dict[str, str] = {}
    thumbs: dict[str, str] = {}
    names: dict[str, str] = {}
    for element in root.iter():
        if element.tag.endswith("}author") and element.find("{*}author_login") is not None:
            names[element.findtext("{*}author_login") or ""] = (
                element.findtext("{*}author_display_name") or ""
            )
    for item in root.iter("item"):
        fields = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in item}
        if fields.get("post_type") == "attachment":
            attachments[fields["post_id"]] = fields["attachment_url"]
        for meta in item.findall("{*}postmeta"):
            if meta.findtext("{*}meta_key") == "_thumbnail_id":
                thumbs[fields["post_id"]] = meta.findtext("{*}meta_value") or ""
    posts = {p.source: p for p in load(capture).posts}
    with_image = [pid for pid in thumbs if pid in posts and thumbs[pid] in attachments]
    assert len(with_image) >= 2
    for pid in with_image:
        assert posts[pid].image == attachments[thumbs[pid]]
    creators = {
        (i.findtext("{*}post_id") or ""): (i.findtext("dc:creator", namespaces=NS) or "")
        for i in root.iter("item")
    }
    for pid, post in posts.items():
        assert post.author == " ".join(names.get(creators[pid], creators[pid]).split())


def test_json_feed_fields(feeds_dir: Path) -> None:
    capture = next(c for c in CAPTURES if c.folder == "jsonfeed-3960")
    items = {str(i["id"]): i for i in json.loads(capture.path.read_bytes())["items"]}
    for post in load(capture).posts:
        item = items[post.source]
        assert post.url == item["url"]
        assert post.tags == tuple(item.get("tags", ()))
        assert post.author == item["authors"][0]["name"]
        assert post.image == (item.get("image") or item.get("banner_image"))


def test_bytes_and_file_agree(feeds_dir: Path) -> None:
    for capture in CAPTURES:
        config = config_for(capture)
        by_file = load(capture)
        by_bytes = parse_feed(capture.path.read_bytes(), feed=str(capture.path), config=config)
        assert by_file == by_bytes, capture.folder


def test_feed_given_as_a_url_resolves_relative_links(feeds_dir: Path) -> None:
    """atom-qemu's links are all relative: fetched from its URL, that URL is their base,
    whatever ``[site] url`` says."""
    capture = next(c for c in CAPTURES if c.folder == "atom-qemu")
    config = Config(site=SiteSettings(url="https://other.example/"))
    result = parse_feed(
        capture.path.read_bytes(), feed="https://www.qemu.org/feed.xml", config=config
    )
    assert result.posts
    assert all(p.url.startswith("https://www.qemu.org/20") for p in result.posts)
    # given as a file and no [site] url: the links cannot be made absolute, and each says so
    result = parse_feed(capture.path.read_bytes(), feed="feed.xml", config=Config())
    assert not result.posts
    assert all("relative" in p.message for p in result.problems)
    assert len(result.problems) == 10


def test_date_window_cutoff(feeds_dir: Path) -> None:
    """``oldest`` is the oldest item date seen, for a caller paging a REST list."""
    capture = next(c for c in CAPTURES if c.folder == "wp-rest-demo-wp-api")
    expected = expected_items(capture)
    assert load(capture).oldest == min(w for _, w in expected)
    assert date(2016, 1, 1) < min(w for _, w in expected).date()
