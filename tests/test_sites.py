"""Generator profiles: which files are posts, whether each is published, and its URL.

Every expected URL here is written by hand from the generator's documentation
and source (cited in each ``digest.sites`` module), or, for the real corpora,
read from ``tests/expected/sites/*.json``, derived from the raw files and the
documented rules by ``tests/expected/sites/derive.py`` (standard library and
PyYAML only, none of digest's code). Site config files are written as each
generator's documentation shows them.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.cache import cached_read
from digest.config import load_config
from digest.errors import ConfigError, UsageError
from digest.sites import forget, names
from digest.sites.hugo import make_path, sanitize
from digest.sites.jekyll import slugify as jekyll_slugify
from digest.sites.mkdocs import post_slugify
from digest.sites.zola import slugify_paths
from digest.sources.markdown import read_posts

EXPECTED = Path(__file__).parent / "expected" / "sites"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def post(root: Path, rel: str, title: str, extra: str = "", *, date: str = "2024-05-02") -> None:
    dated = f"date: {date}\n" if date else ""
    write(root, rel, f'---\ntitle: "{title}"\n{dated}{extra}---\nBody of {title}.\n')


def load(
    site: Path, posts: str, generator: str, **overrides: object
) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """(source → URL, drafts, problems) for the posts folder ``site/posts``."""
    forget()
    config = load_config(
        None,
        cwd=site,
        overrides={
            "posts_dir": site / posts,
            "generator": generator,
            "timezone": "UTC",
            "out_dir": site / "dist",
            **overrides,
        },
    )
    result = read_posts(config)
    urls = {p.source: p.url for p in result.posts}
    return urls, set(result.drafts), {p.where: p.message for p in result.problems}


# --- Hugo -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My Post", "my-post"),  # the example
        ("My   Post", "my-post"),  # a run of spaces is one hyphen
        ("  leading and trailing  ", "leading-and-trailing"),
        ("a - b", "a-b"),  # a hyphen beside spaces is not doubled
        ("Hello, World!", "hello-world"),  # characters outside the set are dropped
        ("C++ #tips ~x @home_1.0", "c++-#tips-~x-@home_1.0"),  # ._-#+~@ are kept
        ("100%25 sure", "100%25-sure"),  # a %XX escape is kept
        ("Ünïcode Ωmega", "ünïcode-ωmega"),  # letters of any script are kept
    ],
)
def test_hugo_urlize(text: str, expected: str) -> None:
    assert make_path(text) == expected


def test_hugo_path_options() -> None:
    assert make_path("My Post", to_lower=False) == "My-Post"  # disablePathToLower
    assert make_path("Café Crème", strip_accents=True) == "cafe-creme"  # removePathAccents
    assert make_path("Café Crème") == "café-crème"
    assert sanitize("/blog/My Post/") == "/blog/My-Post/"


HUGO_TOML = """
baseURL = 'https://example.org/'
languageCode = 'en-us'
title = 'Hugo site'
"""


def test_hugo_file_name_is_urlized(tmp_path: Path) -> None:
    """The issue: content/blog/My Post.md is published at /blog/my-post/."""
    write(tmp_path, "hugo.toml", HUGO_TOML)
    post(tmp_path, "content/blog/My Post.md", "Whatever the title")
    post(tmp_path, "content/blog/Café Crème.md", "Accents")
    urls, _, problems = load(tmp_path, "content/blog", "hugo")
    assert problems == {}
    assert urls == {
        "My Post.md": "https://example.org/blog/my-post/",
        "Café Crème.md": "https://example.org/blog/caf%C3%A9-cr%C3%A8me/",
    }


def test_hugo_disable_path_to_lower_and_remove_accents(tmp_path: Path) -> None:
    write(
        tmp_path, "hugo.toml", HUGO_TOML + "disablePathToLower = true\nremovePathAccents = true\n"
    )
    post(tmp_path, "content/blog/My Post.md", "A")
    post(tmp_path, "content/blog/Café Crème.md", "B")
    urls, _, _ = load(tmp_path, "content/blog", "hugo")
    assert urls == {
        "My Post.md": "https://example.org/blog/My-Post/",
        "Café Crème.md": "https://example.org/blog/Cafe-Creme/",
    }


def test_hugo_slug_token_falls_back_to_the_title(tmp_path: Path) -> None:
    write(tmp_path, "hugo.toml", HUGO_TOML + "[permalinks]\n  posts = '/:year/:month/:slug/'\n")
    post(tmp_path, "content/posts/first.md", "Hello World, Again!", date="2024-05-02")
    post(tmp_path, "content/posts/second.md", "Ignored", "slug: Own Slug\n", date="2024-06-09")
    urls, _, _ = load(tmp_path, "content/posts", "hugo")
    assert urls == {
        "first.md": "https://example.org/2024/05/hello-world-again/",
        "second.md": "https://example.org/2024/06/own-slug/",
    }


def test_hugo_bundles(tmp_path: Path) -> None:
    """Leaf bundle: index.md is the post, other .md files in it are resources; branch
    bundle: _index.md is no post, the pages beside it are."""
    write(tmp_path, "hugo.toml", HUGO_TOML)
    write(tmp_path, "content/posts/_index.md", "---\ntitle: Posts\n---\n")
    post(tmp_path, "content/posts/trip/index.md", "The trip")
    post(tmp_path, "content/posts/trip/notes.md", "A resource")
    post(tmp_path, "content/posts/trip/more/deeper.md", "Another resource")
    post(tmp_path, "content/posts/plain.md", "A page")
    post(tmp_path, "content/posts/2024/_index.md", "A nested section")
    post(tmp_path, "content/posts/2024/nested.md", "Nested page")
    urls, _, problems = load(tmp_path, "content/posts", "hugo")
    assert problems == {}
    assert urls == {
        "trip/index.md": "https://example.org/posts/trip/",
        "plain.md": "https://example.org/posts/plain/",
        "2024/nested.md": "https://example.org/posts/2024/nested/",
    }


def test_hugo_unpublished_pages(tmp_path: Path) -> None:
    write(tmp_path, "hugo.toml", HUGO_TOML)
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    post(tmp_path, "content/posts/draft.md", "D", "draft: true\n")
    post(tmp_path, "content/posts/expired.md", "E", "expiryDate: 2024-06-01\n")
    post(tmp_path, "content/posts/future.md", "F", f"publishDate: {future}\n")
    post(tmp_path, "content/posts/headless/index.md", "H", "headless: true\n")
    post(tmp_path, "content/posts/never.md", "N", "build:\n  render: never\n")
    post(tmp_path, "content/posts/false.md", "B", "_build:\n  render: false\n")
    post(tmp_path, "content/posts/kept.md", "K", "expiryDate: 2999-01-01\n")
    urls, drafts, _ = load(tmp_path, "content/posts", "hugo")
    assert set(urls) == {"kept.md"}
    assert drafts == {
        "draft.md",
        "expired.md",
        "future.md",
        "headless/index.md",
        "never.md",
        "false.md",
    }


def test_hugo_build_future_and_expired(tmp_path: Path) -> None:
    write(tmp_path, "hugo.toml", HUGO_TOML + "buildFuture = true\nbuildExpired = true\n")
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    post(tmp_path, "content/posts/expired.md", "E", "expiryDate: 2024-06-01\n")
    post(tmp_path, "content/posts/future.md", "F", f"publishDate: {future}\n")
    urls, _, _ = load(tmp_path, "content/posts", "hugo")
    assert set(urls) == {"expired.md", "future.md"}


def test_hugo_frontmatter_date_order_with_filename(tmp_path: Path) -> None:
    """[frontmatter] date = [':filename', ':default']: the date and the slug from the name."""
    write(tmp_path, "hugo.toml", HUGO_TOML + "[frontmatter]\n  date = [':filename', ':default']\n")
    post(tmp_path, "content/posts/2024-01-15-first-light.md", "First light", date="")
    post(tmp_path, "content/posts/2024-02-01_own.md", "Own", "slug: kept\n", date="")
    forget()
    config = load_config(
        None,
        cwd=tmp_path,
        overrides={"posts_dir": tmp_path / "content/posts", "generator": "hugo"},
    )
    result = read_posts(config)
    by_source = {p.source: p for p in result.posts}
    assert by_source["2024-01-15-first-light.md"].url == "https://example.org/posts/first-light/"
    assert by_source["2024-01-15-first-light.md"].date.date().isoformat() == "2024-01-15"
    assert by_source["2024-02-01_own.md"].url == "https://example.org/posts/kept/"


def test_hugo_default_date_order_uses_publish_date_and_lastmod(tmp_path: Path) -> None:
    write(tmp_path, "hugo.toml", HUGO_TOML)
    post(tmp_path, "content/posts/a.md", "A", "publishDate: 2024-03-04\n", date="")
    post(tmp_path, "content/posts/b.md", "B", "lastmod: 2024-03-05\n", date="")
    post(tmp_path, "content/posts/2024-03-06-c.md", "C", date="")  # :filename is not a default
    forget()
    config = load_config(
        None, cwd=tmp_path, overrides={"posts_dir": tmp_path / "content/posts", "generator": "hugo"}
    )
    result = read_posts(config)
    assert {p.source: p.date.date().isoformat() for p in result.posts} == {
        "a.md": "2024-03-04",
        "b.md": "2024-03-05",
    }
    assert [p.where for p in result.problems] == ["2024-03-06-c.md"]


def test_hugo_date_tokens_use_the_dates_own_offset(tmp_path: Path) -> None:
    """Hugo formats :year/:month/:day from the date as written (23:30 at -05:00 is still the
    2nd), whatever zone the digest selects in."""
    write(
        tmp_path, "hugo.toml", HUGO_TOML + "[permalinks]\n  posts = '/:year/:month/:day/:slug/'\n"
    )
    post(tmp_path, "content/posts/late.md", "Late", date="2024-05-02T23:30:00-05:00")
    urls, _, _ = load(tmp_path, "content/posts", "hugo", timezone="Europe/Berlin")
    assert urls == {"late.md": "https://example.org/2024/05/02/late/"}


def test_hugo_translations_by_file_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hugo.toml",
        HUGO_TOML + "defaultContentLanguage = 'en'\n[languages.en]\nweight = 1\n"
        "[languages.fr]\nweight = 2\n",
    )
    post(tmp_path, "content/posts/hello.en.md", "Hello")
    post(tmp_path, "content/posts/hello.fr.md", "Bonjour")
    urls, _, _ = load(tmp_path, "content/posts", "hugo")
    assert urls == {
        "hello.en.md": "https://example.org/posts/hello/",
        "hello.fr.md": "https://example.org/fr/posts/hello/",
    }


def test_hugo_url_slug_ugly_and_tokens(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hugo.toml",
        HUGO_TOML
        + """
