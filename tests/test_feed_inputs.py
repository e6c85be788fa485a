"""Feed parsing on small inline feeds: the mapping of each field, and hostile input.

The expected values come from the fixtures written here (and the formats'
specifications), never from a run of the loader.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.config import Config, DigestSettings, SiteSettings
from digest.errors import DigestError, FeedError
from digest.excerpts import make_excerpt
from digest.models import Post
from digest.sources import feeds
from digest.sources.feed_html import feed_text
from digest.sources.feeds import detect_kind, parse_feed, parse_feed_file

SITE = Config(site=SiteSettings(url="https://blog.example/", timezone="Europe/Stockholm"))


def rss(items: str, channel: str = "", head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Feed</title><link>https://blog.example/</link>{channel}{items}"
        "</channel></rss>"
    ).encode()


def item(
    title: str = "A post",
    link: str = "https://blog.example/a/",
    date: str = "Tue, 18 Jan 2011 07:40:14 +0000",
    extra: str = "",
    guid: str = "https://blog.example/?p=1",
) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
        f'<guid isPermaLink="false">{guid}</guid>{extra}</item>'
    )


def wxr(items: str, head: str = "", version: str = "1.2") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n'
        f'<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:wp="http://wordpress.org/export/{version}/">'
        "<channel><title>Site</title><link>https://blog.example</link>"
        f"<wp:wxr_version>{version}</wp:wxr_version>"
        "<wp:author><wp:author_login>jo</wp:author_login>"
        "<wp:author_display_name><![CDATA[Jo Bloggs]]></wp:author_display_name></wp:author>"
        f"{items}</channel></rss>"
    ).encode()


def wxr_item(
    post_id: int,
    *,
    title: str = "Post",
    kind: str = "post",
    status: str = "publish",
    gmt: str = "2026-11-20 10:00:00",
    password: str = "",
    extra: str = "",
    content: str = "<p>Body text.</p>",
) -> str:
    return (
        f"<item><title>{title}</title><link>https://blog.example/?p={post_id}</link>"
        "<pubDate>Fri, 20 Nov 2026 10:00:00 +0000</pubDate><dc:creator>jo</dc:creator>"
        f'<guid isPermaLink="false">https://blog.example/?p={post_id}</guid>'
        f"<content:encoded><![CDATA[{content}]]></content:encoded>"
        "<excerpt:encoded><![CDATA[]]></excerpt:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>{gmt}</wp:post_date_gmt>"
        f"<wp:status>{status}</wp:status><wp:post_type>{kind}</wp:post_type>"
        f"<wp:post_password>{password}</wp:post_password>{extra}</item>"
    )


def one(data: bytes, config: Config = SITE, feed: str = "https://blog.example/feed/") -> Post:
    result = parse_feed(data, feed=feed, config=config)
    assert not result.problems, result.problems
    assert len(result.posts) == 1, result.posts
    return result.posts[0]


# --- kinds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (rss(item()), "rss"),
        (b'\xef\xbb\xbf\n\n<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"></rdf:RDF>', "rss"),
        (b'<rss version="0.91"><channel></channel></rss>', "rss"),
        (b'<?xml version="1.0"?>\n<!-- c --><feed xmlns="http://www.w3.org/2005/Atom"/>', "atom"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "jsonfeed"),
        (b'[{"id": 1, "title": {"rendered": "A"}, "link": "https://x.example/a"}]', "wp-rest"),
        (wxr(""), "wxr"),
        (wxr("", version="1.0").replace(b"http://", b"https://"), "wxr"),
    ],
)
def test_kind_is_detected_from_the_content(data: bytes, kind: str) -> None:
    assert detect_kind(data) == kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"<!DOCTYPE html><html><head></head></html>", "an HTML page, not a feed"),
        (b"<svg></svg>", "root element is <svg>"),
        (b"\x89PNG\r\n\x1a\n", "neither XML nor JSON"),
        (b'{"code": "rest_no_route", "message": "No route"}', "a WordPress REST error"),
        (b'{"items": []}', "no JSON Feed version"),
        (b"[1, 2]", "not a WordPress REST list"),
        (b'{"version": ', "not valid JSON (line 1"),
        (b"[" * 100_000 + b"]" * 100_000, "not usable JSON"),
    ],
)
def test_what_is_not_a_feed_is_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(data, feed="in.xml", config=SITE)
    assert isinstance(caught.value, DigestError)
    assert message in str(caught.value)
    assert str(caught.value).startswith("in.xml: ")
    assert "\n" not in str(caught.value)


# --- fields -------------------------------------------------------------------------------


def test_rss_item_fields() -> None:
    extra = (
        "<dc:creator><![CDATA[Ann Author]]></dc:creator>"
        "<category>News</category><category><![CDATA[Caf&#233;s]]></category>"
        "<description><![CDATA[Short &amp; sweet [&#8230;]]]></description>"
        '<media:thumbnail url="/img/t.jpg"/>'
    )
    post = one(
        rss(
            item(
                title="Fish &amp;amp; Chips &#8211; <b>bold</b>",
                link="/2026/11/fish/?utm_source=rss&amp;utm_medium=rss&amp;id=3",
                extra=extra,
            )
        )
    )
    assert post.title == "Fish & Chips \u2013 bold"
    assert post.url == "https://blog.example/2026/11/fish/?id=3"
    assert post.source == "https://blog.example/?p=1"
    assert post.feed == "https://blog.example/feed/"
    assert post.author == "Ann Author"
    assert post.categories == ("News", "Cafés")
    assert post.image == "https://blog.example/img/t.jpg"
    assert post.date == datetime(2011, 1, 18, 7, 40, 14, tzinfo=UTC)
    assert post.date.tzinfo == ZoneInfo("Europe/Stockholm")
    assert make_excerpt(post, 55, " […]") == "Short & sweet […]"


def test_atom_entry_fields_and_xml_base() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
  <title type="html">Atom &amp;lt;3</title>
  <entry>
    <title type="html">&lt;em&gt;Hi&lt;/em&gt; there</title>
    <link rel="alternate" href="posts/hi/"/>
    <link rel="enclosure" type="image/png" href="img/cover.png"/>
    <id>tag:atom.example,2026:1</id>
    <updated>2026-11-21T09:00:00</updated>
    <author><name>Ann</name></author>
    <category term="tech" label="Technology"/>
    <category term="misc"/>
    <summary type="html">&lt;p&gt;One &lt;a href="posts/hi/"&gt;Read More&amp;#8230;&lt;/a&gt;&lt;/p&gt;</summary>
  </entry>
</feed>"""
    result = parse_feed(data, feed="feed.atom", config=SITE)
    assert result.kind == "atom" and result.title == "Atom <3"
    (post,) = result.posts
    assert post.title == "Hi there"
    assert post.url == "https://atom.example/blog/posts/hi/"
    assert post.image == "https://atom.example/blog/img/cover.png"
    assert post.categories == ("Technology", "misc")
    assert post.author == "Ann"
    # no offset: the site's time zone, as in frontmatter
    assert post.date == datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert make_excerpt(post, 55, " […]") == "One"


