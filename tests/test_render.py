"""Rendering: escaping, both parts, template overrides, errors, determinism, golden files."""

import re
from datetime import date
from pathlib import Path

import pytest

from digest.config import Config, load_config
from digest.errors import RenderError, TemplateError
from digest.pipeline import build, plan
from digest.render import mjml_to_html, render
from digest.sizes import KB

from .conftest import REPO, WritePost, copy_sample

UNTIL = date(2026, 11, 26)


@pytest.fixture
def hostile(write_post: WritePost, tmp_config) -> Config:
    write_post(
        "2026-11-25-evil.md",
        """
        ---
        title: "<script>alert('x')</script> & <b>bold</b> {{ 7*7 }}"
        author: "<img src=x onerror=alert(1)>"
        categories: ["<i>Cat</i>"]
        excerpt: '<a href="javascript:alert(1)">click</a> &amp; more'
        ---
        Body.
        """,
    )
    write_post("2026-11-24-plain.md", "---\ntitle: Plain & simple\n---\nJust text.\n", raw=True)
    return tmp_config(until=UNTIL)


def test_post_content_is_escaped_in_html(hostile: Config) -> None:
    result = build(hostile, write=False)
    html = result.rendered.html
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        or "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    )
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "javascript:" not in html
    assert "{{ 7*7 }}" in html  # literal text, not evaluated
    assert "Plain &amp; simple" in html


def test_text_part_is_plain_wrapped_and_complete(hostile: Config) -> None:
    text = build(hostile, write=False).rendered.text
    assert "Plain & simple" in text and "&amp;" not in text
    assert (
        "<script>alert('x')</script> & <b>bold</b> {{ 7*7 }}" in text
    )  # plain text: shown as written
    assert "click & more" in text  # the excerpt is prose; the unsafe link is gone
    for line in text.splitlines():
        assert len(line) <= 72 or line.startswith(
            ("Read more: http", "Unsubscribe: ", "View in your browser: ")
        ), line
    assert "Read more: https://blog.example.org/2026/11/25/evil/" in text
    assert text.endswith("\n") and "\n\n\n" not in text


def test_read_more_links_have_unique_accessible_names(sample_config: Config) -> None:
    html = build(sample_config.but(until=UNTIL), write=False).rendered.html
    labels = re.findall(r'aria-label="(Read more: [^"]+)"', html)
    assert len(labels) == 8
    assert len(set(labels)) == len(labels)
    assert '<html lang="en-GB"' in html
    assert html.startswith("<!doctype html>")


def test_media_queries_keep_important_and_css_is_inlined(sample_config: Config) -> None:
    html = build(sample_config.but(until=UNTIL), write=False).rendered.html
    assert re.search(r"@media only screen and \(min-width:480px\)\s*\{[^}]*!important", html)
    assert "prefers-color-scheme: dark" in html
    # .read-more a { text-decoration: underline } from the <style> block, inlined
    assert re.search(
        r'<a [^>]*aria-label="Read more: [^"]+" style="[^"]*text-decoration:\s*underline', html
    )


def test_user_templates_override_and_extend_the_builtin(
    sample_config: Config, tmp_path: Path
) -> None:
    (tmp_path / "digest.txt.j2").write_text(
        '{% extends "builtin/digest.txt.j2" %}{% block footer %}CUSTOM FOOTER{% endblock %}'
    )
    (tmp_path / "digest.mjml.j2").write_text(
        '{% extends "builtin/digest.mjml.j2" %}'
        "{% block intro %}<mj-section><mj-column><mj-text>Hello {{ digest.site_name }}</mj-text>"
        "</mj-column></mj-section>{% endblock %}"
    )
    result = build(sample_config.but(until=UNTIL, templates_dir=tmp_path), write=False)
    assert result.rendered.text.rstrip().endswith("CUSTOM FOOTER")
    assert "Hello Leading Well" in result.rendered.html
    assert "Welcome to the Leading Well digest" not in result.rendered.html
    assert "Saying no without closing the door" in result.rendered.html