uglyURLs = true
[permalinks]
  [permalinks.page]
    notes = '/:section/:monthname/:yearday/:filename/'
    essays = '/e/:sections[last]/:title/:contentbasename/'
""",
    )
    post(tmp_path, "content/posts/Ugly One.md", "U")
    post(tmp_path, "content/posts/moved.md", "M", "url: /Special/Place\n")
    post(tmp_path, "content/posts/file.md", "F", "url: /feeds/file.xml\n")
    post(tmp_path, "content/notes/My Note.md", "N", date="2024-02-10")
    post(tmp_path, "content/essays/deep/index.md", "Deep Thoughts", date="2024-02-10")
    urls, _, problems = load(tmp_path, "content", "hugo")
    assert problems == {}
    assert urls == {
        "posts/Ugly One.md": "https://example.org/posts/ugly-one.html",
        # "Hugo does not sanitize the url front matter field" (gohugo.io, URL management)
        "posts/moved.md": "https://example.org/Special/Place/",
        "posts/file.md": "https://example.org/feeds/file.xml",
        # February 10th is the 41st day of the year
        "notes/My Note.md": "https://example.org/notes/february/41/my-note/",
        "essays/deep/index.md": "https://example.org/e/essays/deep-thoughts/deep/",
    }


def test_hugo_content_dir_config_dir_and_base_path(tmp_path: Path) -> None:
    """contentDir, config/_default/ with a permalinks.toml of its own, a baseURL sub-path."""
    write(
        tmp_path,
        "config/_default/hugo.toml",
        "baseURL = 'https://example.org/site/'\ncontentDir = 'src/pages'\n",
    )
    write(tmp_path, "config/_default/permalinks.toml", "blog = '/writing/:year/:slugorfilename/'\n")
    post(tmp_path, "src/pages/blog/Some File.md", "T")
    urls, _, _ = load(tmp_path, "src/pages/blog", "hugo")
    assert urls == {"Some File.md": "https://example.org/site/writing/2024/some-file/"}


def test_hugo_yaml_config_and_unknown_token(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hugo.yaml",
        "baseURL: https://example.org/\npermalinks:\n  posts: /:year/:nonsense/\n",
    )
    post(tmp_path, "content/posts/a.md", "A")
    _, _, problems = load(tmp_path, "content/posts", "hugo")
    assert "unknown token ':nonsense'" in problems["a.md"]


def test_hugo_broken_config_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "hugo.toml", "baseURL = 'https://example.org/\n")
    post(tmp_path, "content/posts/a.md", "A")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "content/posts", "hugo")
    assert "hugo.toml" in str(caught.value) and "not valid TOML" in str(caught.value)


# --- Jekyll -----------------------------------------------------------------------------


def test_jekyll_slugify() -> None:
    assert jekyll_slugify("The _config.yml File") == "the-config-yml-file"
    assert jekyll_slugify("The _config.yml File", mode="pretty") == "the-_config.yml-file"
    # pretty mode keeps ._~!$&'()+,;=@ (SLUGIFY_PRETTY_REGEXP)
    assert jekyll_slugify("Hello, World!", mode="pretty", cased=True) == "Hello,-World!"
    assert jekyll_slugify("  ünïcode café ") == "ünïcode-café"


@pytest.mark.parametrize(
    ("permalink", "expected"),
    [
        (None, "/news/2024/03/05/welcome-to-jekyll.html"),  # date is the default style
        ("date", "/news/2024/03/05/welcome-to-jekyll.html"),
        ("pretty", "/news/2024/03/05/welcome-to-jekyll/"),
        ("ordinal", "/news/2024/065/welcome-to-jekyll.html"),
        ("weekdate", "/news/2024/W10/TUE/welcome-to-jekyll.html"),
        ("none", "/news/welcome-to-jekyll.html"),
        ("/:categories/:short_year/:i_month/:i_day/:title/", "/news/24/3/5/welcome-to-jekyll/"),
        ("/blog/:year/:slug:output_ext", "/blog/2024/welcome-to-jekyll.html"),
    ],
)
def test_jekyll_permalink_styles(tmp_path: Path, permalink: str | None, expected: str) -> None:
    config = "url: https://example.org\n"
    if permalink:
        config += f"permalink: {permalink}\n"
    write(tmp_path, "_config.yml", config)
    post(
        tmp_path,
        "_posts/2024-03-05-welcome-to-jekyll.md",
        "Welcome",
        "categories: [News]\n",
        date="",
    )
    urls, _, _ = load(tmp_path, "_posts", "jekyll")
    assert urls == {"2024-03-05-welcome-to-jekyll.md": "https://example.org" + expected}


def test_jekyll_posts_drafts_categories_and_baseurl(tmp_path: Path) -> None:
    write(tmp_path, "_config.yml", "url: https://example.org\nbaseurl: /blog\npermalink: pretty\n")
    post(tmp_path, "_posts/2024-03-05-plain.md", "Plain", date="")
    post(tmp_path, "_posts/2024-03-06-Mixed Case.md", "Case", "category: Release\n", date="")
    post(tmp_path, "_posts/2024-03-07-hidden.md", "Hidden", "published: false\n", date="")
    post(tmp_path, "_posts/2024-03-08-own.md", "Own", "permalink: /custom/:title/\n", date="")
    post(tmp_path, "_posts/notes.md", "Not a post: no date in its name")
    post(tmp_path, "_drafts/2024-03-09-draft.md", "Draft", date="")
    post(
        tmp_path,
        "team/_posts/2024-03-10-from-a-folder.md",
        "Folder",
        "categories: [Extra]\n",
        date="",
    )
    post(tmp_path, "about.md", "A page, not a post")
    urls, drafts, problems = load(tmp_path, ".", "jekyll")
    assert problems == {}
    assert drafts == {"_posts/2024-03-07-hidden.md"}
    assert urls == {
        "_posts/2024-03-05-plain.md": "https://example.org/blog/2024/03/05/plain/",
        # :title keeps the name's case (pretty mode, cased); :categories are lowercased
        "_posts/2024-03-06-Mixed Case.md": (
            "https://example.org/blog/release/2024/03/06/Mixed-Case/"
        ),
        "_posts/2024-03-08-own.md": "https://example.org/blog/custom/own/",
        # a folder above _posts is a category, before the front matter's
        "team/_posts/2024-03-10-from-a-folder.md": (
            "https://example.org/blog/team/extra/2024/03/10/from-a-folder/"
        ),
    }


def test_jekyll_collections_dir_is_no_category(tmp_path: Path) -> None:
    write(tmp_path, "_config.yml", "url: https://example.org\ncollections_dir: my_collections\n")
    post(tmp_path, "my_collections/_posts/2024-03-05-a.md", "A", date="")
    urls, _, _ = load(tmp_path, "my_collections/_posts", "jekyll")
    assert urls == {"2024-03-05-a.md": "https://example.org/2024/03/05/a.html"}


def test_jekyll_date_in_the_site_time_zone(tmp_path: Path) -> None:
    """A date with an offset is shown in the site's zone (Time#localtime), like the name."""
    write(tmp_path, "_config.yml", "url: https://example.org\npermalink: pretty\n")
    post(tmp_path, "_posts/2013-05-06-v1.md", "V1", date='"2013-05-06 02:12:52 +0200"')
    urls, _, _ = load(tmp_path, "_posts", "jekyll", timezone="America/Los_Angeles")
    assert urls == {"2013-05-06-v1.md": "https://example.org/2013/05/05/v1/"}