def test_json_feed_fields() -> None:
    data = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "home_page_url": "https://json.example/",
            "authors": [{"name": "Feed Author"}],
            "items": [
                {
                    "id": 42,
                    "url": "p/1?utm_campaign=x",
                    "title": "Ben &amp; Jerry",
                    "summary": "a <b> is not a tag here",
                    "content_html": "<p>Full</p>",
                    "date_published": "2026-11-20T10:00:00+01:00",
                    "tags": ["x", "y"],
                    "banner_image": "https://json.example/b.png",
                },
                {
                    "id": "2",
                    "content_text": "Just a note with no title at all",
                    "url": "p/2",
                    "date_modified": "2026-11-19T08:00:00Z",
                    "authors": [{"name": "A"}, {"name": "B"}],
                },
            ],
        }
    ).encode()
    result = parse_feed(data, feed="f.json", config=SITE)
    assert not result.problems
    first, second = result.posts
    assert (first.source, first.url) == ("42", "https://json.example/p/1")
    assert first.title == "Ben & Jerry"
    assert first.tags == ("x", "y") and first.categories == ()
    assert first.author == "Feed Author"
    assert first.image == "https://json.example/b.png"
    assert make_excerpt(first, 55, " […]") == "a <b> is not a tag here"
    assert first.date == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert second.title == "Just a note with no title at all"
    assert second.author == "A and B"


