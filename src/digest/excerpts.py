"""Plain-text excerpts from Markdown bodies written for many generators.

An excerpt is what a subscriber reads under each title, in HTML and in plain
text alike, so it must be clean prose: no Markdown, no HTML, no Liquid
(``{% … %}``, ``{{ … }}``), no Hugo shortcodes (``{{< … >}}``), no kramdown
attribute lists. Code is different: ``{{closure}}`` written inside backticks is
something the author meant to show, so template syntax is removed only outside
code.

This runs for selected posts only; Markdown parsing costs ~0.5 ms a post.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .models import Post

MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)

# Code first, so that template syntax inside it is left alone.
_CODE = r"""
    (?P<code>
        ^[ \t]*(?P<fence>`{3,}|~{3,}).*?^[ \t]*(?P=fence)[ \t]*$   # fenced block
      | (?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)                 # inline code
    )"""
_TEMPLATE = r"""
    (?P<tpl>
        \{%-?\s*(?P<lblock>highlight|comment)\b.*?%\}  # Liquid block: dropped whole
          .*?\{%-?\s*end(?P=lblock)\s*-?%\}
      | \{\{[<%]\s*(?P<sblock>highlight|code)\b.*?[>%]\}\}.*?\{\{[<%]\s*/(?P=sblock)\s*[>%]\}\}
      | \{\{[<%].*?[>%]\}\}      # Hugo shortcode
      | \{%.*?%\}                # Liquid / Nunjucks tag
      | \{\{.*?\}\}              # Liquid / Nunjucks output
      | \{\#.*?\#\}              # Nunjucks comment
      | \{:[^}\n]*\}             # kramdown attribute list
      | ^[ \t]*[!?]{3}\+?[ \t][^\n]*$   # MkDocs admonition header
      | ^\[\^[^\]\n]+\]:[^\n]*$      # footnote definition
      | \[\^[^\]\s]+\]               # footnote reference
    )"""
_STRIP = re.compile(_CODE + "|" + _TEMPLATE, re.VERBOSE | re.DOTALL | re.MULTILINE)
_ATTR_LIST = re.compile(r"\{\s*[.#][\w-][^{}]*\}")
# A reference link whose definition is missing stays literal in Markdown: keep its text.
_UNRESOLVED_REF = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_SPACE = re.compile(r"\s+")
# Code spans stand aside as "\0<n>\0" while the patterns above run on the prose around them
# (markdown-it turns NUL in the source into U+FFFD, so the mark cannot occur otherwise).
_CODE_MARK = re.compile("\0([0-9]+)\0")

_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def strip_template_syntax(source: str) -> str:
    """Remove template tags and generator-specific markup outside code."""

    def keep_code(match: re.Match[str]) -> str:
        return match.group("code") if match.group("code") is not None else " "

    return _STRIP.sub(keep_code, source)


def _html_text(fragment: str) -> str:
    """Visible text of an HTML fragment (scripts and styles dropped)."""
    return html.unescape(nh3.clean(fragment, tags=set(), attributes={}))


def markdown_text(source: str) -> str:
    """Markdown (with embedded HTML) → one line of plain prose.

    Headings, code blocks and images are left out: an excerpt is the author's
    running text, and a heading usually repeats the title.
    """
    tokens = _MD.parse(strip_template_syntax(source))
    parts: list[str] = []
    code: list[str] = []
    skip_inline = False
    for token in tokens:
        if token.type == "heading_open":
            skip_inline = True
        elif token.type == "heading_close":
            skip_inline = False
        elif token.type == "inline" and not skip_inline:
            parts.append(_inline_text(token.children or [], code))
        elif token.type == "html_block":
            parts.append(_html_text(token.content))
    text = " ".join(p for p in parts if p)
    text = _ATTR_LIST.sub("", text)
    text = _UNRESOLVED_REF.sub(r"\1", text)
    text = _CODE_MARK.sub(lambda mark: code[int(mark.group(1))], text)
    return _SPACE.sub(" ", text).strip()


def _inline_text(children: list[Token], code: list[str]) -> str:
    """Inline text, each code span as a mark: ``{{ .X }}`` in backticks is not an attribute
    list to remove, nor ``a[i][j]`` a reference link (its characters are the point)."""
    out: list[str] = []
    for child in children:
        if child.type == "text":
            out.append(child.content)
        elif child.type == "code_inline":
            out.append(f"\0{len(code)}\0")
            code.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            out.append(" ")
        elif child.type == "html_inline":
            # Tags are dropped; an entity-only fragment like <br> adds a space.
            out.append(" " if child.content.lower().startswith("<br") else "")
    return "".join(out)


def trim_words(text: str, words: int, more: str) -> str:
    """At most ``words`` words; ``more`` (" […]") marks a cut, as WordPress does."""
    pieces = text.split()
    if len(pieces) <= words:
        return " ".join(pieces)
    kept = " ".join(pieces[:words]).rstrip(",;:-\u2013\u2014")
    return kept + more


def make_excerpt(post: Post, words: int, more: str) -> str:
    """The excerpt shown for ``post``.

    In order of preference: the frontmatter's ``excerpt``/``summary``/
    ``description``; the body before ``<!--more-->``; the start of the body.
    """
    if post.excerpt is not None:
        text = markdown_text(post.excerpt)
        if text:
            return trim_words(text, words, more)
    before_more = MORE.split(post.body, maxsplit=1)[0]
    return trim_words(markdown_text(before_more), words, more)


def first_image(source: str) -> tuple[str, str] | None:
    """(src, alt) of the first image in a Markdown body (Markdown or HTML ``<img>``)."""
    for token in _MD.parse(strip_template_syntax(source)):
        if token.type == "html_block":
            found = _html_img(token.content)
            if found:
                return found
        for child in token.children or ():
            if child.type == "image":
                alt = "".join(c.content for c in child.children or ())
                return str(child.attrs.get("src", "")), alt
            if child.type == "html_inline":
                found = _html_img(child.content)
                if found:
                    return found
    return None


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = r"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"""
_SRC_ATTR = re.compile(_ATTR.format(name="src"), re.IGNORECASE)
_ALT_ATTR = re.compile(_ATTR.format(name="alt"), re.IGNORECASE)


def _attr(pattern: re.Pattern[str], tag: str) -> str | None:
    found = pattern.search(tag)
    if not found:
        return None
    return html.unescape(next(g for g in found.groups() if g is not None))


def _html_img(fragment: str) -> tuple[str, str] | None:
    tag = _IMG_TAG.search(fragment)
    if not tag:
        return None
    src = _attr(_SRC_ATTR, tag.group(0))
    return (src, _attr(_ALT_ATTR, tag.group(0)) or "") if src else None