def test_jekyll_dates_in_its_own_time_zone(tmp_path: Path) -> None:
    """_config.yml's timezone, not digest's, decides the day in the URL."""
    write(
        tmp_path,
        "_config.yml",
        "url: https://example.org\npermalink: pretty\ntimezone: America/Los_Angeles\n",
    )
    post(tmp_path, "_posts/2013-05-06-v1.md", "V1", date='"2013-05-06 02:12:52 +0200"')
    post(tmp_path, "_posts/2013-05-07-v2.md", "V2", date='"2013-05-07 23:59:00"')
    urls, _, _ = load(tmp_path, "_posts", "jekyll", timezone="Asia/Tokyo")
    assert urls == {
        "2013-05-06-v1.md": "https://example.org/2013/05/05/v1/",
        "2013-05-07-v2.md": "https://example.org/2013/05/07/v2/",
    }


# --- Zola -------------------------------------------------------------------------------


def test_zola_slugify_strategies() -> None:
    assert slugify_paths("Hello World: Ünïcode & more!", "on") == "hello-world-unicode-more"
    assert slugify_paths('Hello World: "quoted"?. ', "safe") == "Hello World quoted"
    assert slugify_paths("Hello World?", "off") == "Hello World?"


ZOLA_TOML = 'base_url = "https://example.org"\ntitle = "Zola site"\n'