def test_wp_rest_fields_drafts_and_pages() -> None:
    def post(pid: int, **extra: object) -> dict[str, object]:
        base: dict[str, object] = {
            "id": pid,
            "date": "2026-11-20T11:00:00",
            "date_gmt": "2026-11-20T10:00:00",
            "type": "post",
            "status": "publish",
            "link": f"https://wp.example/?p={pid}",
            "title": {"rendered": "Caf&#233; &#8220;news&#8221;"},
            "excerpt": {"rendered": "<p>Hello world [&hellip;]</p>\n"},
            "content": {"rendered": "<p>Hello world and more.</p>", "protected": False},
        }
        return base | extra

    embedded = {
        "author": [{"name": "Wendy"}],
        "wp:featuredmedia": [{"source_url": "https://wp.example/f.jpg", "alt_text": "A cat"}],
        "wp:term": [
            [{"taxonomy": "category", "name": "Cats"}],
            [{"taxonomy": "post_tag", "name": "fluffy"}],
        ],
    }
    data = json.dumps(
        [
            post(1, _embedded=embedded),
            post(2, status="draft"),
            post(3, content={"rendered": "", "protected": True}),
            post(4, type="page"),
            post(5, date_gmt=None, date="2026-11-18T08:00:00"),
        ]
    ).encode()
    result = parse_feed(data, feed="https://wp.example/wp-json/wp/v2/posts", config=SITE)
    assert result.kind == "wp-rest"
    assert [p.source for p in result.posts] == ["1", "5"]
    assert sorted(result.drafts) == ["2", "3"]
    (problem,) = result.problems
    assert "1 item is WordPress pages, not posts" in problem.message
    first, fifth = result.posts
    assert first.title == "Café “news”"
    assert first.author == "Wendy" and first.categories == ("Cats",) and first.tags == ("fluffy",)
    assert (first.image, first.image_alt) == ("https://wp.example/f.jpg", "A cat")
    assert first.date == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert make_excerpt(first, 55, " (more)") == "Hello world (more)"
    # date without date_gmt is the site's local time
    assert fifth.date == datetime(2026, 11, 18, 8, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert result.oldest == fifth.date


def test_wxr_posts_drafts_and_what_is_not_a_post() -> None:
    items = "".join(
        [
            wxr_item(1, title="Published"),
            wxr_item(2, status="draft"),
            wxr_item(3, status="future"),
            wxr_item(4, status="private"),
            wxr_item(5, password="secret", content="<p>hidden words</p>"),
            wxr_item(6, kind="page"),
            wxr_item(7, kind="attachment", status="inherit"),
            wxr_item(8, kind="nav_menu_item"),
            wxr_item(9, gmt="0000-00-00 00:00:00", title="Uses pubDate"),
            wxr_item(
                10,
                extra=(
                    '<category domain="category" nicename="a"><![CDATA[Alpha]]></category>'
                    '<category domain="post_tag" nicename="t"><![CDATA[Tee]]></category>'
                    '<category domain="nav_menu" nicename="m"><![CDATA[Menu]]></category>'
                    "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
                    "<wp:meta_value>11</wp:meta_value></wp:postmeta>"
                ),
            ),
            wxr_item(
                11,
                kind="attachment",
                status="inherit",
                extra=(
                    "<wp:attachment_url>https://blog.example/img.jpg</wp:attachment_url>"
                    "<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
                    "<wp:meta_value>An image</wp:meta_value></wp:postmeta>"
                ),
            ),
        ]
    )
    result = parse_feed(wxr(items), feed="export.xml", config=SITE)
    assert result.kind == "wxr" and result.title == "Site"
    assert not result.problems
    assert sorted(p.source for p in result.posts) == ["1", "10", "9"]
    assert sorted(result.drafts) == ["2", "3", "4", "5"]
    posts = {p.source: p for p in result.posts}
    assert posts["1"].author == "Jo Bloggs"
    assert posts["9"].date == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert posts["10"].categories == ("Alpha",) and posts["10"].tags == ("Tee",)
    assert (posts["10"].image, posts["10"].image_alt) == (
        "https://blog.example/img.jpg",
        "An image",
    )
    assert all("hidden" not in p.body for p in result.posts)


def test_wxr_featured_image_that_is_missing_falls_back_to_the_content() -> None:
    def thumb(attachment: int) -> str:
        return (
            "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
            f"<wp:meta_value>{attachment}</wp:meta_value></wp:postmeta>"
        )

    items = wxr_item(1, content='<p>x</p><img src="/up/a.png" alt="">', extra=thumb(99))
    # a post that fails, whose featured image must not land on the post before it
    items += wxr_item(2, gmt="2026-99-99 00:00:00", extra=thumb(11))
    items += wxr_item(
        11,
        kind="attachment",
        status="inherit",
        extra="<wp:attachment_url>https://blog.example/other.jpg</wp:attachment_url>",
    )
    result = parse_feed(wxr(items), feed="export.xml", config=SITE)
    (post,) = result.posts
    assert post.image == "https://blog.example/up/a.png"
    (problem,) = result.problems
    assert problem.where == "export.xml (item 2 '2')"


def test_wxr_file_is_streamed_and_matches_bytes(tmp_path: Path) -> None:
    data = wxr("".join(wxr_item(i) for i in range(1, 30)))
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    assert parse_feed_file(path, feed="export.xml", config=SITE) == parse_feed(
        data, feed="export.xml", config=SITE
    )


def test_truncated_wxr_keeps_the_posts_before_the_break(tmp_path: Path) -> None:
    data = wxr("".join(wxr_item(i) for i in range(1, 4)))
    cut = data[: data.index(b"<item>", data.index(b"<wp:post_id>3") - 400) + 50]
    result = parse_feed(cut, feed="export.xml", config=SITE)
    assert len(result.posts) >= 1
    assert any("breaks off" in p.message and "line" in p.message for p in result.problems)


def test_naive_dates_are_in_the_site_time_zone() -> None:
    post = one(rss(item(date="2026-11-20 09:30")))
    assert post.date == datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    post = one(rss(item(date="Fri, 20 Nov 2026 09:30:00 -0000")))  # RFC 2822: no zone known
    assert post.date.utcoffset() == timedelta(hours=1)


# --- excerpts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text", "cut"),
    [
        ("<p>Words here [&#8230;]</p>", "Words here", True),
        ("<p>Words here [...]</p>", "Words here", True),
        ("<p>Words here [&hellip;]</p>", "Words here", True),
        ("<p>Words [&#8230;] in a quote stay.</p>", "Words […] in a quote stay.", False),
        (
            '<p>Words &#8230; <a href="https://blog.example/a/" class="more-link">'
            'Continue reading <span class="screen-reader-text">A post</span> &rarr;</a></p>',
            "Words",
            True,
        ),
        (
            '<p>Words.</p><p><a href="https://elsewhere.example/x">Read More…</a></p>',
            "Words.",
            False,
        ),
        ('<p>Words.</p><p><a href="https://blog.example/a/">Läs vidare →</a></p>', "Words.", False),
        ('<p>Words.</p><p><a href="https://blog.example/a/">Weiterlesen</a></p>', "Words.", False),
        # a short link to the post itself at the end, in a language not listed: navigation
        ('<p>Words … <a href="https://blog.example/a/">Dalej →</a></p>', "Words", True),
        # prose that mentions reading more is kept
        ("<p>Click the read more link below.</p>", "Click the read more link below.", False),
        (
            '<p>Body.</p><p>The post <a href="https://blog.example/a/">A post</a> appeared first on '
            '<a href="https://blog.example/">Blog</a>.</p>',
            "Body.",
            False,
        ),
        ("<p>Para one.</p><p>Para two</p>", "Para one. Para two", False),
        ("<h2>Heading</h2><p>Text</p><script>alert(1)</script><style>p{}</style>", "Text", False),
        ("<p>A &lt;tag&gt; as text &amp; more</p>", "A <tag> as text & more", False),
        ("<p>Continue reading →</p>", "", True),
        ("<!-- comment --><p>x<br>y</p>", "x y", False),
    ],
)
def test_feed_html_to_text(html: str, text: str, cut: bool) -> None:
    assert feed_text(html, "https://blog.example/a/") == (text, cut)


