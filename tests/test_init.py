"""``digest init``: one command from a site's root to a digest.toml that builds.

The site config files are written the way each generator's documentation
shows them (the quick-start pages of gohugo.io, jekyllrb.com, getzola.org,
11ty.dev, docs.astro.build and squidfunk.github.io/mkdocs-material).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import load_config
from digest.errors import UsageError
from digest.init import init_site
from digest.sites import forget
from digest.sources.markdown import read_posts


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def post(root: Path, rel: str, title: str, date: str = "2024-05-02") -> None:
    write(root, rel, f"---\ntitle: {title}\ndate: {date}\n---\nBody.\n")


def urls_after_init(root: Path) -> dict[str, str]:
    """Init, then load the posts with nothing but the written digest.toml."""
    init_site(root)
    forget()
    config = load_config(root / "digest.toml")
    result = read_posts(config)
    assert result.problems == ()
    return {p.source: p.url for p in result.posts}


def test_hugo_site(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hugo.toml",
        """
        baseURL = 'https://example.org/'
        languageCode = 'en-gb'
        title = 'My New Hugo Site'
        timeZone = 'Europe/London'

        [permalinks]
          [permalinks.page]
            posts = '/:year/:month/:slug/'
        """,
    )
    write(tmp_path, "content/_index.md", "---\ntitle: Home\n---\n")
    write(tmp_path, "content/about.md", "---\ntitle: About\n---\n")
    post(tmp_path, "content/posts/My First Post.md", "My First Post")
    post(tmp_path, "content/posts/trip/index.md", "Trip Report")
    post(tmp_path, "content/posts/trip/gear.md", "A resource")
    assert urls_after_init(tmp_path) == {
        "My First Post.md": "https://example.org/2024/05/my-first-post/",
        "trip/index.md": "https://example.org/2024/05/trip-report/",
    }
    config = load_config(tmp_path / "digest.toml")
    site = config.site
    assert (site.name, site.language, site.timezone, site.generator) == (
        "My New Hugo Site",
        "en",
        "Europe/London",
        "hugo",
    )
    assert config.paths.posts == (tmp_path / "content/posts").resolve()


def test_hugo_content_dir_and_config_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        "config/_default/hugo.yaml",
        """
        baseURL: https://example.org/blog/
        title: Folder config
        contentDir: src
        """,
    )
    post(tmp_path, "src/blog/Hello.md", "Hello")
    post(tmp_path, "src/docs/page.md", "Not dated", date="")
    assert urls_after_init(tmp_path) == {"Hello.md": "https://example.org/blog/blog/hello/"}


def test_jekyll_site(tmp_path: Path) -> None:
    write(
        tmp_path,
        "_config.yml",
        """
        title: Your awesome title
        url: "https://example.com"
        baseurl: "/blog"
        timezone: America/New_York
        permalink: pretty
        """,
    )
    post(tmp_path, "_posts/2024-05-02-welcome-to-jekyll.markdown", "Welcome", date="")
    assert urls_after_init(tmp_path) == {
        "2024-05-02-welcome-to-jekyll.markdown": "https://example.com/blog/2024/05/02/welcome-to-jekyll/"
    }
    assert load_config(tmp_path / "digest.toml").site.timezone == "America/New_York"


def test_zola_site(tmp_path: Path) -> None:
    write(
        tmp_path,
        "config.toml",
        """
        base_url = "https://example.com"
        title = "Zola blog"
        compile_sass = false
        default_language = "fr"
        """,
    )
    write(tmp_path, "content/blog/_index.md", '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n')
    write(tmp_path, "content/blog/first.md", '+++\ntitle = "First"\ndate = 2024-05-02\n+++\n')
    assert urls_after_init(tmp_path) == {"first.md": "https://example.com/blog/first/"}
    assert load_config(tmp_path / "digest.toml").site.language == "fr"


def test_mkdocs_material_site(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mkdocs.yml",
        """
        site_name: My Docs
        site_url: https://example.org/
        theme:
          name: material
          language: de
        plugins:
          - blog
        markdown_extensions:
          - pymdownx.emoji:
              emoji_generator: !!python/name:material.extensions.emoji.to_svg
        """,
    )
    post(tmp_path, "docs/blog/posts/hello.md", "Hello world")
    assert urls_after_init(tmp_path) == {
        "hello.md": "https://example.org/blog/2024/05/02/hello-world/"
    }


def test_eleventy_site_has_no_base_url_so_it_says_so(tmp_path: Path, runner: CliRunner) -> None:
    write(
        tmp_path,
        "eleventy.config.js",
        'export default function (eleventyConfig) {}\nexport const config = { dir: { input: "src" } };\n',
    )
    post(tmp_path, "src/posts/2024-05-02-hello.md", "Hello")
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "generator: Eleventy" in result.output
    assert "guessed: base URL" in result.output
    config = load_config(tmp_path / "digest.toml")
    assert config.site.generator == "eleventy"
    assert config.paths.posts == (tmp_path / "src/posts").resolve()


def test_astro_site(tmp_path: Path) -> None:
    write(
        tmp_path,
        "astro.config.mjs",
        """
        import { defineConfig } from 'astro/config';
        export default defineConfig({
          site: 'https://example.com',
        });
        """,
    )
    write(tmp_path, "src/pages/blog/[...slug].astro", "---\n---\n")
    write(tmp_path, "src/content/blog/first-post.md", "---\ntitle: F\npubDate: 2024-05-02\n---\n")
    assert urls_after_init(tmp_path) == {"first-post.md": "https://example.com/blog/first-post/"}


def test_no_site_writes_a_starter(tmp_path: Path) -> None:
    result = init_site(tmp_path)
    assert result.generator == "none"
    config = load_config(tmp_path / "digest.toml")
    assert config.site.generator == "none"
    assert "starter" in (tmp_path / "digest.toml").read_text()


def test_never_overwrites_without_force(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "digest.toml").write_text("# mine\n")
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "digest.toml").read_text() == "# mine\n"
    result = runner.invoke(main, ["init", str(tmp_path), "--force"])
    assert result.exit_code == 0
    assert "starter" in (tmp_path / "digest.toml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest.toml"]  # no temporary left


def test_written_file_builds(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path, "hugo.toml", "baseURL = 'https://example.org/'\ntitle = 'T'\n")
    post(tmp_path, "content/posts/a.md", "A")
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    forget()
    result = runner.invoke(
        main,
        [
            "build",
            "--config",
            str(tmp_path / "digest.toml"),
            "--since",
            "2024-05-01",
            "--until",
            "2024-05-03",
        ],
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "dist" / "digest.html").read_text()
    assert "https://example.org/posts/a/" in html


def test_wrong_generator_asked_for(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no jekyll config file"):
        init_site(tmp_path, generator="jekyll")
    with pytest.raises(UsageError, match="unknown generator"):
        init_site(tmp_path, generator="gatsby")
