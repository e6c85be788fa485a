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
            "Hugo and inner text.",
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
        ("- one\n- two", "one two"),
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
