"""Content that must not steer the email: bidi controls, raw scripts and styles, bad links.

Checked where a subscriber sees it: the subject, the preheader and both parts
of a digest built from the sample project, not only in the helpers.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from digest.config import load_config
from digest.excerpts import trim_words
from digest.fields import balance_bidi, isolate_bidi
from digest.pipeline import build

from .conftest import SAMPLE_UNTIL

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"


def bidi_is_balanced(text: str) -> bool:
    """True when every embedding, override and isolate opened in ``text`` is closed in it,
    and no closer is left without its opener (the pairing of the Unicode bidi algorithm)."""
    stack: list[str] = []
    for char in text:
        if char in (LRE, RLE, LRO, RLO):
            stack.append(PDF)
        elif char in (LRI, RLI, FSI):
            stack.append(PDI)
        elif char == PDF:
            if not stack or stack[-1] != PDF:
                return False
            stack.pop()
        elif char == PDI:
            if PDI not in stack:
                return False
            while stack.pop() != PDI:
                pass
    return not stack


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        (f"a{RLO}b", f"a{RLO}b{PDF}"),
        (f"a{PDF}b", "ab"),
        (f"a{PDI}b{RLI}c", f"ab{RLI}c{PDI}"),
        (f"{RLI}a{RLO}b{PDI}c", f"{RLI}a{RLO}b{PDF}{PDI}c"),  # a PDI closes what it holds
        (f"{RLO}a{LRI}b{PDF}c", f"{RLO}a{LRI}bc{PDI}{PDF}"),  # a PDF cannot close across one
        (f"{LRE}{RLE}x{PDF}", f"{LRE}{RLE}x{PDF}{PDF}"),
    ],
)
def test_balance_bidi(text: str, expected: str) -> None:
    assert balance_bidi(text) == expected
    assert bidi_is_balanced(balance_bidi(text))


def test_isolate_bidi_wraps_only_text_with_controls() -> None:
    assert isolate_bidi("Hello") == "Hello"
    assert isolate_bidi(f"x{RLM}") == f"{FSI}x{RLM}{PDI}"
    assert isolate_bidi(f"{ALM}x{RLO}") == f"{FSI}{ALM}x{RLO}{PDF}{PDI}"


def test_trim_words_isolates_an_override_cut_from_its_end() -> None:
    text = f"one {RLO}two three{PDF} four"
    trimmed = trim_words(text, 2, " […]")
    assert trimmed == f"{FSI}one {RLO}two{PDF}{PDI} […]"


EVIL_TITLE = f"Invoice {RLO}fdp.exe"
EVIL_AUTHOR = f"Mallory {RLI}{LRE}"
EVIL_BODY = f"Unclosed {RLO}override here. {PDI}{PDF} And a stray mark {RLM}."


def _evil_build(project: Path):
    (project / "posts" / "2026-11-25-evil.md").write_text(
        f"---\ntitle: {EVIL_TITLE}\nauthor: {EVIL_AUTHOR}\nfeatured: true\ndate: 2026-11-26 23:00\n"
        f"categories: [Leadership, 'Safe{RLO}']\n---\n{EVIL_BODY}\n",
        encoding="utf-8",
    )
    config = load_config(project / "digest.toml", overrides={"until": SAMPLE_UNTIL})
    return build(config, write=False)


def test_bidi_controls_are_isolated_in_subject_preheader_html_and_text(project: Path) -> None:
    result = _evil_build(project)
    rendered = result.rendered
    [entry] = [e for e in result.digest.entries if e.post.source == "2026-11-25-evil.md"]
    isolated_title = f"{FSI}Invoice {RLO}fdp.exe{PDF}{PDI}"
    assert entry.post.title == isolated_title
    assert entry.post.author == f"{FSI}Mallory {RLI}{LRE}{PDF}{PDI}{PDI}"
    assert rendered.subject.startswith(f"Leading Well weekly: {isolated_title} and ")
    page = html.unescape(rendered.html)
    for where, text in (
        ("subject", rendered.subject),
        ("preheader", rendered.preheader),
        ("html", page),
        ("text", rendered.text),
    ):
        assert bidi_is_balanced(text), where
    assert isolated_title in page and isolated_title in rendered.text
    assert entry.post.author in page and entry.post.author in rendered.text
    assert bidi_is_balanced(entry.excerpt) and entry.excerpt.startswith(FSI)


RAW_HTML = [
    "Hello <style>p{color:red}</style> world.",
    "Hello <script>alert(1)</script> world.",
    "Hello <SCRIPT type='x'>alert(1)</SCRIPT > world.",
    "<div>\n<style>\np {}\n\n.x { color: red }\n</style>\n</div>\n\nHello world.",
    "<div>\n<script>\nvar a = 1;\n\nalert(1);\n</script>\n</div>\n\nHello world.",
    "<span><style>a{color:red}</style></span>Hello world.",
    "<template><p>alert(1)</p></template>Hello world.",
    "Hello world.\n\n<style>\n/* <!--more--> */ p{color:red}\n</style>",
    "<script>var s = '<!--more-->';\n\nalert(1)</script>\n\nHello world.\n\n<!--more-->\n\nRest.",
]


@pytest.mark.parametrize("body", RAW_HTML)
def test_scripts_and_styles_never_reach_the_excerpt(body: str) -> None:
    from datetime import UTC, datetime

    from digest.excerpts import make_excerpt
    from digest.models import Post

    post = Post(source="a.md", title="A", date=datetime.now(UTC), url="https://x/", body=body)
    assert make_excerpt(post, 55, " […]") == "Hello world."
    frontmatter_excerpt = Post(
        source="a.md", title="A", date=post.date, url=post.url, excerpt=body.split("<!--")[0]
    )
    assert "alert" not in make_excerpt(frontmatter_excerpt, 55, " […]")
    assert "color" not in make_excerpt(frontmatter_excerpt, 55, " […]")


def test_code_that_shows_a_style_tag_is_kept() -> None:
    from digest.excerpts import markdown_text

    assert markdown_text("Write `<style>` in the head, then text.") == (
        "Write <style> in the head, then text."
    )


def test_scripts_and_styles_never_reach_the_preheader_or_either_part(project: Path) -> None:
    (project / "posts" / "2026-11-26-raw.md").write_text(
        "---\ntitle: Raw\nfeatured: true\ndate: 2026-11-26 23:00\ncategories: [Leadership]\n---\n"
        "<div>\n<style>\n.a {}\n\n.secret-style { color: red }\n</style>\n</div>\n\n"
        "Visible words. <script>window.secretScript()</script> More words.\n",
        encoding="utf-8",
    )
    config = load_config(project / "digest.toml", overrides={"until": SAMPLE_UNTIL})
    rendered = build(config, write=False).rendered
    assert rendered.preheader.startswith("Visible words. More words.")
    for part in (rendered.preheader, rendered.html, rendered.text):
        assert "secret-style" not in part and "secretScript" not in part


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Read [this](javascript:alert(1)) now.", "Read this now."),
        ("Read [*this*](JavaScript:alert(1)) now.", "Read this now."),
        ("Read [this](vbscript:msgbox) now.", "Read this now."),
        ("Read [this](data:text/html;base64,PHNjcmlwdD4=) now.", "Read this now."),
        ("Read [this](file:///etc/passwd) now.", "Read this now."),
        ("Read [this][x] now.\n\n[x]: javascript:alert(1)", "Read this now."),
        ("Read ![a picture](javascript:alert(1)) now.", "Read now."),
        ("Read [this](https://example.org/) now.", "Read this now."),
    ],
)
def test_links_with_refused_schemes_become_their_text(source: str, expected: str) -> None:
    from digest.excerpts import markdown_text

    assert markdown_text(source) == expected


def test_first_image_skips_an_image_markdown_it_would_refuse() -> None:
    from digest.excerpts import first_image

    assert first_image("![a](javascript:alert(1))\n\n![b](/img/b.png)") == ("/img/b.png", "b")


def _excerpt_of(body: str, words: int = 55) -> str:
    from datetime import UTC, datetime

    from digest.excerpts import make_excerpt
    from digest.models import Post

    post = Post(source="a.md", title="A", date=datetime.now(UTC), url="https://x/", body=body)
    return make_excerpt(post, words, " […]")


def test_an_excerpt_is_capped_in_characters_not_only_words() -> None:
    assert _excerpt_of("a" * 100_000) == "a" * 1100 + " […]"
    assert _excerpt_of("word " * 5 + "b" * 5000, words=10) == "word " * 5 + "b" * 175 + " […]"
    assert _excerpt_of("w" * 170 + " " + "b" * 5000, words=10) == "w" * 170 + " […]"  # at a space
    accented = _excerpt_of("e\u0301" * 1000, words=10)  # é as e + a combining accent
    assert accented.endswith("e\u0301 […]") and len(accented) <= 204
    from digest.excerpts import trim_words

    assert trim_words("short words stay whole", 55, " […]") == "short words stay whole"


def test_only_the_head_of_a_huge_body_is_read() -> None:
    from digest.excerpts import SOURCE_CHARS, first_image, head

    filler = "```\n" + "code line\n" * (SOURCE_CHARS // 10) + "```\n\n"
    assert _excerpt_of(filler + "Prose after the cap.") == ""
    assert _excerpt_of("Prose first.\n\n" + filler) == "Prose first."
    assert first_image(filler + "![late](/late.png)") is None
    text = "para one\n\n" + "x" * SOURCE_CHARS
    assert head(text) == text[:SOURCE_CHARS]
    text = "y" * (SOURCE_CHARS - 100) + "\n\n" + "z" * 500
    assert head(text) == "y" * (SOURCE_CHARS - 100)


# (piece, repeats): bodies made of one piece repeated
HOSTILE_BODIES = [
    ("{% highlight x %}", 3000),  # nested lazy patterns: hours before the fix
    ("{% ", 200_000),  # unclosed tags, each scanned to the end
    ("{{< ", 200_000),
    ("```a\n", 100_000),  # unclosed fences
    ("` a ", 200_000),
    ("{# ", 200_000),
    ("<style ", 100_000),
    ("[^", 200_000),
    ("{:", 200_000),
    ("[", 10_000_000),  # markdown-it's own slow case, on 10 MB
]

_EXCERPT_ALL = """
import json, sys
from datetime import UTC, datetime
from digest.excerpts import first_image, make_excerpt
from digest.models import Post
for piece, repeats in json.loads(sys.argv[1]):
    body = piece * repeats
    post = Post(source="a.md", title="A", date=datetime.now(UTC), url="https://x/", body=body,
                excerpt=body)
    make_excerpt(post, 55, " […]")
    first_image(body)
print("done")
"""


def test_hostile_bodies_cost_bounded_work() -> None:
    """Not a timing test: without the bounds these take minutes to hours, with them a
    fraction of a second each; the generous deadline only stops a regression hanging CI.
    A child process, because a regular expression holds the GIL for as long as it runs."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _EXCERPT_ALL, json.dumps(HOSTILE_BODIES)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert done.stdout.strip() == "done", done.stderr[-2000:]


def test_titles_lose_control_characters_and_isolate_bidi_written_as_entities(
    tmp_path: Path,
) -> None:
    from digest.sources.markdown import read_posts

    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "2026-11-20-a.md").write_text(
        '---\ntitle: "Pay &#x202E;fdp.exe &#27;now\\x07"\nauthor: "Ann\\x00 Lee"\n---\nx\n',
        encoding="utf-8",
    )
    config = load_config(
        None, overrides={"posts_dir": tmp_path / "posts", "base_url": "https://x/"}, cwd=tmp_path
    )
    [post] = read_posts(config).posts
    assert post.title == f"{FSI}Pay {RLO}fdp.exe now{PDF}{PDI}"
    assert post.author == "Ann Lee"
