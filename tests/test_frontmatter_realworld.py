"""Front matter as real sites write it: linked and listed authors, author ids resolved through
the site's data files, category slugs shown by their term page's title, and real bodies'
excerpts. Expected values are written from the raw files and the generators' documentation.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, load_config
from digest.excerpts import make_excerpt
from digest.fields import authors
from digest.metadata import parse_post
from digest.sitedata import MAX_LEVELS, SiteData, find_site_root, load_site_data
from digest.sources.markdown import read_posts, with_bodies

# --- authors as written ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "byline"),
    [
        # kubernetes/website writes bylines this way
        (
            {"author": "[Rey Lejano](https://github.com/reylejano) (Red Hat)"},
            "Rey Lejano (Red Hat)",
        ),
        (
            {"author": '<a href="https://x.example/ann">Ann &amp; Co</a> (Acme)'},
            "Ann & Co (Acme)",
        ),
        ({"authors": ["Ann", "Bo", "Cy"]}, "Ann, Bo and Cy"),
        ({"authors": [{"name": "Ann"}, {"name": "[Bo](https://b.example)"}]}, "Ann and Bo"),
        ({"author": {"name": "Ann", "url": "https://a.example"}}, "Ann"),
        ({"author": '[Ann](https://a.example "Ann\'s site") and [Bo](/bo/)'}, "Ann and Bo"),
    ],
)
def test_authors_are_plain_names(meta: dict[str, object], byline: str) -> None:
    assert authors(meta) == byline


def test_an_author_id_is_shown_by_the_name_the_site_gives_it() -> None:
    known = {"jdoe": "Jane Doe"}
    assert authors({"authors": ["jdoe", "Sam Lee"]}, known) == "Jane Doe and Sam Lee"
    assert authors({"author": {"id": "jdoe"}}, known) == "Jane Doe"


# --- author data files -------------------------------------------------------------------------


POST = "---\ntitle: A post\ndate: 2026-11-24\n{extra}---\nBody.\n"


def site_with(root: Path, files: dict[str, str], posts: str = "content/posts") -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / posts).mkdir(parents=True, exist_ok=True)
    return root / posts


def config_for(posts: Path, tmp_path: Path) -> Config:
    return load_config(
        None,
        overrides={"posts_dir": posts, "base_url": "https://site.example/", "timezone": "UTC"},
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("files", "posts"),
    [
        # Hugo: one file per author in data/authors/, keyed by the file name
        ({"data/authors/jdoe.yaml": "name: Jane Doe\nbio: Writes.\n"}, "content/posts"),
        ({"data/authors/jdoe.toml": 'name = "Jane Doe"\n'}, "content/blog"),
        ({"data/authors/jdoe.json": '{"name": "Jane Doe"}'}, "content/posts"),
        # Hugo: one map of authors
        ({"data/authors.toml": '[jdoe]\nname = "Jane Doe"\n'}, "content/posts"),
        # Jekyll: _data/authors.yml, a map of ids (jekyll-seo-tag's shape)
        ({"_data/authors.yml": "jdoe:\n  name: Jane Doe\n  twitter: jd\n"}, "_posts"),
        ({"_data/authors.yml": "jdoe: Jane Doe\n"}, "_posts"),
        ({"_data/authors.json": '[{"id": "jdoe", "name": "Jane Doe"}]'}, "_posts"),
        # MkDocs Material's blog: .authors.yml beside the posts folder
        ({"docs/blog/.authors.yml": "authors:\n  jdoe:\n    name: Jane Doe\n"}, "docs/blog/posts"),
    ],
)
def test_author_data_files(tmp_path: Path, files: dict[str, str], posts: str) -> None:
    folder = site_with(tmp_path, files, posts)
    config = config_for(folder, tmp_path)
    post = parse_post(POST.format(extra="author: jdoe\n"), "a.md", config)
    assert post is not None and post.author == "Jane Doe"
    marker = tmp_path / next(iter(files))
    assert Path(config.site_data.root) in marker.parents


def test_the_real_18f_post_by_author_ids(tmp_path: Path, corpora: Path) -> None:
    # 18f.gsa.gov keeps its authors in _data/authors.yaml keyed by these ids
    name = "2016-11-17-leadership-innovation-california-child-welfare-services.md"
    folder = site_with(
        tmp_path,
        {
            "_data/authors.yaml": "stuart-drown:\n  full_name: Stuart Drown\n"
            "mike-wilkening:\n  full_name: Mike Wilkening\n"
        },
        "content/posts",
    )
    shutil.copy(corpora / "18f" / "posts" / name, folder / name)
    (post,) = read_posts(config_for(folder, tmp_path)).posts
    assert post.author == "Stuart Drown and Mike Wilkening"


def test_the_real_nhs_post_by_mkdocs_author_id(tmp_path: Path, corpora: Path) -> None:
    folder = site_with(
        tmp_path,
        {
            "docs/articles/.authors.yml": "authors:\n  SamHollings:\n    name: Sam Hollings\n"
            "    description: Principal Data Scientist\n    avatar: https://x.example/s.png\n"
        },
        "docs/articles/posts",
    )
    shutil.copy(corpora / "nhs-datascience" / "posts" / "20230105_rap.md", folder)
    (post,) = read_posts(config_for(folder, tmp_path)).posts
    assert post.author == "Sam Hollings"


def test_an_unknown_id_stays_as_written(tmp_path: Path) -> None:
    folder = site_with(tmp_path, {"_data/authors.yml": "jdoe: Jane Doe\n"}, "_posts")
    post = parse_post(POST.format(extra="author: Sam Lee\n"), "a.md", config_for(folder, tmp_path))
    assert post is not None and post.author == "Sam Lee"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("_data/authors.yml", "jdoe: [unclosed\n", "data file ignored"),
        ("_data/authors.yml", "a: &a [*a]\n", "data file ignored"),
        ("_data/authors.yml", "x: !!python/object:os.system ls\n", "data file ignored"),
        ("data/authors/jdoe.json", "{not json", "data file ignored"),
        ("content/categories/news/_index.md", "---\ntitle: [\n---\n", "term page ignored"),
    ],
)
def test_a_broken_data_file_is_a_warning_naming_it(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    folder = site_with(tmp_path, {name: text}, "content/posts")
    config = config_for(folder, tmp_path)
    warnings = [str(w) for w in config.warnings]
    assert len(warnings) == 1 and warnings[0].startswith(f"{tmp_path / name}: {problem}: ")


def test_a_huge_data_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("digest.sitedata.MAX_FILE_BYTES", 100)
    folder = site_with(tmp_path, {"_data/authors.yml": "jdoe: Jane Doe\n" + "#" * 200}, "_posts")
    config = config_for(folder, tmp_path)
    assert config.site_data.authors == {}
    assert "larger than" in str(config.warnings[0])


def test_the_site_root_is_looked_for_a_bounded_way_up(tmp_path: Path) -> None:
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "authors.yml").write_text("jdoe: Jane Doe\n")
    near = tmp_path.joinpath(*["d"] * MAX_LEVELS)
    far = tmp_path.joinpath(*["d"] * (MAX_LEVELS + 1))
    far.mkdir(parents=True)
    assert find_site_root(near) == tmp_path
    assert find_site_root(far) is None


def test_changing_an_author_file_refreshes_cached_posts(tmp_path: Path) -> None:
    folder = site_with(tmp_path, {"_data/authors.yml": "jdoe: Jane Doe\n"}, "_posts")
    (folder / "2026-11-24-a.md").write_text(POST.format(extra="author: jdoe\n"))
    os.utime(folder / "2026-11-24-a.md", (1_700_000_000, 1_700_000_000))  # past the racy window
    config = config_for(folder, tmp_path).but(cache_dir=tmp_path / "cache")
    from digest.cache import cached_read

    assert cached_read(config).posts[0].author == "Jane Doe"
    (tmp_path / "_data" / "authors.yml").write_text("jdoe: Jane Q. Doe\n")
    assert (
        cached_read(config_for(folder, tmp_path).but(cache_dir=tmp_path / "cache")).posts[0].author
        == "Jane Q. Doe"
    )


# --- category labels ---------------------------------------------------------------------------


def test_labels_from_hugo_term_pages_and_jekyll_data() -> None:
    data = SiteData(categories={"release notes": "Release notes", "k8s": "Kubernetes"})
    assert data.label("release-notes") == "Release notes"
    assert data.label("Release_Notes") == "Release notes"
    assert data.label("k8s") == "Kubernetes"
    assert data.label("community-news") == "Community News"  # a bare slug: title-cased
    assert data.label("iOS tips") == "iOS tips"  # written as a name: kept


def test_hugo_term_page_titles(tmp_path: Path) -> None:
    folder = site_with(
        tmp_path,
        {
            # https://gohugo.io/content-management/taxonomies/: a term's own page
            "content/categories/release-notes/_index.md": "---\ntitle: Release notes\n---\n",
            "content/categories/k8s/_index.md": '+++\ntitle = "Kubernetes"\n+++\n',
            "content/tags/k8s/_index.md": "---\ntitle: K8s (tag)\n---\n",
            "content/tags/go/_index.md": "---\ntitle: Go\n---\n",
        },
    )
    assert load_site_data(folder).categories == {
        "release notes": "Release notes",
        "k8s": "Kubernetes",  # the category's page wins over the tag's
        "go": "Go",
    }


def test_jekyll_category_data(tmp_path: Path) -> None:
    folder = site_with(
        tmp_path, {"_data/categories.yml": "k8s:\n  name: Kubernetes\ngo: Go\n"}, "_posts"
    )
    assert load_site_data(folder).categories == {"k8s": "Kubernetes", "go": "Go"}


def write_site(root: Path, posts: dict[str, str], extra: dict[str, str] | None = None) -> Path:
    folder = site_with(root, extra or {}, "content/posts")
    for name, text in posts.items():
        (folder / name).write_text(text, encoding="utf-8")
    (root / "digest.toml").write_text(
        '[site]\nname = "Notes"\nurl = "https://notes.example.org/"\n'
        '[paths]\nposts = "content/posts"\n'
        '[email]\nfrom = "Notes <n@notes.example.org>"\n'
        'unsubscribe_url = "https://notes.example.org/u"\n',
        encoding="utf-8",
    )
    return root / "digest.toml"


def build(runner: CliRunner, config: Path) -> tuple[str, str]:
    result = runner.invoke(
        main, ["build", "--config", str(config), "--until", "2026-11-26", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    out = config.parent / "dist"
    return (out / "digest.html").read_text(), (out / "digest.txt").read_text()


def test_sections_and_bylines_use_the_term_titles(tmp_path: Path, runner: CliRunner) -> None:
    config = write_site(
        tmp_path,
        {
            "a.md": POST.format(extra="categories: [release-notes]\n"),
            "b.md": POST.format(extra="categories: [community-news]\n").replace("A post", "B"),
        },
        {"content/categories/release-notes/_index.md": "---\ntitle: Release notes\n---\n"},
    )
    html, text = build(runner, config)
    assert "RELEASE NOTES\n-------------" in text and "COMMUNITY NEWS" in text
    # en: CLDR long date, kept on one line; the section's name is not repeated in the byline
    assert "November\u00a024,\u00a02026\n" in text and "· Release notes" not in text
    assert ">Release notes</h2>" in html and "release-notes" not in text


def test_uncategorised_posts_get_no_lone_heading(tmp_path: Path, runner: CliRunner) -> None:
    config = write_site(tmp_path, {"a.md": POST.format(extra=""), "b.md": POST.format(extra="")})
    html, text = build(runner, config)
    body = html.split("</head>", 1)[1]
    assert ">Other</h2>" not in body and "OTHER" not in text and "NOTES\n-----" not in text
    # with no section heading, post titles are h2: no jump from the masthead's h1 to h3
    levels = re.findall(r"<h([1-6])\b", body)
    assert "3" not in levels and levels.count("2") == 2, levels
    result = runner.invoke(main, ["check", str(config.parent / "dist")])
    assert "heading level" not in result.output, result.output


# --- real bodies' excerpts (expected text from the raw files) ----------------------------------


def excerpt_of(corpora: Path, rel: str, words: int = 55) -> str:
    from digest.front_matter import split_frontmatter
    from digest.models import Post

    _, body = split_frontmatter((corpora / rel).read_text(encoding="utf-8"))
    when = datetime(2026, 1, 1, tzinfo=UTC)
    post = Post(source=rel, title="T", date=when, url="https://x/", body=body)
    return make_excerpt(post, words, " […]")


def test_a_release_post_with_a_contributor_list_gives_its_prose(corpora: Path) -> None:
    # Jekyll 3.2: two paragraphs, then "Some other notable changes:" and a list of 80 names
    assert excerpt_of(corpora, "jekyll/posts/2016-07-26-jekyll-3-2-0-released.markdown", 20) == (
        "Happy Day! Jekyll v3.2.0 is out, and packed full of goodies. Our flagship feature for "
        "this release has been themes. […]"
    )


def test_a_reference_link_defined_later_reads_as_its_text(corpora: Path) -> None:
    # "[Rustup][install]" with "[install]: https://rustup.rs" defined further down
    assert excerpt_of(corpora, "rust-blog/posts/Rustup-1.22.0.md", 16) == (  # 16 words
        "The rustup working group is happy to announce the release of rustup version 1.22.0. "
        "Rustup is […]"
    )


def test_with_bodies_then_excerpt_on_a_real_corpus(tmp_path: Path, corpora: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    shutil.copy(corpora / "rust-blog" / "posts" / "Rust-1.5.md", folder / "2015-12-10-rust.md")
    config = config_for(folder, tmp_path)
    (post,) = with_bodies(read_posts(config).posts, config)
    assert make_excerpt(post, 12, " […]") == (
        "Today we're releasing Rust 1.5 stable. This post gives the highlights, and […]"
    )