def test_template_errors_name_file_and_line(sample_config: Config, tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text("line one\n{% if %}\n")
    digest = plan(sample_config.but(until=UNTIL)).digest
    with pytest.raises(TemplateError) as caught:
        render(digest, tmp_path)
    assert "digest.txt.j2:2" in str(caught.value)
    (tmp_path / "digest.txt.j2").write_text("{{ digest.no_such_field }}\n")
    with pytest.raises(TemplateError, match="no_such_field"):
        render(digest, tmp_path)


def test_broken_mjml_is_a_render_error_naming_the_template() -> None:
    with pytest.raises(RenderError, match=r"digest\.mjml\.j2: MJML could not be rendered"):
        mjml_to_html("<mjml><mj-body><mj-section>")


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    """Two real renders (no cache), from two copies of the project, into two folders."""
    files = []
    for name in ("one", "two"):
        root = copy_sample(tmp_path / name)
        config = load_config(root / "digest.toml").but(until=UNTIL, cache_dir=None)
        result = build(config)
        assert result.files and all(p.is_relative_to(root) for p in result.files)
        files.append({p.name: p.read_bytes() for p in result.files})
    assert files[0] == files[1]
    assert set(files[0]) == {"digest.html", "digest.txt", "digest.json"}


def test_golden_sample_digest(sample_config: Config, golden) -> None:
    """The whole sample digest, byte for byte. Regenerate with: pytest --update-golden"""
    result = build(sample_config.but(until=UNTIL))
    golden("sample.html", result.rendered.html)
    golden("sample.txt", result.rendered.text)
    golden("sample.json", (sample_config.paths.out / "digest.json").read_text(encoding="utf-8"))


def test_builtin_templates_are_found_from_a_checkout() -> None:
    from digest.templates import builtin_templates_dir

    found = builtin_templates_dir()
    assert (found / "digest.mjml.j2").is_file() and (found / "digest.txt.j2").is_file()
    # Installed: the packaged copy; from a checkout: templates/ at the top of the repo.
    assert found.parent.name == "digest" or found == REPO / "templates"


def test_over_budget_digest_collapses_later_posts_and_says_so(
    write_post: WritePost, tmp_config, caplog: pytest.LogCaptureFixture
) -> None:
    long_excerpt = " ".join(["word"] * 50)
    for day in range(1, 29):
        write_post(
            f"2026-02-{day:02d}-post.md",
            f"---\ntitle: Post {day}\nexcerpt: {long_excerpt}\n---\n",
            raw=True,
        )
    roomy = build(
        tmp_config(until=date(2026, 2, 28), since=date(2026, 2, 1), size_budget_kb=500), write=False
    )
    assert not roomy.digest.more
    full_size = len(roomy.rendered.html.encode())
    budget_kb = 40
    assert full_size > budget_kb * KB
    with caplog.at_level("WARNING", logger="digest"):
        tight = build(
            tmp_config(until=date(2026, 2, 28), since=date(2026, 2, 1), size_budget_kb=budget_kb),
            write=False,
        )
    size = len(tight.rendered.html.encode())
    assert size <= budget_kb * KB
    assert tight.digest.more, "some posts were collapsed"
    full_titles = [e.post.title for s in tight.digest.sections for e in s.entries]
    more_titles = [e.post.title for e in tight.digest.more]
    assert full_titles + more_titles == [
        e.post.title for s in roomy.digest.sections for e in s.entries
    ]
    # the fewest posts were collapsed: one fewer would not fit
    from digest.render import ESTIMATE_MARGIN, collapse, render

    one_fewer = collapse(roomy.digest, len(more_titles) - 1)
    # (or, within the estimate's safety margin, one more: that saves a third render)
    assert render(one_fewer, None).html_bytes > budget_kb * KB - ESTIMATE_MARGIN
    # a 28-day window: the heading says so rather than "this week"
    assert "More posts in the last four weeks" in tight.rendered.html
    assert "MORE POSTS IN THE LAST FOUR WEEKS" in tight.rendered.text
    for title in more_titles:
        assert title in tight.rendered.text
    assert any("size budget" in r.getMessage() for r in caplog.records)


def test_preheader_is_hidden_and_padded(sample_config: Config) -> None:
    html = build(sample_config.but(until=UNTIL), write=False).rendered.html
    match = re.search(r'<div style="display:none;[^"]*">([^<]*)</div>', html)
    assert match, "hidden preheader block"
    assert match.group(1).startswith("Every &quot;yes&quot;") or match.group(1).startswith(
        'Every "yes"'
    )
    assert match.group(1).count("\u200c") >= 50  # premailer writes the entities as characters


def test_mjml_resets_stay_in_the_head_and_are_not_inlined(sample_config: Config) -> None:
    """Issue 13, item 7: premailer copied MJML's resets (``table, td { border-collapse …;
    mso-table-lspace … }``, ``body``, ``img``) onto every element, about 10 KB of a
    three-week digest. Clients that need them read them from the head, where MJML puts them
    (official MJML does not inline them either)."""
    html = build(sample_config.but(until=UNTIL), write=False).rendered.html
    head, _, body = html.partition("</head>")
    attributes = " ".join(re.findall(r'\sstyle="([^"]*)"', body))
    for reset in ("mso-table-lspace", "mso-table-rspace", "-webkit-text-size", "-ms-interpolation"):
        assert reset not in attributes
        assert reset in head
    assert head.count("#outlook a") == 1 and "data-premailer" not in html
    # the template's own CSS is still inlined: links, headings, read-more
    assert re.search(r'<h1 style="[^"]*margin:\s*0', body)
    assert re.search(r'<a href="[^"]+" style="[^"]*color:\s*#52606d', body)  # .footer a


def test_a_templates_own_table_rules_are_still_inlined(
    sample_config: Config, tmp_path: Path
) -> None:
    """Only blocks made of MJML's own rules are left to the head: the same selectors in the
    template's ``mj-style`` are the template's choice, and are inlined."""
    (tmp_path / "digest.mjml.j2").write_text(
        (REPO / "templates" / "digest.mjml.j2")
        .read_text()
        .replace("<mj-style>", "<mj-style>\n      table, td { mso-line-height-rule: exactly; }")
    )
    html = build(sample_config.but(until=UNTIL, templates_dir=tmp_path), write=False).rendered.html
    body = re.sub(r"<!--.*?-->", "", html.partition("</head>")[2], flags=re.S)  # not Outlook's
    cells = re.findall(r"<td\b[^>]*>", body)
    assert cells and all("mso-line-height-rule:exactly" in cell for cell in cells)
    assert "mso-table-lspace" not in body


def test_size_budget_fitting_renders_at_most_twice(
    write_post: WritePost, tmp_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, goal 3: one full render, and at most one more. Each post's share of the HTML
    is estimated from the first render instead of bisecting with renders; the result fits
    the budget and collapses the fewest posts, or (an estimate within a few bytes of the
    budget) one more."""
    from digest import render as render_module
    from digest.templates import make_environment

    for day in range(1, 15):
        words = " ".join(["word"] * (20 + 7 * (day % 5)))  # posts of different sizes
        write_post(f"2026-02-{day:02d}-post.md", f"---\ntitle: Post {day}\nexcerpt: {words}\n---\n")
    digest = plan(tmp_config(until=date(2026, 2, 28), since=date(2026, 2, 1))).digest
    full, env = len(digest.full_entries), make_environment(None)
    sizes = [
        render(render_module.collapse(digest, count), env=env).html_bytes
        for count in range(full + 1)
    ]
    inlined: list[int] = []
    real = render_module.inline_css
    monkeypatch.setattr(
        render_module, "inline_css", lambda *a, **k: inlined.append(1) or real(*a, **k)
    )
    budgets = range(sizes[-1] + 1, sizes[0], (sizes[0] - sizes[-1]) // 9)
    for budget in budgets:
        inlined.clear()
        fitted, rendered = render_module.render_within_budget(digest, None, budget)
        fewest = next(count for count, size in enumerate(sizes) if size <= budget)
        assert len(inlined) <= 2, f"{len(inlined)} renders for a budget of {budget}"
        assert rendered.html_bytes <= budget
        assert len(fitted.more) in (fewest, fewest + 1)
        assert rendered == render(fitted, env=env)
    inlined.clear()
    assert render_module.render_within_budget(digest, None, sizes[0])[1].html_bytes == sizes[0]
    assert len(inlined) == 1  # it fits: the one render
