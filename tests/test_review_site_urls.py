"""Front-matter URL overrides that would lead a post link off the site.

Hugo's ``url`` field is a path below the base URL: ``CreateTargetPaths``
(``resources/page/page_paths.go``) runs ``path.Join("/", url)`` on a value
holding ``..`` and then adds it below the site, so ``url: ../../x`` is
published at ``<baseURL>/x/``, never above the base URL's path; the "URL
management" page says url values "are relative to the baseURL". A value with a
scheme (``https://evil.example/``, ``mailto:``) or a ``//host`` start is not a
page address on the site at all: the post is refused with a warning naming it.
Jekyll's ``permalink`` is likewise a path (``URL#sanitize_url`` prefixes ``/``).
"""

from __future__ import annotations

import pytest

from tests.test_sites import load, post, write

HUGO = "baseURL = 'https://site.example/blog/'\n"


@pytest.mark.parametrize(
    "value",
    ["https://evil.example/x/", "//evil.example/y/", "mailto:someone@example.org"],
)
def test_hugo_url_off_the_site_is_refused(tmp_path, value):  # type: ignore[no-untyped-def]
    write(tmp_path, "hugo.toml", HUGO)
    post(tmp_path, "content/posts/a.md", "Away", f"url: '{value}'\n")
    post(tmp_path, "content/posts/b.md", "Home")
    urls, _, problems = load(tmp_path, "content/posts", "hugo")
    assert urls == {"b.md": "https://site.example/blog/posts/b/"}
    ((where, message),) = problems.items()
    assert "a.md" in where and value in message and "path" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # path.Join("/", "../../../x") == "/x": below the base URL's own path
        ("../../../x", "https://site.example/blog/x/"),
        ("/a/../../b/", "https://site.example/blog/b/"),
        ("/%2e%2e/%2E%2e/z/", "https://site.example/blog/z/"),  # what a browser reads as ..
    ],
)
def test_hugo_url_dot_segments_stay_below_the_base(tmp_path, value, expected):  # type: ignore[no-untyped-def]
    write(tmp_path, "hugo.toml", HUGO)
    post(tmp_path, "content/posts/a.md", "Dots", f"url: '{value}'\n")
    urls, _, problems = load(tmp_path, "content/posts", "hugo")
    assert urls == {"a.md": expected}, problems


def test_hugo_slug_of_dots_never_climbs_above_the_base(tmp_path):  # type: ignore[no-untyped-def]
    # Hugo joins the slug below the section with path.Join: "/posts/.." is "/", the home
    # page, which is no address for a post: refused with a warning, never ".." in a link
    write(tmp_path, "hugo.toml", HUGO)
    post(tmp_path, "content/posts/a.md", "Dots", "slug: '..'\n")
    post(tmp_path, "content/posts/b.md", "Dots", "slug: '../../../c'\n")
    urls, _, problems = load(tmp_path, "content/posts", "hugo")
    assert "a.md" not in urls and any("a.md" in where for where in problems)
    assert urls["b.md"] == "https://site.example/blog/c/"


def test_jekyll_absolute_permalink_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    write(tmp_path, "_config.yml", "url: https://site.example\n")
    post(tmp_path, "_posts/2024-05-02-a.md", "Away", "permalink: https://evil.example/a/\n")
    urls, _, problems = load(tmp_path, "_posts", "jekyll")
    assert urls == {}
    assert any("https://evil.example/a/" in m for m in problems.values())


def test_hugo_post_whose_permalink_is_the_home_page_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    # ":slug" falls back to the title; urlize drops "!!!" entirely, so the pattern "/:slug/"
    # expands to "/": the site's home page, not the post
    write(tmp_path, "hugo.toml", HUGO + "[permalinks]\nposts = '/:slug/'\n")
    post(tmp_path, "content/posts/x.md", "!!!")
    post(tmp_path, "content/posts/y.md", "Fine")
    urls, _, problems = load(tmp_path, "content/posts", "hugo")
    assert urls == {"y.md": "https://site.example/blog/fine/"}
    assert any("x.md" in where and "slug" in msg for where, msg in problems.items()), problems