def test_zola_section_path_and_slug(tmp_path: Path) -> None:
    write(tmp_path, "config.toml", ZOLA_TOML)
    write(tmp_path, "content/blog/_index.md", '+++\ntitle = "Blog"\n+++\n')
    write(tmp_path, "content/blog/2024-01-02_Hello World.md", '+++\ntitle = "Hello"\n+++\n')
    write(
        tmp_path, "content/blog/My Trip/index.md", '+++\ntitle = "Trip"\ndate = 2024-02-03\n+++\n'
    )
    write(
        tmp_path,
        "content/blog/other.md",
        '+++\ntitle = "Other"\ndate = 2024-02-04\nslug = "Own Slug"\n+++\n',
    )
    write(
        tmp_path,
        "content/blog/pathed.md",
        '+++\ntitle = "P"\ndate = 2024-02-05\npath = "2024/02/05/Pathed-1.0"\n+++\n',
    )
    urls, _, problems = load(tmp_path, "content/blog", "zola")
    assert problems == {}
    assert urls == {
        "2024-01-02_Hello World.md": "https://example.org/blog/hello-world/",
        "My Trip/index.md": "https://example.org/blog/my-trip/",
        "other.md": "https://example.org/blog/own-slug/",
        "pathed.md": "https://example.org/2024/02/05/Pathed-1.0/",
    }