def _post(summary: str | None, body: str = "") -> Post:
    return Post(
        source="1",
        feed="f",
        title="T",
        date=datetime(2026, 11, 20, tzinfo=UTC),
        url="https://blog.example/a/",
        excerpt=summary,
        body=body,
    )


def test_excerpt_prefers_summary_then_content_and_marks_cuts_once() -> None:
    assert make_excerpt(_post("<p>Sum</p>", "<p>Body</p>"), 55, " […]") == "Sum"
    assert make_excerpt(_post(None, "<p>Body</p>"), 55, " […]") == "Body"
    assert make_excerpt(_post("<p> </p>", "<p>Body</p>"), 55, " […]") == "Body"
    long = " ".join(f"w{i}" for i in range(100))
    assert make_excerpt(_post(f"<p>{long} [&#8230;]</p>"), 55, " […]") == (
        " ".join(f"w{i}" for i in range(55)) + " […]"
    )
    assert make_excerpt(_post("<p>Few words [&#8230;]</p>"), 55, "…") == "Few words…"
    assert make_excerpt(_post(None, ""), 55, " […]") == ""


def test_excerpt_respects_configured_words_and_more() -> None:
    config = Config(digest=DigestSettings(excerpt_words=5, excerpt_more=" →"))
    post = _post("<p>one two three four five six seven</p>")
    excerpt = make_excerpt(post, config.digest.excerpt_words, config.digest.excerpt_more)
    assert excerpt == "one two three four five →"


