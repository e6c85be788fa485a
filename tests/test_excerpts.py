from datetime import UTC, datetime

import pytest

from digest.excerpts import make_excerpt, markdown_text, strip_template_syntax, trim_words
from digest.models import Post


def post(body: str = "", excerpt: str | None = None) -> Post:
    return Post(
        source="a.md",
        title="T",
        date=datetime(2026, 1, 1, tzinfo=UTC),
        url="https://x.example/a/",
        body=body,
        excerpt=excerpt,
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Some **bold** and _em_ and [a link](https://x.example).", "Some bold and em and a link."),
        ("Liquid {% include note.html text='x' %}gone, {{ page.title }} too.", "Liquid gone, too."),
        (
            'Hugo {{< youtube id="abc" >}} and {{% notice %}}inner{{% /notice %}} text.',
            "Hugo and text.",  # a notice is an aside, not the post's text
        ),
        (
            "Keep `{{closure}}` and ``{% raw %}`` literal.",
            "Keep {{closure}} and {% raw %} literal.",
        ),
        ("{% highlight ruby %}\nputs 1\n{% endhighlight %}\nAfter.", "After."),
        ("{{< highlight go >}}\nfmt.Println()\n{{< /highlight >}}\nAfter.", "After."),
        ("```\n{{ code }}\n```\n\nAfter code.", "After code."),
        (
            "<p>Raw <b>HTML</b> &amp; entities</p>\n\n<script>alert(1)</script>",
            "Raw HTML & entities",
        ),
        ("Inline <span class=x>html</span> here.", "Inline html here."),
        ("# Heading\n\nParagraph one.\n\n## Sub\n\nTwo.", "Paragraph one. Two."),
        ("![alt text](/img.png) Caption.", "Caption."),
        ("Footnote[^1] here.\n\n[^1]: note", "Footnote here."),
        ("Kramdown{: .class} and material { .md-button } attrs.", "Kramdown and material attrs."),
        ('!!! note "Heads up"\n\nBody.', "Body."),
        ("The [`where_exp`][missing-ref] filter.", "The where_exp filter."),
        ("> Quoted\n> text.", "Quoted text."),
        ("- one\n- two", "one; two"),
        ("{# a comment #}Visible.", "Visible."),
    ],
)
def test_markdown_text_is_clean_prose(source: str, expected: str) -> None:
    assert markdown_text(source) == expected


def test_strip_template_syntax_leaves_code_alone() -> None:
    src = "a {{ x }} `{{ y }}`\n```\n{% z %}\n```\n"
    assert strip_template_syntax(src) == "a   `{{ y }}`\n```\n{% z %}\n```\n"


def test_trim_words_like_wordpress() -> None:
    assert trim_words("one two three", 3, " […]") == "one two three"
    assert trim_words("one two, three four", 2, " […]") == "one two […]"


def test_excerpt_preference_order() -> None:
    body = "Intro before.\n\n<!--  more -->\n\nAfter the fold."
    assert make_excerpt(post(body, "From *frontmatter*."), 55, " […]") == "From frontmatter."
    assert make_excerpt(post(body), 55, " […]") == "Intro before."
    assert make_excerpt(post("Just a body with five words."), 3, " […]") == "Just a body […]"
    # an excerpt field that is only markup falls back to the body
    assert make_excerpt(post("Body.", "{% include x %}"), 55, " […]") == "Body."
    marker_upper = "Top.\n<!--MORE-->\nRest."
    assert make_excerpt(post(marker_upper), 55, " […]") == "Top."


# --- excerpts from a bounded prefix of the body (issue 14) ------------------------------------