def test_zola_safe_strategy_and_kept_dates(tmp_path: Path) -> None:
    write(
        tmp_path, "config.toml", ZOLA_TOML + '[slugify]\npaths = "safe"\npaths_keep_dates = true\n'
    )
    write(tmp_path, "content/posts/2024-01-02_Hello World.md", '+++\ntitle = "Hello"\n+++\n')
    urls, _, _ = load(tmp_path, "content/posts", "zola")
    assert urls == {
        "2024-01-02_Hello World.md": "https://example.org/posts/2024-01-02_Hello%20World/"
    }


# --- MkDocs Material --------------------------------------------------------------------


def test_mkdocs_slugify() -> None:
    assert post_slugify("Hello World, Again!") == "hello-world-again"
    assert post_slugify("Ünïcode  Spaces") == "ünïcode--spaces"  # pymdownx keeps letters


MKDOCS_YML = """
site_name: Docs
site_url: https://example.org/docs
theme:
  name: material
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
plugins:
  - search
  - blog:
      blog_dir: ./news
"""


def test_mkdocs_blog_urls(tmp_path: Path) -> None:
    write(tmp_path, "mkdocs.yml", MKDOCS_YML)
    post(tmp_path, "docs/news/posts/first.md", "Hello World, Again!", date="2024-01-31")
    write(
        tmp_path,
        "docs/news/posts/second.md",
        "---\ntitle: Two\ndate:\n  created: 2024-02-01\n  updated: 2024-03-01\n"
        "slug: Own_Slug\n---\nBody\n",
    )
    post(tmp_path, "docs/news/posts/draft.md", "Draft", "draft: true\n")
    urls, drafts, problems = load(tmp_path, "docs/news/posts", "mkdocs-material")
    assert problems == {}
    assert drafts == {"draft.md"}
    assert urls == {
        "first.md": "https://example.org/docs/news/2024/01/31/hello-world-again/",
        "second.md": "https://example.org/docs/news/2024/02/01/Own_Slug/",  # as written
    }


