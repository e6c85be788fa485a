"""The quick paths of rendering give what the plain ones give, byte for byte.

Each quick path (the fill of Latin text, the look for characters mjml-python
mangles, premailer with rules read once and hopeless selectors skipped) is
checked against the straightforward code it replaces: textwrap, the regex
over every attribute value, and premailer called as documented.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from premailer import Premailer

from digest import render
from digest.config import Config
from digest.pipeline import plan
from digest.templates import collapse, fill, make_environment, wrap

# -- wrap ---------------------------------------------------------------------

LATIN_WORDS = st.text(
    alphabet=st.sampled_from([*"abcdeé-\u2013\u2014…/:.,?!'\"0123456789", "\u00a0", "\u202f"]),
    min_size=0,
    max_size=30,
)
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \u00a0 ", "\u2003", "\u3000"])


@st.composite
def latin_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(LATIN_WORDS, max_size=40))
    out = draw(SPACES) if draw(st.booleans()) else ""
    for word in words:
        out += word + draw(SPACES)
    return out


@settings(max_examples=400, deadline=None)
@given(text=latin_text(), width=st.integers(min_value=1, max_value=90))
def test_quick_fill_is_textwraps_fill(text: str, width: int) -> None:
    flat = collapse(text)
    expected = textwrap.fill(flat, width=width, break_long_words=False, break_on_hyphens=False)
    assert fill(flat, width) == expected
    assert wrap(text, width) == expected


def test_fill_keeps_textwraps_handling_of_a_lone_no_break_space() -> None:
    # textwrap drops a line-final chunk that str.strip() empties: copied, not re-invented
    flat = "word \u00a0 next"
    expected = textwrap.fill(flat, width=6, break_long_words=False, break_on_hyphens=False)
    assert fill(flat, 6) == expected == "word \nnext"


def test_fill_puts_a_long_word_alone_and_never_breaks_it() -> None:
    url = "https://example.org/" + "x" * 80
    assert fill(f"see {url} now", 20) == f"see\n{url}\nnow"


CJK = st.text(alphabet=st.sampled_from(list("日本語の文章、。「」テキストabc ")), max_size=120)


@settings(max_examples=200, deadline=None)
@given(text=CJK, width=st.integers(min_value=4, max_value=80))
def test_wide_text_lines_fit_in_columns(text: str, width: int) -> None:
    from digest.templates import display_width

    for line in wrap(text, width).split("\n"):
        # a line over the width is a single unbreakable run (no space in it)
        assert display_width(line) <= width or " " not in line


# -- protect_attributes ---------------------------------------------------------

_OLD_VALUE = re.compile(r'(=")([^"]*)(")|(<mj-title>)(.*?)(</mj-title>)', re.DOTALL)
_OLD_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def old_protect(mjml: str) -> str:
    """protect_attributes as it was: every attribute value and title looked at."""

    def ref(char: str) -> str:
        mangled = char != " " and unicodedata.category(char) in render._ESCAPED_BY_MJML
        return f"&#x{ord(char):x};" if mangled else char

    def one(match: re.Match[str]) -> str:
        start, value, end = (g for g in match.groups() if g is not None)
        return start + _OLD_NON_ASCII.sub(lambda m: ref(m.group(0)), value) + end

    return _OLD_VALUE.sub(one, mjml)


PIECES = st.sampled_from(
    [
        *('="', '"', "=", "<mj-title>", "</mj-title>", "<mj-text ", ">", "a", "é", " ", "\n"),
        *("\u00a0", "\u0301", "\u200f", "\u202f", "\u3000", "日", "\ue000"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(PIECES, max_size=60))
def test_protect_attributes_is_the_full_scan(pieces: list[str]) -> None:
    mjml = "".join(pieces)
    assert render.protect_attributes(mjml) == old_protect(mjml)


def test_no_break_space_in_text_is_left_and_in_a_value_is_referenced() -> None:
    text_only = '<mj-text css-class="x">26\u00a0November · café</mj-text>'
    assert render.protect_attributes(text_only) == text_only
    value = '<img alt="26\u00a0November" src="a.png"> 26\u00a0November'
    assert render.protect_attributes(value) == (
        '<img alt="26&#xa0;November" src="a.png"> 26\u00a0November'
    )
    title = "<mj-title>Caf\u0065\u0301 news</mj-title>"
    assert render.protect_attributes(title) == "<mj-title>Cafe&#x301; news</mj-title>"


# -- inline_css -----------------------------------------------------------------


def plain_inline(html: str) -> str:
    """inline_css as premailer's documented call would do it (the previous code)."""
    html = render._MJML_STYLE.sub('<style type="text/css" data-premailer="ignore">', html)
    out = str(Premailer(html, **render._PREMAILER_SETTINGS).transform())
    if not re.match(r"^\s*<!doctype html>", out, re.IGNORECASE):
        out = "<!doctype html>\n" + out
    return out if out.endswith("\n") else out + "\n"


