"""Selection and composition are pure: tested on in-memory posts."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from digest.compose import compose, derive_preheader, group
from digest.config import Config, SectionSpec
from digest.errors import ConfigError, UsageError
from digest.models import DateWindow, Entry, Post
from digest.select import resolve_window, select

TZ = ZoneInfo("Europe/London")
WEEK = DateWindow(since=date(2026, 11, 20), until=date(2026, 11, 26))


def post(
    name: str, day: str, *cats: str, featured: bool = False, url: str | None = None, hour: int = 9
) -> Post:
    y, m, d = map(int, day.split("-"))
    return Post(
        source=f"{name}.md",
        title=name.title(),
        date=datetime(y, m, d, hour, tzinfo=TZ),
        url=url or f"https://x.example/{name}/",
        categories=cats,
        featured=featured,
        author="Ann",
        body=f"Body of {name}.",
    )


def config(**kw: object) -> Config:
    return Config().but(timezone="Europe/London").but(**kw)


def titles(posts) -> list[str]:
    return [p.title for p in posts]


def test_window_is_inclusive_and_excludes_the_future() -> None:
    posts = [
        post("before", "2026-11-19", hour=23),
        post("first", "2026-11-20", hour=0),
        post("last", "2026-11-26", hour=23),
        post("future", "2026-11-27", hour=0),
    ]
    assert titles(select(posts, config(), WEEK).posts) == ["Last", "First"]


def test_resolve_window_from_until_span_and_since() -> None:
    assert resolve_window(config(), date(2026, 11, 26)) == WEEK
    assert resolve_window(
        config(window_days=14, until=date(2026, 11, 26)), date(2030, 1, 1)
    ).since == date(2026, 11, 13)
    assert resolve_window(config(since=date(2026, 11, 1)), date(2026, 11, 26)).since == date(
        2026, 11, 1
    )
    with pytest.raises(UsageError, match="the window is empty"):
        resolve_window(
            config(since=date(2026, 12, 1), until=date(2026, 11, 26)), date(2026, 11, 26)
        )


def test_category_filters_match_normalised_names() -> None:
    posts = [
        post("a", "2026-11-21", "Book Review"),
        post("b", "2026-11-22", "leadership"),
        post("c", "2026-11-23"),
    ]
    assert titles(select(posts, config(categories=("book-review",)), WEEK).posts) == ["A"]
    assert titles(select(posts, config(exclude_categories=("LEADERSHIP",)), WEEK).posts) == [
        "C",
        "A",
    ]
    both = config(categories=("Book Review", "Leadership"), exclude_categories=("leadership",))
    assert titles(select(posts, both, WEEK).posts) == ["A"]


def test_featured_first_then_newest_then_source_and_limit() -> None:
    posts = [
        post("old-featured", "2026-11-20", featured=True),
        post("new", "2026-11-25"),
        post("same-b", "2026-11-23"),
        post("same-a", "2026-11-23"),
    ]
    assert titles(select(posts, config(), WEEK).posts) == [
        "Old-Featured",
        "New",
        "Same-A",
        "Same-B",
    ]
    assert titles(select(posts, config(limit=2), WEEK).posts) == ["Old-Featured", "New"]


def test_duplicate_urls_are_listed_once_with_a_warning() -> None:
    posts = [
        post("a", "2026-11-21", url="https://x.example/same/"),
        post("b", "2026-11-22", url="https://x.example/same/"),
    ]
    selection = select(posts, config(), WEEK)
    assert titles(selection.posts) == ["B"]
    [problem] = selection.problems
    assert problem.where == "a.md" and "same URL as b.md" in problem.message


def test_sections_in_configured_order_with_other_last_and_limits() -> None:
    specs = (
        SectionSpec(title="Reviews", categories=("Book Review",), limit=1),
        SectionSpec(title="Leaders", categories=("Leadership", "Blog")),
    )
    posts = [
        post("r1", "2026-11-25", "book review"),
        post("r2", "2026-11-24", "Book Review"),
        post("l1", "2026-11-23", "Blog"),
        post("x", "2026-11-22", "Misc"),
        post("both", "2026-11-21", "Leadership", "Book Review"),
    ]
    digest = compose(
        select(posts, config(sections=specs, other_section="Also"), WEEK),
        config(sections=specs, other_section="Also"),
    )
    assert [
        (s.title, [e.post.title for e in s.entries], [e.post.title for e in s.more])
        for s in digest.sections
    ] == [
        ("Reviews", ["R1"], ["R2", "Both"]),  # beyond the limit: listed, not dropped
        ("Leaders", ["L1"], []),
        ("Also", ["X"], []),
    ]
    assert len(digest.entries) == 5 and len(digest.full_entries) == 3


def test_without_configured_sections_one_per_first_category() -> None:
    entries = [
        Entry(post=post("a", "2026-11-25", "News"), excerpt="", byline=""),
        Entry(post=post("b", "2026-11-24", "Views", "News"), excerpt="", byline=""),
        Entry(post=post("c", "2026-11-23", "news"), excerpt="", byline=""),
        Entry(post=post("d", "2026-11-22"), excerpt="", byline=""),
    ]
    sections = group(entries, config())
    assert [(s.title, [e.post.title for e in s.entries]) for s in sections] == [
        ("News", ["A", "C"]),
        ("Views", ["B"]),
        ("Other", ["D"]),
    ]
    named = group(entries, config(other_section="Elsewhere"))
    assert named[-1].title == "Elsewhere"


def test_a_digest_of_uncategorised_posts_has_no_lone_heading() -> None:
    entries = [
        Entry(post=post("a", "2026-11-25"), excerpt="", byline=""),
        Entry(post=post("b", "2026-11-24"), excerpt="", byline=""),
    ]
    assert [(s.title, len(s.entries)) for s in group(entries, config())] == [("", 2)]
    # even when other_section is configured: one heading over every post says nothing
    assert group(entries, config(other_section="Other"))[0].title == ""


def test_subject_byline_and_preheader() -> None:
    posts = [post("a", "2026-11-25", "News"), post("b", "2026-11-24", "News")]
    cfg = config(
        site_name="Site",
        language="en-GB",  # CLDR en-GB long dates: "d MMMM y"
        subject="{{ site_name }}: {{ first_title }} +{{ count - 1 }} ({{ until | longdate }})",
    )
    digest = compose(select(posts, cfg, WEEK), cfg)
    assert digest.subject == "Site: A +1 (26 November 2026)"
    # under the section "News", the byline does not say "News" again; the date never wraps
    assert digest.entries[0].byline == "Ann · 25\u00a0November\u00a02026"
    assert digest.preheader == "Body of a. Body of b."
    assert digest.issue_date == date(2026, 11, 26)
    fixed = config(preheader="This week: {{ titles | join(', ') }}")
    assert compose(select(posts, fixed, WEEK), fixed).preheader == "This week: A, B"


def test_bad_subject_template_is_a_config_error() -> None:
    cfg = config(subject="{{ nope }}")
    with pytest.raises(ConfigError, match=r"\[digest\] subject: cannot render"):
        compose(select([], cfg, WEEK), cfg)


def test_long_preheader_is_cut_at_a_word() -> None:
    long = Entry(post=post("a", "2026-11-25"), excerpt="word " * 60, byline="")
    text = derive_preheader((long,))
    assert len(text) <= 141 and text.endswith("word…")


def test_only_selected_posts_get_their_bodies_processed(
    write_post, tmp_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import compose as compose_module
    from digest.pipeline import build

    for day in range(1, 29):
        write_post(f"2026-02-{day:02d}-p.md", f"---\ntitle: P{day}\n---\nBody {day}.\n", raw=True)
    seen: list[str] = []
    real = compose_module.make_excerpt

    def counting(post: Post, words: int, more: str) -> str:
        seen.append(post.source)
        assert post.body.strip().startswith("Body")  # bodies were read for these
        return real(post, words, more)

    monkeypatch.setattr(compose_module, "make_excerpt", counting)
    result = build(tmp_config(until=date(2026, 2, 28)), write=False)
    assert len(result.digest.entries) == 7
    assert sorted(seen) == sorted(e.post.source for e in result.digest.entries)


def test_links_get_utm_parameters_without_overwriting(write_post, tmp_config) -> None:
    from digest.pipeline import build

    write_post("2026-11-25-a.md", "---\ntitle: A\n---\nx\n", raw=True)
    write_post(
        "2026-11-24-b.md",
        "---\ntitle: B\nurl: https://blog.example.org/b/?utm_source=keep&x=1\n---\n",
        raw=True,
    )
    write_post(
        "2026-11-23-c.md", "---\ntitle: C\nurl: https://partner.example.com/c/\n---\n", raw=True
    )
    config = tmp_config(
        until=date(2026, 11, 26),
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="digest-{{ issue_date }}",
        utm_skip_domains=["example.com"],
    )
    result = build(config, write=False)
    links = {e.post.title: e.href for e in result.digest.entries}
    assert links == {
        "A": "https://blog.example.org/2026/11/25/a/?utm_source=newsletter&utm_medium=email&utm_campaign=digest-2026-11-26",
        "B": "https://blog.example.org/b/?utm_source=keep&x=1&utm_medium=email&utm_campaign=digest-2026-11-26",
        "C": "https://partner.example.com/c/",
    }
    html, text = result.rendered.html, result.rendered.text
    assert (
        'href="https://blog.example.org/2026/11/25/a/?utm_source=newsletter&amp;utm_medium=email'
        in html
    )
    assert f"Read more: {links['A']}" in text
    # the manifest keeps the canonical URL
    assert result.digest.entries[0].post.url == "https://blog.example.org/2026/11/25/a/"


def test_thumbnails_from_frontmatter_or_first_body_image(write_post, tmp_config) -> None:
    from digest.compose import thumbnail
    from digest.sources.markdown import read_posts, with_bodies

    write_post(
        "2026-11-25-a.md",
        "---\ntitle: A\nimage: {src: /img/a.jpg, alt: A chart}\n---\n![b](b.png)\n",
        raw=True,
    )
    write_post(
        "2026-11-24-b/index.md", "---\ntitle: B\n---\nText\n\n![Team photo](team.jpg)\n", raw=True
    )
    write_post(
        "2026-11-23-c.md", "---\ntitle: C\n---\n<p><img src='/up/c.png' alt=\"\"></p>\n", raw=True
    )
    write_post(
        "2026-11-22-d.md", "---\ntitle: D\nimage: http://insecure.example/d.png\n---\n", raw=True
    )
    write_post("2026-11-21-e.md", "---\ntitle: E\n---\nNo images; `![x](code.png)`\n", raw=True)
    config = tmp_config()
    posts = {p.title: p for p in with_bodies(read_posts(config).posts, config)}
    assert thumbnail(posts["A"], config.site.url) == (
        "https://blog.example.org/img/a.jpg",
        "A chart",
    )
    assert thumbnail(posts["B"], config.site.url) == (
        "https://blog.example.org/2026/11/24/b/team.jpg",
        "Team photo",
    )
    assert thumbnail(posts["C"], config.site.url) == ("https://blog.example.org/up/c.png", "")
    # root-relative images keep the site's sub-path, like every other link
    assert thumbnail(posts["C"], "https://x.example/datascience/") == (
        "https://x.example/datascience/up/c.png",
        "",
    )
    assert thumbnail(posts["D"], config.site.url) == (None, "")
    assert thumbnail(posts["E"], config.site.url) == (None, "")