def test_mkdocs_url_format_and_file_urls(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mkdocs.yml",
        "site_url: https://example.org/\nuse_directory_urls: false\nplugins:\n"
        "  - material/blog:\n      post_url_format: '{categories}/{slug}'\n",
    )
    post(tmp_path, "docs/blog/posts/a.md", "A Post", "categories:\n  - Big News\n  - Other\n")
    urls, _, _ = load(tmp_path, "docs/blog/posts", "mkdocs-material")
    assert urls == {"a.md": "https://example.org/blog/big-news/a-post.html"}


def test_mkdocs_draft_if_future_date(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mkdocs.yml",
        "site_url: https://example.org/\nplugins:\n  - blog:\n      draft_if_future_date: true\n",
    )
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    post(tmp_path, "docs/blog/posts/soon.md", "Soon", date=future)
    post(tmp_path, "docs/blog/posts/past.md", "Past", date="2024-01-02")
    urls, drafts, _ = load(tmp_path, "docs/blog/posts", "mkdocs-material")
    assert (set(urls), drafts) == ({"past.md"}, {"soon.md"})


def test_mkdocs_date_as_written(tmp_path: Path) -> None:
    write(tmp_path, "mkdocs.yml", MKDOCS_YML)
    post(tmp_path, "docs/news/posts/late.md", "Late", date="2024-01-31T23:30:00+00:00")
    urls, _, _ = load(tmp_path, "docs/news/posts", "mkdocs-material", timezone="Europe/Berlin")
    assert urls == {"late.md": "https://example.org/docs/news/2024/01/31/late/"}


# --- Eleventy and Astro -----------------------------------------------------------------


def test_eleventy_defaults_and_permalinks(tmp_path: Path) -> None:
    write(
        tmp_path,
        "eleventy.config.js",
        'export default function (eleventyConfig) {}\nexport const config = { dir: { input: "src" } };\n',
    )
    post(tmp_path, "src/posts/2024-01-01-hello.md", "Hello")
    post(tmp_path, "src/posts/bundle/index.md", "Bundle")
    post(tmp_path, "src/posts/hidden.md", "Hidden", "permalink: false\n")
    post(tmp_path, "src/posts/own.md", "My Own Title", "permalink: /b/{{ title | slugify }}/\n")
    post(tmp_path, "src/posts/2024-02-02-slugged.md", "S", "permalink: /s/{{ page.fileSlug }}/\n")
    post(tmp_path, "src/posts/js.md", "J", "permalink: \"/{{ page.date | date: '%Y' }}/\"\n")
    urls, drafts, problems = load(tmp_path, "src/posts", "eleventy", base_url="https://ex.org/")
    assert drafts == {"hidden.md"}
    assert "set [site] permalink" in problems["js.md"]
    assert urls == {
        "2024-01-01-hello.md": "https://ex.org/posts/2024-01-01-hello/",
        "bundle/index.md": "https://ex.org/posts/bundle/",
        "own.md": "https://ex.org/b/my-own-title/",
        "2024-02-02-slugged.md": "https://ex.org/s/slugged/",
    }