def test_markdown_posts_are_unchanged() -> None:
    post = Post(
        source="a.md",
        title="T",
        date=datetime(2026, 11, 20, tzinfo=UTC),
        url="u",
        body="Some *Markdown* [&#8230;]",
    )
    assert make_excerpt(post, 55, " […]") == "Some Markdown […]"


# --- hostile input ------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def test_entity_declarations_are_refused_before_any_parser_sees_them(tmp_path: Path) -> None:
    """Billion laughs (expat would spend a second on it, and lxml's limits differ by version)
    and external entities (a local file read into a post) are refused outright."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    for data in (
        wxr(wxr_item(1, title="&lol9;"), head=LAUGHS),
        rss(item(title="&lol9;"), head=LAUGHS),
        wxr(wxr_item(1, title="x&xxe;y", content="c&xxe;"), head=xxe),
        rss(item(title="x&xxe;y", extra="<description>d&xxe;</description>"), head=xxe),
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "b">]><feed xmlns="http://www.w3.org/2005/Atom"/>',
    ):
        with pytest.raises(FeedError) as caught:
            parse_feed(data, feed="bomb.xml", config=SITE)
        assert str(caught.value).startswith("bomb.xml: declares its own XML entities")
        path = tmp_path / "bomb.xml"
        path.write_bytes(data)
        with pytest.raises(FeedError, match="declares its own XML entities"):
            parse_feed_file(path, feed="bomb.xml", config=SITE)


def test_a_doctype_without_entities_is_fine() -> None:
    head = '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    assert one(rss(item(), head=head)).title == "A post"


def test_wxr_parser_itself_expands_no_entity(tmp_path: Path) -> None:
    """Defence in depth, below the refusal: lxml as configured reads no external entity
    and expands no internal one."""
    from io import BytesIO

    from digest.sources.feed_wxr import parse_wxr

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    head = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY lol "lol">]>'
    data = wxr(wxr_item(1, title="x&xxe;y&lol;"), head=head)
    result = parse_wxr(BytesIO(data), feeds.Collector("export.xml", SITE, ""))
    (post,) = result.posts
    assert "TOPSECRET" not in repr(post)
    assert "lol" not in post.title


def test_item_count_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_ITEMS", 5)
    items = [item(link=f"https://blog.example/{i}/", guid=f"g{i}") for i in range(12)]
    for data in (rss("".join(items)), wxr("".join(wxr_item(i) for i in range(1, 13)))):
        result = parse_feed(data, feed="many.xml", config=SITE)
        assert len(result.posts) == 5
        assert [p.message for p in result.problems] == [
            "more than 5 items: only the first 5 are read"
        ]
    listing = [
        {
            "id": i,
            "title": {"rendered": "t"},
            "link": f"https://x.example/{i}",
            "date_gmt": "2026-11-20T10:00:00",
        }
        for i in range(12)
    ]
    result = parse_feed(json.dumps(listing).encode(), feed="r.json", config=SITE)
    assert len(result.posts) == 5 and len(result.problems) == 1


def test_wxr_cap_counts_posts_not_attachments_or_menus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "MAX_ITEMS", 3)
    items = [wxr_item(i, kind="nav_menu_item") for i in range(100, 110)]
    items += [wxr_item(i) for i in range(1, 4)]
    result = parse_feed(wxr("".join(items)), feed="export.xml", config=SITE)
    assert len(result.posts) == 3 and not result.problems


def test_a_repeated_id_is_one_post() -> None:
    data = rss(
        item(link="https://blog.example/a/", guid="same", date="Fri, 20 Nov 2026 10:00:00 +0000")
        + item(link="https://blog.example/b/", guid="same", date="Thu, 19 Nov 2026 10:00:00 +0000")
    )
    result = parse_feed(data, feed="f.xml", config=SITE)
    assert [p.url for p in result.posts] == ["https://blog.example/a/"]
    (problem,) = result.problems
    assert problem.where == "f.xml (item 2 'same')"
    assert problem.message == "the same id as an item before it: left out"


def test_size_is_capped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", 1000)
    monkeypatch.setattr(feeds, "MAX_WXR_BYTES", 2000)
    big = rss("".join(item(guid=f"g{i}") for i in range(40)))
    with pytest.raises(FeedError, match="larger than"):
        parse_feed(big, feed="big.xml", config=SITE)
    path = tmp_path / "big.xml"
    path.write_bytes(big)
    with pytest.raises(FeedError, match="larger than"):
        parse_feed_file(path, feed="big.xml", config=SITE)
    path.write_bytes(wxr("".join(wxr_item(i) for i in range(40))))
    with pytest.raises(FeedError, match="larger than the 0 MB allowed for a WordPress export"):
        parse_feed_file(path, feed="big.xml", config=SITE)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    with pytest.raises(FeedError, match="not a regular file"):
        parse_feed_file(fifo, feed="feed.xml", config=SITE)


def test_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=r"^nope.xml: cannot read"):
        parse_feed_file(tmp_path / "nope.xml", feed="nope.xml", config=SITE)


def test_unsafe_and_missing_links() -> None:
    data = rss(
        item(link="javascript:alert(1)", guid="https://blog.example/?p=7")  # guid stands in
        + item(link="javascript:alert(1)", guid="tag:x,2026:2")
        + item(link="data:text/html,hi", guid="g3")
        + item(link="https://ok.example/x", extra='<media:thumbnail url="javascript:alert(1)"/>')
    )
    result = parse_feed(data, feed="f.xml", config=SITE)
    assert sorted(p.url for p in result.posts) == [
        "https://blog.example/?p=7",
        "https://ok.example/x",
    ]
    assert all(p.image is None for p in result.posts)
    assert len(result.problems) == 2
    assert all("is not an http(s) address: skipped" in p.message for p in result.problems)
    assert all(p.where.startswith("f.xml (item ") for p in result.problems)


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 16 Jun 20081 21:47:17 +0000",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "not a date",
        "2026-13-45",
        "1" * 5000,
    ],
)
def test_absurd_dates_are_one_problem_each(date: str) -> None:
    data = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [
                {"id": "bad", "url": "https://x.example/1", "title": "t", "date_published": date},
                {
                    "id": "ok",
                    "url": "https://x.example/2",
                    "title": "t",
                    "date_published": "2026-11-20T10:00:00Z",
                },
            ],
        }
    ).encode()
    result = parse_feed(data, feed="f.json", config=SITE)
    assert [p.source for p in result.posts] == ["ok"]
    (problem,) = result.problems
    assert problem.where == "f.json (item 2 'bad')" or problem.where == "f.json (item 1 'bad')"
    assert "skipped" in problem.message and len(problem.message) < 300


def test_hostile_json_types_are_skipped_not_crashing() -> None:
    data = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                "a string",
                {"id": ["x"], "url": {"a": 1}, "title": 5, "date_published": 7},
                {
                    "id": "t",
                    "url": "https://x.example/1",
                    "title": ["no"],
                    "tags": [1, {"a": 2}],
                    "authors": "nobody",
                    "date_published": "2026-11-20T10:00:00Z",
                    "summary": 3,
                },
            ],
        }
    ).encode()
    result = parse_feed(data, feed="f.json", config=SITE)
    assert [p.source for p in result.posts] == ["t"]
    assert result.posts[0].title == "https://x.example/1" or result.posts[0].title
    assert len(result.problems) == 2


def test_long_strings_are_cut() -> None:
    huge = "word " * 200_000
    post = one(rss(item(title=huge, extra=f"<description>{huge}</description>")))
    assert len(post.title) <= feeds.TEXT_CHARS
    assert len(post.excerpt or "") <= feeds.CONTENT_CHARS
    assert len(make_excerpt(post, 55, " […]").split()) == 56


def test_an_unforeseen_failure_is_one_problem_naming_the_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(markup: str, base: str) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(feeds, "first_img", broken)
    data = rss(item(extra="<description>&lt;p&gt;x&lt;/p&gt;</description>"))
    data = data.replace(
        b"</item>", b"<content:encoded>&lt;p&gt;y&lt;/p&gt;</content:encoded></item>"
    )
    result = parse_feed(data, feed="f.xml", config=SITE)
    assert not result.posts
    (problem,) = result.problems
    assert (
        str(problem)
        == "f.xml (item 1 'https://blog.example/?p=1'): unusable item (RuntimeError): skipped"
    )


def test_atom_plain_text_summary_keeps_its_angle_brackets() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry><title>T</title><link href="https://a.example/1"/><id>urn:1</id>
    <updated>2026-11-21T09:00:00Z</updated>
    <summary type="text">Use &lt;br&gt; for a line break &amp; more</summary></entry>
</feed>"""
    post = one(data)
    assert make_excerpt(post, 55, " [\u2026]") == "Use <br> for a line break & more"


def test_a_large_json_feed_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    items = [
        {
            "id": str(i),
            "url": f"https://x.example/{i}",
            "title": "t" * 100,
            "date_published": "2026-11-20T10:00:00Z",
        }
        for i in range(1000)
    ]
    data = (
        b"\xef\xbb\xbf"
        + json.dumps({"version": "https://jsonfeed.org/version/1", "items": items}).encode()
    )
    assert len(data) > feeds.SNIFF_BYTES
    path = tmp_path / "feed.json"
    path.write_bytes(data)
    result = parse_feed_file(path, feed="feed.json", config=SITE)
    assert result.kind == "jsonfeed" and len(result.posts) == 1000