CSS = """
a { color: #0b5fa5; }
.post-title a { color: #111; text-decoration: none; }
.topbar a, .footer a { color: #555; }
h1, h2 { margin: 0; }
a[x-apple-data-detectors] { color: inherit !important; }
[data-ogsc] .t-link, [data-ogsc] a { color: #7cc4fa !important; }
[lang|=fr] p { font-style: italic; }
[data-x!=y] span { color: red; }
li:first-child { margin-top: 0; }
a:hover { color: red; }
.a\\:b { color: blue; }
p:not(.skip) { line-height: 1.5; }
"""

ELEMENTS = st.sampled_from(
    [
        '<a href="#">x</a>',
        '<div class="post-title"><a href="#">t</a></div>',
        '<p class="topbar"><a href="#">v</a></p>',
        '<div class="footer"><a x-apple-data-detectors="true" href="#">d</a></div>',
        '<div data-ogsc=""><a class="t-link" href="#">o</a></div>',
        '<div DATA-OGSC="1"><a href="#">O</a></div>',
        '<div lang="fr-CA"><p>bonjour</p></div>',
        '<div data-x="z"><span>s</span></div>',
        "<p><span>plain</span></p>",
        "<ul><li>one</li><li>two</li></ul>",
        '<p class="a:b">colon</p>',
        '<p class="skip">skip</p>',
        '<p class="post-title\u00a0x">nbsp class</p>',
        "<h1>h</h1><h2>h</h2>",
        '<img src="a.png" style="float:left">',
    ]
)


@settings(max_examples=60, deadline=None)
@given(body=st.lists(ELEMENTS, max_size=8))
def test_inline_css_is_premailers_output(body: list[str]) -> None:
    html = (
        '<!doctype html>\n<html><head><style type="text/css">'
        + CSS
        + "</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )
    assert render.inline_css(html) == plain_inline(html)


def test_inline_css_on_a_rendered_digest_is_premailers_output(sample_config: Config) -> None:
    digest = plan(sample_config.but(until=date(2026, 11, 26))).digest
    compiled = render.compile_mjml(render._mjml_of(digest, make_environment(None)))
    assert "data-ogsc" in compiled  # the dark-mode rules whose search is skipped are there
    assert render.inline_css(compiled) == plain_inline(compiled)


def test_selectors_for_absent_classes_or_attributes_are_not_searched() -> None:
    classes, attributes = render._requirements("[data-ogsc] .post-title a")
    assert classes == {"post-title"} and attributes == {"data-ogsc"}
    # what a negation or "!=" excludes is not required
    assert render._requirements("p:not(.skip)") == (frozenset(), frozenset())
    assert render._requirements("[data-x!=y] span") == (frozenset(), frozenset())


# -- control characters ------------------------------------------------------------

_OLD_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=80))
def test_without_controls_is_the_regex(text: str) -> None:
    assert render.without_controls(text) == _OLD_CONTROLS.sub("", text)


def test_without_controls_keeps_tabs_newlines_and_odd_characters() -> None:
    assert render.without_controls("a\tb\r\nc\x85\u2028\ud800") == "a\tb\r\nc\x85\u2028\ud800"
    assert render.without_controls("a\x00b\x1bc\x7f") == "abc"