def test_eleventy_file_time_dates(tmp_path: Path) -> None:
    """``date: Last Modified`` is the file's time (11ty.dev/docs/dates)."""
    write(tmp_path, ".eleventy.js", "module.exports = function () {};\n")
    write(tmp_path, "posts/note.md", "---\ntitle: Note\ndate: Last Modified\n---\n")
    stamp = datetime(2024, 7, 8, 12, tzinfo=UTC).timestamp()
    os.utime(tmp_path / "posts/note.md", (stamp, stamp))
    forget()
    config = load_config(
        None,
        cwd=tmp_path,
        overrides={
            "posts_dir": tmp_path / "posts",
            "generator": "eleventy",
            "base_url": "https://ex.org/",
        },
    )
    (only,) = read_posts(config).posts
    assert only.date.date().isoformat() == "2024-07-08"
    assert only.url == "https://ex.org/posts/note/"


def test_eleventy_directory_data_json(tmp_path: Path) -> None:
    write(tmp_path, ".eleventy.js", "module.exports = function () {};\n")
    write(tmp_path, "posts/posts.11tydata.json", '{"permalink": "/p/{{ page.fileSlug }}/"}\n')
    post(tmp_path, "posts/2024-01-01-hello.md", "Hello")
    urls, _, _ = load(tmp_path, "posts", "eleventy", base_url="https://ex.org/")
    assert urls == {"2024-01-01-hello.md": "https://ex.org/p/hello/"}


def test_astro_collection_entries(tmp_path: Path) -> None:
    write(
        tmp_path,
        "astro.config.mjs",
        "import { defineConfig } from 'astro/config';\n"
        "export default defineConfig({ site: 'https://example.com', base: '/docs' });\n",
    )
    write(tmp_path, "src/pages/articles/[...slug].astro", "---\n---\n")
    write(
        tmp_path, "src/content/articles/First Post!.md", "---\ntitle: F\npubDate: 2024-01-02\n---\n"
    )
    write(
        tmp_path,
        "src/content/articles/2024/Intro/index.md",
        "---\ntitle: I\npubDate: 2024-01-03\n---\n",
    )
    write(
        tmp_path,
        "src/content/articles/x.md",
        "---\ntitle: X\npubDate: 2024-01-04\nslug: own/slug\n---\n",
    )
    urls, _, problems = load(tmp_path, "src/content/articles", "astro")
    assert problems == {}
    assert urls == {
        "First Post!.md": "https://example.com/docs/articles/first-post/",
        "2024/Intro/index.md": "https://example.com/docs/articles/2024/intro/",
        "x.md": "https://example.com/docs/articles/own/slug/",
    }


# --- configuration and cache ------------------------------------------------------------


