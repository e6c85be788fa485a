"""Loading posts from the frontmatter shapes that real generators write."""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digest.config import Config
from digest.models import category_key
from digest.permalinks import expand_permalink
from digest.sources.markdown import read_posts, with_bodies

from .conftest import WritePost

MakeConfig = Callable[..., Config]


def only(config: Config):
    result = read_posts(config)
    assert result.problems == (), result.problems
    assert len(result.posts) == 1, result.posts
    return result.posts[0]


def test_yaml_post_with_everything(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post(
        "2026-11-19-hello.md",
        """
        ---
        title: "Hello &amp; welcome"
        date: 2026-11-19 09:30:00 -0500
        authors: [Ann Lee, {name: Bo Chen}, Cy Diaz]
        categories: Book Review, leadership
        tags: [one, Two]
        excerpt: Short *summary*.
        image: /img/cover.png
        featured: yes
        ---
        Body text.
        """,
    )
    post = only(tmp_config(timezone="Europe/London"))
    assert post.title == "Hello & welcome"
    assert post.date == datetime(2026, 11, 19, 14, 30, tzinfo=ZoneInfo("Europe/London"))
    assert post.author == "Ann Lee, Bo Chen and Cy Diaz"
    assert post.categories == ("Book Review", "leadership")
    assert post.tags == ("one", "Two")
    assert post.excerpt == "Short *summary*."
    assert post.image == "https://blog.example.org/img/cover.png"
    assert post.featured is True
    assert post.url == "https://blog.example.org/2026/11/19/hello/"
    assert post.source == "2026-11-19-hello.md"
    assert post.body == ""  # bodies stay on disk until a post is selected
    [with_body] = with_bodies((post,), tmp_config())
    assert with_body.body.strip() == "Body text."


def test_toml_frontmatter_uses_tomllib(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post(
        "release.md",
        """
        +++
        path = "2025/06/26/Rust-1.88.0"
        title = "Announcing Rust 1.88.0"
        authors = ["The Release Team"]
        [extra]
        release = true
        +++
        Text.
        """,
    )
    post = only(tmp_config())
    assert post.title == "Announcing Rust 1.88.0"
    assert post.day.isoformat() == "2025-06-26"  # from the path field
    assert post.url == "https://blog.example.org/2025/06/26/Rust-1.88.0/"


def test_toml_datetime_with_offset(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post("a.md", '+++\ntitle = "A"\ndate = 2026-11-24T23:15:00-02:00\n+++\nx\n', raw=True)
    post = only(tmp_config(timezone="UTC"))
    assert post.date == datetime(2026, 11, 25, 1, 15, tzinfo=ZoneInfo("UTC"))


def test_json_frontmatter(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post(
        "a.md",
        '{\n  "title": "J",\n  "date": "2026-11-20",\n  "category": "News"\n}\nBody\n',
        raw=True,
    )
    post = only(tmp_config())
    assert (post.title, post.categories) == ("J", ("News",))


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".mdx"])
def test_post_suffixes(write_post: WritePost, tmp_config: MakeConfig, suffix: str) -> None:
    write_post(f"2026-11-20-a{suffix}", "---\ntitle: A\n---\nx\n", raw=True)
    write_post("notes.txt", "---\ntitle: not a post\n---\n", raw=True)
    assert only(tmp_config()).day.isoformat() == "2026-11-20"


def test_nested_folders_page_bundles_and_section_pages(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post("2026/11/2026-11-20-nested.md", "---\ntitle: Nested\n---\nx\n", raw=True)
    write_post("my-bundle/index.md", "---\ntitle: Bundle\ndate: 2026-11-21\n---\nx\n", raw=True)
    write_post("_index.md", "+++\ntitle = 'Section'\n+++\n", raw=True)
    write_post("_drafts/idea.md", "---\ntitle: Idea\n---\n", raw=True)
    result = read_posts(tmp_config())
    assert result.problems == ()
    by_title = {p.title: p for p in result.posts}
    assert set(by_title) == {"Nested", "Bundle"}
    assert by_title["Nested"].source == "2026/11/2026-11-20-nested.md"
    assert by_title["Bundle"].url == "https://blog.example.org/2026/11/21/my-bundle/"


def test_unpadded_file_name_dates(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post("2014-1-5-old.md", "---\ntitle: Old\n---\nx\n", raw=True)
    post = only(tmp_config())
    assert post.day.isoformat() == "2014-01-05"
    assert post.url == "https://blog.example.org/2014/01/05/old/"


@pytest.mark.parametrize(
    ("front", "drafted"),
    [
        ("draft: true", True),
        ("draft: yes", True),
        ('draft: "true"', True),
        ("published: false", True),
        ("draft: false", False),
        ("published: true", False),
    ],
)
def test_drafts_are_left_out(
    write_post: WritePost, tmp_config: MakeConfig, front: str, drafted: bool
) -> None:
    write_post("2026-11-20-d.md", f"---\ntitle: D\n{front}\n---\nx\n", raw=True)
    result = read_posts(tmp_config())
    assert (result.drafts == ("2026-11-20-d.md",)) is drafted
    assert len(result.posts) == (0 if drafted else 1)


def test_category_shapes_and_normalisation(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post("2026-11-20-a.md", "---\ntitle: A\ncategory: Book Review\n---\n", raw=True)
    write_post(
        "2026-11-20-b.md",
        "---\ntitle: B\ncategories: ['book-review', '  Book   Review ', News]\n---\n",
        raw=True,
    )
    write_post("2026-11-20-c.md", "---\ntitle: C\ntags: [Greener Leader]\n---\n", raw=True)
    posts = {p.title: p for p in read_posts(tmp_config(tags_as_categories=True)).posts}
    assert posts["A"].categories == ("Book Review",)
    assert posts["B"].categories == ("book-review", "News")  # display form: first spelling
    assert posts["C"].categories == ("Greener Leader",)
    assert category_key("Book-Review") == category_key(" book  review") == "book review"


def test_url_fields_and_base_url_sub_paths(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post(
        "2026-11-20-a.md", "---\ntitle: A\nurl: https://elsewhere.example/a\n---\n", raw=True
    )
    write_post(
        "2026-11-20-b.md", "---\ntitle: B\npermalink: /blog/:year/:title.html\n---\n", raw=True
    )
    write_post("2026-11-20-c.md", "---\ntitle: C\nslug: Custom Slug\n---\n", raw=True)
    write_post("2026-11-20-d.md", "---\ntitle: D\npermalink: /datascience/d/\n---\n", raw=True)
    config = tmp_config(
        base_url="https://x.example/datascience/", permalink="articles/:year/:month/:day/:slug/"
    )
    urls = {p.title: p.url for p in read_posts(config).posts}
    assert urls == {
        "A": "https://elsewhere.example/a",
        "B": "https://x.example/datascience/blog/2026/b.html",
        "C": "https://x.example/datascience/articles/2026/11/20/custom-slug/",
        "D": "https://x.example/datascience/d/",
    }


def test_unsafe_url_fields_are_refused(write_post: WritePost, tmp_config: MakeConfig) -> None:
    write_post("2026-11-20-a.md", "---\ntitle: A\nurl: 'javascript:alert(1)'\n---\n", raw=True)
    result = read_posts(tmp_config())
    assert result.posts == ()
    assert "not an http(s) address" in result.problems[0].message


def test_no_base_url_and_no_url_field_is_a_clear_problem(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post("2026-11-20-a.md", "---\ntitle: A\n---\n", raw=True)
    result = read_posts(Config().but(posts_dir=tmp_config().paths.posts))
    assert "set [site] url" in result.problems[0].message


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        ("bad-yaml.md", "---\ntitle: A\ndate: [2026\n---\nx\n", "invalid YAML frontmatter", 4),
        ("bad-yaml2.md", "---\ntitle: ok\ntitle2: 'a' b\n---\n", "invalid YAML frontmatter", 3),
        (
            "bad-toml.md",
            '+++\ntitle = "A"\ndate = 2026-13-45\n+++\n',
            "invalid TOML frontmatter",
            3,
        ),
        ("bad-json.md", '{\n  "title": "A",\n  "date": \n}\n', "invalid JSON frontmatter", 4),
        (
            "unclosed.md",
            "---\ntitle: A\ndate: 2026-11-20\n\nBody without a closing line\n",
            "never closed",
            1,
        ),
        ("no-front.md", "# Just a heading\n\nText\n", "no frontmatter", 1),
        ("list.md", "---\n- a\n- b\n---\n", "must be a mapping", 1),
        ("2026-11-20-notitle.md", "---\nauthor: x\n---\n", "no title", None),
        ("nodate.md", "---\ntitle: A\n---\n", "no date", None),
        ("baddate.md", "---\ntitle: A\ndate: next week\n---\n", "bad date", None),
        ("2026-11-20-intdate.md", "---\ntitle: A\ndate: 20261120\n---\n", "bad date", None),
    ],
)
def test_malformed_posts_are_reported_with_file_and_line(
    write_post: WritePost,
    tmp_config: MakeConfig,
    name: str,
    text: str,
    message: str,
    line: int | None,
) -> None:
    write_post(name, text, raw=True)
    write_post("2026-11-20-good.md", "---\ntitle: Good\n---\nx\n", raw=True)
    result = read_posts(tmp_config())
    assert [p.title for p in result.posts] == ["Good"]
    [problem] = result.problems
    assert problem.where == name
    assert message in problem.message
    assert problem.line == line
    assert str(problem).startswith(f"{name}:{line}: " if line else f"{name}: ")


def test_silent_traps_bom_content_key_body_rule(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post("2026-11-20-bom.md", "\ufeff---\ntitle: BOM\n---\nx\n", raw=True)
    write_post("2026-11-20-keys.md", "---\ntitle: Keys\ncontent: c\nhandler: h\n---\nx\n", raw=True)
    write_post("2026-11-20-rule.md", "---\ntitle: Rule\n---\n---\n\nAfter a rule.\n", raw=True)
    write_post("2026-11-20-undecodable.md", b"---\ntitle: \xff\n---\n".decode("latin-1"), raw=True)
    (tmp_config().paths.posts / "2026-11-20-bytes.md").write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    result = read_posts(tmp_config())
    assert sorted(p.title for p in result.posts) == ["BOM", "Keys", "Rule", "ÿ"]
    [problem] = result.problems
    assert problem.where == "2026-11-20-bytes.md" and "not UTF-8" in problem.message


def test_problem_line_counts_leading_blank_lines(
    write_post: WritePost, tmp_config: MakeConfig
) -> None:
    write_post("x.md", "\n\n---\ntitle: ok\ntitle2: 'a' b\n---\n", raw=True)
    [problem] = read_posts(tmp_config()).problems
    assert problem.line == 5


def test_expand_permalink_tokens() -> None:
    when = datetime(2026, 3, 5, 7, 8, 9, tzinfo=timezone(timedelta(0)))
    assert (
        expand_permalink(
            ":year/:short_year/:month/:i_month/:day/:i_day/:hour:minute:second/:categories/:title",
            when=when,
            slug="s",
            categories=("Book Review", "News"),
        )
        == "2026/26/03/3/05/5/070809/book-review/news/s"
    )


def test_json_frontmatter_on_one_line_is_read_as_hugo_reads_it(write_post, tmp_config) -> None:
    write_post(
        "2026-11-25-inline.md",
        '{"title": "Inline JSON", "date": "2026-11-25", "categories": ["News"]}\nThe body.\n',
        raw=True,
    )
    write_post("2026-11-24-broken.md", '{"title": "Broken", \nThe body.\n', raw=True)
    result = read_posts(tmp_config())
    [post] = with_bodies(result.posts, tmp_config())
    assert (post.title, post.categories, post.body.strip()) == (
        "Inline JSON",
        ("News",),
        "The body.",
    )
    [problem] = result.problems
    assert problem.where == "2026-11-24-broken.md"
    assert problem.message.startswith("invalid JSON frontmatter")