PARAGRAPH = (
    "Release notes for the week, with the changes people asked about most and a few words "
    "on what comes next for the project and its users."
)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every source markdown-it is given while the test runs."""
    from digest import excerpts

    sizes: list[int] = []
    real = excerpts._MD.parse

    def parse(src: str, env: object = None) -> object:
        sizes.append(len(src))
        return real(src, env)

    monkeypatch.setattr(excerpts._MD, "parse", parse)
    return sizes


def test_a_one_megabyte_body_is_read_only_as_far_as_its_excerpt(parsed: list[int]) -> None:
    body = "\n\n".join([PARAGRAPH] * 8000)
    assert len(body) > 1_000_000
    small = "\n\n".join([PARAGRAPH] * 20)
    assert make_excerpt(post(body), 55, " […]") == make_excerpt(post(small), 55, " […]")
    assert make_excerpt(post(body), 55, " […]").endswith(" […]")
    assert parsed and max(parsed) <= 3_000


def test_a_long_changelog_without_blank_lines_is_cut_at_a_line(parsed: list[int]) -> None:
    items = "\n".join(f"* Fix the parser in module {i} (#{i})" for i in range(30_000))
    excerpt = make_excerpt(post(items), 10, " […]")
    assert excerpt == "Fix the parser in module 0 (#0); Fix the parser […]"
    assert max(parsed) <= 3_000


def test_the_prefix_grows_until_it_has_enough_words(parsed: list[int]) -> None:
    # headings and code are not excerpt text: the first prefix holds none of it
    body = "# Title\n\n```\n" + "x = 1\n" * 500 + "```\n\n" + "\n\n".join([PARAGRAPH] * 100)
    assert make_excerpt(post(body), 20, " […]") == (
        "Release notes for the week, with the changes people asked about most and a few words "
        "on what comes next […]"
    )
    assert len(parsed) >= 2 and max(parsed) <= 20_000


def test_a_reference_defined_after_the_prefix_still_reads_as_its_text() -> None:
    body = "Get [Rustup][install] today.\n\n" + "\n\n".join([PARAGRAPH] * 200)
    body += "\n\n[install]: https://rustup.rs\n"
    assert make_excerpt(post(body), 3, " […]") == "Get Rustup today. […]"


def test_first_image_parses_nothing_in_a_long_body_without_images(parsed: list[int]) -> None:
    from digest.excerpts import first_image

    body = "\n\n".join([PARAGRAPH] * 8000)
    assert first_image(body) is None
    assert parsed == []


def test_first_image_reads_only_as_far_as_the_image(parsed: list[int]) -> None:
    from digest.excerpts import first_image

    body = "\n\n".join([PARAGRAPH] * 30) + '\n\n![A chart](/chart.png "t")\n\n'
    body += "\n\n".join([PARAGRAPH] * 8000)
    assert first_image(body) == ("/chart.png", "A chart")
    assert max(parsed) <= 6_000


def test_an_image_only_in_code_is_not_the_first_image() -> None:
    from digest.excerpts import first_image

    body = "```\n![not](/code.png)\n```\n\n" + "\n\n".join([PARAGRAPH] * 50) + "\n\n![yes](/y.png)"
    assert first_image(body) == ("/y.png", "yes")


# --- real-world bodies: bylines, asides, changelogs, lists (issue 12) -------------------------


@pytest.mark.parametrize(
    "byline",
    [
        "**Author:** Rey Lejano (Red Hat)",
        "**Authors**: Rey Lejano (Red Hat), Ann Lee",
        "*By Jane Doe*",
        "By Jane Doe and Sam Lee",
        "Written by: The Release Team",
    ],
)
def test_a_leading_byline_is_not_the_excerpt(byline: str) -> None:
    assert make_excerpt(post(f"{byline}\n\nThe post starts here."), 55, "…") == (
        "The post starts here."
    )


@pytest.mark.parametrize(
    "prose", ["By default, the build reads every post.", "By 2027 we will ship it."]
)
def test_prose_that_starts_like_a_byline_is_kept(prose: str) -> None:
    assert make_excerpt(post(f"{prose}\n\nMore."), 55, "…") == f"{prose} More."


@pytest.mark.parametrize(
    "aside",
    [
        "> [!NOTE]\n> Useful information.",
        "> [!WARNING]\n> Careful.\n> Very careful.",
        "{{< notice warning >}}\nCareful.\n{{< /notice >}}",
        '{{% alert title="Note" %}}Careful.{{% /alert %}}',
        "{: .note }\nA note for readers.",
        "> A quoted note.\n{: .warning}",
        '!!! note "Heads up"\n    Indented admonition body.',
        ":::tip\nA Docusaurus tip.\n:::",
        "![A banner](/banner.png)",
    ],
)
def test_asides_and_images_are_not_the_excerpt(aside: str) -> None:
    assert make_excerpt(post(f"{aside}\n\nThe post starts here."), 55, "…") == (
        "The post starts here."
    )


def test_an_ordinary_quote_stays() -> None:
    assert make_excerpt(post("> Quoted words.\n\nAfter."), 55, "…") == "Quoted words. After."


CHANGELOG = "We shipped version 2.\n\n## Changes\n\n" + "\n".join(
    f"- Fix bug {i} in the loader" for i in range(40)
)


def test_a_changelog_gives_its_opening_prose(parsed: list[int]) -> None:
    assert make_excerpt(post(CHANGELOG), 55, " […]") == "We shipped version 2."
    assert parsed == [CHANGELOG.index("- Fix bug 0")]  # its items are never parsed


def test_a_changelog_prefers_its_description() -> None:
    assert make_excerpt(post(CHANGELOG, "The *second* release."), 55, "…") == (
        "The second release."
    )


def test_a_changelog_with_no_prose_keeps_items_apart() -> None:
    body = "\n".join(f"- Fix bug {i}" for i in range(12))
    assert make_excerpt(post(body), 8, " […]") == "Fix bug 0; Fix bug 1; Fix bug […]"


def test_list_items_keep_a_separator_but_punctuation_is_not_doubled() -> None:
    assert markdown_text("Intro:\n\n- one\n- two.\n- three\n\nAfter.") == (
        "Intro: one; two. three; After."
    )


def test_an_image_early_in_a_short_body_is_parsed_whole() -> None:
    from digest.excerpts import first_image

    assert first_image("Text\n\n![Team photo](team.jpg)\n") == ("team.jpg", "Team photo")


@pytest.mark.parametrize("tag", ["<img", "<IMG"])
def test_an_html_image_is_found_in_either_case(tag: str) -> None:
    from digest.excerpts import first_image

    assert first_image(f'Text.\n\n<p>{tag} src="/a.png" alt="A"></p>\n') == ("/a.png", "A")