def test_unknown_generator_lists_the_choices(tmp_path: Path) -> None:
    write(tmp_path, "site/digest.toml", '[site]\ngenerator = "gatsby"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "site/digest.toml")
    assert "[site] generator" in str(caught.value)
    for name in ("hugo", "jekyll", "zola", "eleventy", "astro", "mkdocs-material", "none"):
        assert name in str(caught.value)
    with pytest.raises(UsageError, match="--generator"):
        load_config(None, cwd=tmp_path, overrides={"generator": "gatsby"})
    assert names()[-1] == "none"


def test_none_keeps_todays_behaviour(tmp_path: Path) -> None:
    post(tmp_path, "posts/2024-05-02-my-post.md", "My Post")
    post(tmp_path, "posts/My Other Post.md", "Other", date="2024-05-03")
    urls, _, _ = load(tmp_path, "posts", "none", base_url="https://ex.org/")
    assert urls == {
        "2024-05-02-my-post.md": "https://ex.org/2024/05/02/my-post/",
        "My Other Post.md": "https://ex.org/2024/05/03/My Other Post/",
    }


def test_cache_follows_the_generator_config(tmp_path: Path) -> None:
    """A permalink change in hugo.toml must not be answered from the post cache."""
    write(tmp_path, "hugo.toml", HUGO_TOML)
    post(tmp_path, "content/posts/a.md", "A Title")
    old = datetime.now(UTC).timestamp() - 3600  # not "racy": the cache trusts it
    os.utime(tmp_path / "content/posts/a.md", (old, old))

    def urls() -> list[str]:
        forget()
        config = load_config(
            None,
            cwd=tmp_path,
            overrides={
                "posts_dir": tmp_path / "content/posts",
                "generator": "hugo",
                "cache_dir": tmp_path / "cache",
            },
        )
        return [p.url for p in cached_read(config).posts]

    assert urls() == ["https://example.org/posts/a/"]
    write(tmp_path, "hugo.toml", HUGO_TOML + "[permalinks]\nposts = '/:year/:title/'\n")
    assert urls() == ["https://example.org/2024/a-title/"]


def test_each_load_reads_the_generator_config_again(tmp_path: Path) -> None:
    """A long-lived process (the preview) follows an edit to hugo.toml."""
    write(tmp_path, "hugo.toml", HUGO_TOML)
    post(tmp_path, "content/posts/a.md", "A Title")
    config = load_config(
        None, cwd=tmp_path, overrides={"posts_dir": tmp_path / "content/posts", "generator": "hugo"}
    )
    assert [p.url for p in read_posts(config).posts] == ["https://example.org/posts/a/"]
    write(tmp_path, "hugo.toml", HUGO_TOML + "[permalinks]\nposts = '/:year/:title/'\n")
    assert [p.url for p in read_posts(config).posts] == ["https://example.org/2024/a-title/"]


# --- the real corpora, in a site laid out as their generator wants ----------------------


def _expected(name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((EXPECTED / f"{name}.json").read_text("utf-8"))
    return data


def test_corpus_jekyll(corpora: Path, tmp_path: Path) -> None:
    """jekyllrb.com's news: the docs site's _config.yml has this permalink and time zone."""
    write(
        tmp_path,
        "_config.yml",
        """
        title: Jekyll • Simple, blog-aware, static sites
        url: https://jekyllrb.com
        permalink: /news/:year/:month/:day/:title/
        timezone: America/Los_Angeles
        """,
    )
    shutil.copytree(corpora / "jekyll" / "posts", tmp_path / "_posts")
    urls, drafts, problems = load(tmp_path, "_posts", "jekyll", timezone="America/Los_Angeles")
    assert (problems, drafts) == ({}, set())
    assert urls == _expected("jekyll")


def test_corpus_zola_rust_blog(corpora: Path, tmp_path: Path) -> None:
    write(tmp_path, "config.toml", 'base_url = "https://blog.rust-lang.org"\ntitle = "Rust Blog"\n')
    shutil.copytree(corpora / "rust-blog" / "posts", tmp_path / "content")
    urls, drafts, problems = load(tmp_path, "content", "zola")
    assert (problems, drafts) == ({}, set())
    assert urls == _expected("rust-blog")


def test_corpus_mkdocs_material(corpora: Path, tmp_path: Path) -> None:
    """nhsengland/datascience's mkdocs.yml: blog_dir ./articles, a site_url with a sub-path."""
    write(
        tmp_path,
        "mkdocs.yml",
        """
        site_name: NHS England Data Science
        site_url: https://nhsengland.github.io/datascience
        plugins:
          - search
          - blog:
              blog_dir: ./articles
              authors_file: "{blog}/.authors.yml"
        theme:
          name: material
        markdown_extensions:
          - pymdownx.superfences:
              custom_fences:
                - name: mermaid
                  class: mermaid
                  format: !!python/name:pymdownx.superfences.fence_code_format
        """,
    )
    shutil.copytree(corpora / "nhs-datascience" / "posts", tmp_path / "docs/articles/posts")
    urls, drafts, problems = load(
        tmp_path, "docs/articles/posts", "mkdocs-material", timezone="Europe/London"
    )
    assert (problems, drafts) == ({}, set())
    assert urls == _expected("nhs-datascience")


def test_corpus_eleventy_18f(corpora: Path, tmp_path: Path) -> None:
    """18F computes its permalinks in posts.11tydata.js: [site] permalink states the pattern."""
    write(
        tmp_path,
        "eleventy.config.js",
        'module.exports = function () { return { dir: { input: "content" } }; };\n',
    )
    shutil.copytree(corpora / "18f" / "posts", tmp_path / "content/posts")
    urls, drafts, problems = load(
        tmp_path,
        "content/posts",
        "eleventy",
        base_url="https://18f.gsa.gov/",
        permalink=":year/:month/:day/:slug/",
        timezone="America/New_York",
    )
    assert (problems, drafts) == ({}, set())
    assert urls == _expected("18f")
