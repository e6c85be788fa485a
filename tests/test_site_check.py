"""`digest check --site` and `[site] verify`: every post link is looked up in the real site.

The sites here are built the way the generators publish them (a pretty URL
``/2026/11/24/a/`` is ``2026/11/24/a/index.html`` in ``public/``), sitemaps follow
https://www.sitemaps.org/protocol.html and feeds are RSS 2.0 / Atom.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from digest.checks import PostRef
from digest.checks.site import SiteError, folder_has, missing_posts, site_findings
from digest.cli import main
from digest.config import load_config
from digest.errors import ConfigError

from .conftest import SAMPLE_UNTIL

BASE = "https://notes.example.org/"
POST = """---
title: {title}
date: 2026-11-{day}
categories: [News]
---
A short body for the post.
"""
TOML = (
    '[site]\nname = "Notes"\nurl = "https://notes.example.org/"\n{verify}'
    '[email]\nfrom = "Notes <news@notes.example.org>"\n'
    'unsubscribe_url = "https://notes.example.org/unsubscribe"\n'
)


def project(root: Path, verify: str = "") -> Path:
    """Two posts, published by the default permalink pattern at /2026/11/DD/SLUG/."""
    (root / "posts").mkdir(parents=True)
    for day, slug, title in (("24", "first-post", "First post"), ("25", "second", "Second")):
        (root / "posts" / f"2026-11-{day}-{slug}.md").write_text(
            POST.format(title=title, day=day), encoding="utf-8"
        )
    (root / "digest.toml").write_text(
        TOML.format(verify=f'verify = "{verify}"\n' if verify else ""), encoding="utf-8"
    )
    return root / "digest.toml"


def built_site(root: Path, pages: list[str]) -> Path:
    """A built site folder with an index.html for each pretty URL path."""
    for page in pages:
        target = root / page.strip("/") / "index.html" if page.endswith("/") else root / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("<html><body>page</body></html>", encoding="utf-8")
    return root


def sitemap(urls: list[str]) -> str:
    items = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-24</lastmod></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>\n'
    )


def build(runner: CliRunner, config: Path, *extra: str):
    return runner.invoke(
        main, ["build", "--config", str(config), "--until", SAMPLE_UNTIL, "--no-cache", *extra]
    )


# --- a built site folder -----------------------------------------------------------------------


def test_build_warns_about_a_post_missing_from_the_built_site_and_names_the_closest(
    tmp_path: Path, runner: CliRunner
) -> None:
    # The second post was published under a different slug than the digest links to.
    built_site(tmp_path / "public", ["/", "2026/11/24/first-post/", "2026/11/25/second-post/"])
    config = project(tmp_path, verify="public/")
    result = build(runner, config)
    assert result.exit_code == 0, result.output
    assert (
        "warning: [site] verify: 'Second': the site "
        f"({tmp_path / 'public'}) does not publish {BASE}2026/11/25/second/; the closest URL "
        f"it has is {BASE}2026/11/25/second-post/"
    ) in " ".join(result.output.split())
    assert "first-post" not in result.output  # the published one is not mentioned

    strict = build(runner, config, "--strict", "--out", str(tmp_path / "strict"))
    assert strict.exit_code == 1
    assert not (tmp_path / "strict").exists()


def test_a_complete_built_site_passes_strict(tmp_path: Path, runner: CliRunner) -> None:
    built_site(tmp_path / "public", ["2026/11/24/first-post/", "2026/11/25/second/"])
    result = build(runner, project(tmp_path, verify="public/"), "--strict")
    assert result.exit_code == 0, result.output
    assert "[site]" not in result.output


def test_check_reports_the_site_rule_in_text_and_json(tmp_path: Path, runner: CliRunner) -> None:
    config = project(tmp_path)
    assert build(runner, config).exit_code == 0
    site = built_site(tmp_path / "_site", ["2026/11/24/first-post/"])
    args = ["check", str(tmp_path / "dist"), "--config", str(config), "--site", str(site)]
    text = runner.invoke(main, args)
    assert text.exit_code == 1, text.output
    assert f"error: [site] the site ({site}) does not publish {BASE}2026/11/25/second/" in (
        text.output
    )
    data = json.loads(runner.invoke(main, [*args, "--format", "json"]).output)
    found = [f for f in data["findings"] if f["rule"] == "site"]
    assert [f["where"] for f in found] == ["Second"]
    assert data["passed"] is False

    built_site(site, ["2026/11/25/second/"])
    assert runner.invoke(main, args).exit_code == 0


def test_ugly_urls_are_html_files(tmp_path: Path) -> None:
    root = built_site(tmp_path, ["blog/a.html"]).resolve()
    assert folder_has(root, f"{BASE}blog/a.html", BASE)
    assert not folder_has(root, f"{BASE}blog/b.html", BASE)


def test_the_base_path_is_not_part_of_the_folder(tmp_path: Path) -> None:
    # Hugo and Jekyll publish a site served under /blog/ at the root of public/ and _site/.
    root = built_site(tmp_path, ["posts/a/"]).resolve()
    assert folder_has(root, "https://example.org/blog/posts/a/", "https://example.org/blog/")
    assert not folder_has(root, "https://example.org/blog/posts/b/", "https://example.org/blog/")


@pytest.mark.parametrize(
    "path",
    [
        "../outside/",
        "%2e%2e/outside/",
        "a/..%2f..%2foutside/",
        "..%5coutside/",
        "a/%2e%2e/%2e%2e/outside/",
    ],
)
def test_a_url_cannot_reach_outside_the_site_folder(tmp_path: Path, path: str) -> None:
    built_site(tmp_path / "outside", ["/"])
    root = built_site(tmp_path / "public", ["a/"]).resolve()
    assert not folder_has(root, BASE + path, BASE)


def test_a_symlink_out_of_the_site_folder_is_not_followed(tmp_path: Path) -> None:
    built_site(tmp_path / "outside", ["secret/"])
    root = built_site(tmp_path / "public", ["a/"]).resolve()
    os.symlink(tmp_path / "outside" / "secret", root / "linked")
    os.symlink(tmp_path / "public" / "a", root / "inside-link")
    assert not folder_has(root, BASE + "linked/", BASE)
    assert folder_has(root, BASE + "inside-link/", BASE)


# --- sitemaps ----------------------------------------------------------------------------------


def test_a_sitemap_file(tmp_path: Path) -> None:
    path = tmp_path / "sitemap.xml"
    path.write_text(sitemap([f"{BASE}2026/11/24/first-post/", f"{BASE}about/"]), "utf-8")
    posts = [
        PostRef(title="First", url=f"{BASE}2026/11/24/first-post/"),
        PostRef(title="Gone", url=f"{BASE}2026/11/24/first-pots/"),
    ]
    missing = missing_posts(posts, str(path), BASE)
    assert [(m.post.title, m.closest) for m in missing] == [
        ("Gone", f"{BASE}2026/11/24/first-post/")
    ]


def test_a_sitemap_index_is_followed_to_its_sitemaps(tmp_path: Path) -> None:
    (tmp_path / "post-sitemap.xml").write_text(sitemap([f"{BASE}a/"]), "utf-8")
    (tmp_path / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{BASE}post-sitemap.xml</loc></sitemap></sitemapindex>",
        "utf-8",
    )
    posts = [PostRef(title="A", url=f"{BASE}a/"), PostRef(title="B", url=f"{BASE}b/")]
    missing = missing_posts(posts, str(tmp_path / "sitemap_index.xml"), BASE)
    assert [m.post.title for m in missing] == ["B"]


def test_urls_compare_without_index_html_trailing_slash_or_encoding(tmp_path: Path) -> None:
    path = tmp_path / "sitemap.xml"
    path.write_text(
        sitemap([f"{BASE}caf%C3%A9/index.html", "https://NOTES.example.org/b"]), "utf-8"
    )
    posts = [PostRef(title="A", url=f"{BASE}café/"), PostRef(title="B", url=f"{BASE}b/")]
    assert missing_posts(posts, str(path), BASE) == []


class _Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_site() -> Iterator[tuple[str, dict[str, bytes]]]:
    pages: dict[str, bytes] = {}
    handler = type("Handler", (_Site,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_sitemap_over_http_with_its_index(
    tmp_path: Path, runner: CliRunner, http_site: tuple[str, dict[str, bytes]]
) -> None:
    root, pages = http_site
    pages["/sitemap.xml"] = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>/posts.xml</loc></sitemap></sitemapindex>"
    )
    pages["/posts.xml"] = sitemap([f"{BASE}2026/11/24/first-post/"]).encode()
    config = project(tmp_path, verify=f"{root}/sitemap.xml")
    result = build(runner, config)
    assert result.exit_code == 0, result.output
    assert f"does not publish {BASE}2026/11/25/second/" in " ".join(result.output.split())
    assert "first-post/;" not in result.output


def test_a_sitemap_index_pointing_to_another_host_is_refused(
    http_site: tuple[str, dict[str, bytes]],
) -> None:
    root, pages = http_site
    pages["/sitemap.xml"] = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>http://169.254.169.254/latest/</loc></sitemap></sitemapindex>"
    )
    with pytest.raises(SiteError, match="another host"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], f"{root}/sitemap.xml", BASE)


def test_an_unreachable_site_is_one_finding_not_a_traceback(
    http_site: tuple[str, dict[str, bytes]],
) -> None:
    root, _ = http_site
    findings = site_findings([PostRef(title="A", url=f"{BASE}a/")], f"{root}/none.xml", BASE)
    assert [f.message for f in findings] == [f"cannot verify links: {root}/none.xml: HTTP 404"]


# --- feeds -------------------------------------------------------------------------------------


def test_an_atom_feed(tmp_path: Path) -> None:
    feed = tmp_path / "index.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Notes</title>'
        f'<entry><title>First</title><link href="{BASE}2026/11/24/first-post/"/>'
        "<id>1</id><updated>2026-11-24T00:00:00Z</updated></entry></feed>",
        "utf-8",
    )
    posts = [
        PostRef(title="First", url=f"{BASE}2026/11/24/first-post/"),
        PostRef(title="Second", url=f"{BASE}2026/11/25/second/"),
    ]
    assert [m.post.title for m in missing_posts(posts, str(feed), BASE)] == ["Second"]


def test_an_rss_feed_over_http(http_site: tuple[str, dict[str, bytes]]) -> None:
    root, pages = http_site
    pages["/feed.xml"] = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>'
        f"<item><title>A</title><link>{BASE}a/</link></item></channel></rss>"
    ).encode()
    posts = [PostRef(title="A", url=f"{BASE}a/"), PostRef(title="B", url=f"{BASE}b/")]
    assert [m.post.title for m in missing_posts(posts, f"{root}/feed.xml", BASE)] == ["B"]


# --- hostile sites -----------------------------------------------------------------------------


def test_a_huge_sitemap_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("digest.checks.site.MAX_XML_BYTES", 10_000)
    path = tmp_path / "sitemap.xml"
    path.write_text(sitemap([f"{BASE}p{i}/" for i in range(1000)]), "utf-8")
    with pytest.raises(SiteError, match="larger than"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], str(path), BASE)


def test_a_huge_sitemap_over_http_is_cut_off(
    http_site: tuple[str, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("digest.checks.site.MAX_XML_BYTES", 10_000)
    root, pages = http_site
    pages["/sitemap.xml"] = sitemap([f"{BASE}p{i}/" for i in range(1000)]).encode()
    with pytest.raises(SiteError, match="larger than"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], f"{root}/sitemap.xml", BASE)


def test_a_gzip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setattr("digest.checks.site.MAX_XML_BYTES", 100_000)
    path = tmp_path / "sitemap.xml.gz"
    path.write_bytes(gzip.compress(b"<urlset>" + b" " * 10_000_000 + b"</urlset>"))
    assert path.stat().st_size < 100_000
    with pytest.raises(SiteError, match="unpacked"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], str(path), BASE)


def test_too_many_urls_in_one_sitemap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("digest.checks.site.MAX_URLS_PER_FILE", 10)
    path = tmp_path / "sitemap.xml"
    path.write_text(sitemap([f"{BASE}p{i}/" for i in range(11)]), "utf-8")
    with pytest.raises(SiteError, match="more than 10 entries"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], str(path), BASE)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol3;</loc></url></urlset>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&secret;</loc></url></urlset>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_entities_are_refused(tmp_path: Path, document: str) -> None:
    path = tmp_path / "sitemap.xml"
    path.write_text(document, "utf-8")
    findings = site_findings([PostRef(title="A", url=f"{BASE}a/")], str(path), BASE)
    assert len(findings) == 1
    assert "DOCTYPE or entities is refused" in findings[0].message
    assert "root:" not in findings[0].message


def test_a_file_sitemap_index_reads_children_by_name_only(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "x.xml").write_text(sitemap([f"{BASE}a/"]), "utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitemap.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{BASE}../secret/x.xml</loc></sitemap></sitemapindex>",
        "utf-8",
    )
    with pytest.raises(SiteError, match=r"x\.xml: cannot read it"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], str(site / "sitemap.xml"), BASE)


def test_neither_sitemap_nor_feed(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text("just some text", "utf-8")
    with pytest.raises(SiteError, match="neither a sitemap nor an RSS or Atom feed with entries"):
        missing_posts([PostRef(title="A", url=f"{BASE}a/")], str(path), BASE)


def test_a_missing_site_folder_is_a_finding(tmp_path: Path) -> None:
    findings = site_findings([PostRef(title="A", url=f"{BASE}a/")], str(tmp_path / "nope"), BASE)
    assert "no such file or folder" in findings[0].message


# --- configuration -----------------------------------------------------------------------------


def test_verify_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, verify="public/"))
    assert config.site.verify == str((tmp_path / "public").resolve())
    (tmp_path / "digest.toml").write_text('[site]\nverify = "https://x.example/sitemap.xml"\n')
    assert load_config(tmp_path / "digest.toml").site.verify == "https://x.example/sitemap.xml"


@pytest.mark.parametrize("value", ['"ftp://x.example/sitemap.xml"', "3", '"file:///etc/"'])
def test_verify_refuses_other_schemes_and_types(tmp_path: Path, value: str) -> None:
    (tmp_path / "digest.toml").write_text(f"[site]\nverify = {value}\n")
    with pytest.raises(ConfigError, match=r"\[site\] verify: expected"):
        load_config(tmp_path / "digest.toml")


def test_a_post_published_on_another_host_is_not_looked_for(tmp_path: Path) -> None:
    root = built_site(tmp_path / "public", ["a/"])
    posts = [
        PostRef(title="Syndicated", url="https://medium.example/@notes/a-post"),
        PostRef(title="Here", url=f"{BASE}a/"),
    ]
    assert missing_posts(posts, str(root), BASE) == []


def test_the_closest_url_is_found_among_many_by_date_path_or_slug() -> None:
    from digest.checks.site import closest

    known = [
        f"{BASE}{year}/{month:02d}/{day:02d}/post-{year}-{month}-{day}/"
        for year in range(2000, 2027)
        for month in range(1, 13)
        for day in range(1, 29)
    ]
    known.append(f"{BASE}blog/the-missing-one/")
    assert len(known) > 9_000
    assert closest(f"{BASE}2026/11/25/the-missing-one/", known) == f"{BASE}blog/the-missing-one/"
    assert closest(f"{BASE}2026/11/25/post-2026-11-25-x/", known) == (
        f"{BASE}2026/11/25/post-2026-11-25/"
    )
    assert closest(BASE + "x" * 100_000, known) is None


def test_a_site_address_is_checked_through_its_sitemap(
    http_site: tuple[str, dict[str, bytes]],
) -> None:
    root, pages = http_site
    pages["/blog/"] = b"<!DOCTYPE html><html><body>Home</body></html>"
    pages["/blog/sitemap.xml"] = sitemap([f"{BASE}a/"]).encode()
    posts = [PostRef(title="A", url=f"{BASE}a/"), PostRef(title="B", url=f"{BASE}b/")]
    assert [m.post.title for m in missing_posts(posts, f"{root}/blog/", BASE)] == ["B"]


def test_a_build_without_its_manifest_has_nothing_to_verify(tmp_path: Path) -> None:
    from digest.checks import CheckOptions, EmailParts, check

    parts = EmailParts(html="<html><body><p>x</p></body></html>", text="x", subject="s")
    report = check(parts, CheckOptions(site=str(tmp_path)))
    assert [f.severity for f in report.findings if f.rule == "site"] == ["info"]
    assert not [f for f in check(parts).findings if f.rule == "site"]
