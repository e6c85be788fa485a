"""Plain-text excerpts from Markdown bodies written for many generators.

An excerpt is what a subscriber reads under each title, in HTML and in plain
text alike, so it must be clean prose: no Markdown, no HTML, no Liquid
(``{% … %}``, ``{{ … }}``), no Hugo shortcodes (``{{< … >}}``), no kramdown
attribute lists. Code is different: ``{{closure}}`` written inside backticks is
something the author meant to show, so template syntax is removed only outside
code.

This runs for selected posts only; Markdown parsing costs ~0.5 ms a post. Only the
first :data:`SOURCE_CHARS` characters of a body are read, and every pattern here
does bounded work per character, so a hostile body costs a fraction of a second.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import validateLink
from markdown_it.token import Token

from .fields import isolate_bidi, strip_controls
from .models import Post

MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)

# How much of a body (or frontmatter excerpt) is looked at: an excerpt is its first few dozen
# words, and a 10 MB body must not cost seconds of parsing. Cut at a paragraph break.
SOURCE_CHARS = 20_000
# An excerpt's longest form, per word allowed: words can be long, but not "a" * 10**6.
CHARS_PER_WORD = 20

# Code first, so that template syntax inside it is left alone.
#
# Every pattern does bounded work from each place it can start, so a hostile body (thousands
# of unclosed "{%" or "```") costs linear time: a construct that can run long (a fenced block,
# a Liquid or shortcode block, a comment, a script) runs to its end or, left open, to the end
# of the text, as CommonMark and Liquid read it; a short one (a tag, an output, a code span)
# must close within a bounded number of characters or stays literal text.
_CODE = r"""
    (?P<code>
        ^[ \t]*(?P<fence>`{3,}|~{3,}).*?(?:^[ \t]*(?P=fence)[ \t]*$|\Z)   # fenced block
      | (?P<ticks>`+)(?!`).{1,1000}?(?<!`)(?P=ticks)(?!`)                 # inline code
    )"""
_TEMPLATE = r"""
    (?P<tpl>
        (?i:<(?P<raw>script|style|template)\b[^>]{0,2000}>   # raw HTML that is not text, dropped
          .*?(?:</(?P=raw)\s*>|\Z))                        # whole, to its end tag or the end
      | \{%-?\s*(?P<lblock>highlight|comment)\b[^%]{0,1000}%\}     # Liquid block: dropped whole
          .*?(?:\{%-?\s*end(?P=lblock)\s*-?%\}|\Z)
      | \{\{[<%]\s*(?P<sblock>highlight|code)\b[^}]{0,1000}?[>%]\}\}  # shortcode block, the same
          .*?(?:\{\{[<%]\s*/(?P=sblock)\s*[>%]\}\}|\Z)
      | \{\{[<%].{0,1000}?[>%]\}\}  # Hugo shortcode
      | \{%.{0,1000}?%\}            # Liquid / Nunjucks tag
      | \{\{.{0,1000}?\}\}          # Liquid / Nunjucks output
      | \{\#.*?(?:\#\}|\Z)          # Nunjucks comment
      | \{:[^}\n]{0,1000}\}         # kramdown attribute list
      | ^[ \t]*[!?]{3}\+?[ \t][^\n]*$   # MkDocs admonition header
      | ^\[\^[^\]\n]+\]:[^\n]*$      # footnote definition
      | \[\^[^\]\s]{1,200}\]          # footnote reference
    )"""
_STRIP = re.compile(_CODE + "|" + _TEMPLATE, re.VERBOSE | re.DOTALL | re.MULTILINE)
_ATTR_LIST = re.compile(r"\{\s*[.#][\w-][^{}]*\}")
# A reference link whose definition is missing stays literal in Markdown: keep its text.
_UNRESOLVED_REF = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_SPACE = re.compile(r"\s+")
# Code spans stand aside as "\0<n>\0" while the patterns above run on the prose around them
# (markdown-it turns NUL in the source into U+FFFD, so the mark cannot occur otherwise).
_CODE_MARK = re.compile("\0([0-9]+)\0")


class _TextParser(MarkdownIt):
    """markdown-it for excerpts, which keep a link's text and never its address.

    markdown-it refuses links to ``javascript:``, ``vbscript:``, ``file:`` and
    most ``data:`` addresses by not parsing them as links at all, which would
    leave ``[x](javascript:alert(1))`` in an excerpt as literal Markdown. Here
    every link is a link, so it becomes its text; no address from this parser
    is ever output (:func:`first_image` checks image sources itself).
    """

    def validateLink(self, url: str) -> bool:  # markdown-it's name for it
        return True


_MD = _TextParser("commonmark", {"html": True}).enable("table").enable("strikethrough")


def strip_template_syntax(source: str) -> str:
    """Remove template tags and generator-specific markup outside code."""

    def keep_code(match: re.Match[str]) -> str:
        return match.group("code") if match.group("code") is not None else " "

    return _STRIP.sub(keep_code, source)


_NOT_TEXT = {"script", "style", "template"}


def _html_text(fragment: str) -> str:
    """Visible text of an HTML fragment (scripts, styles and templates dropped)."""
    return html.unescape(
        nh3.clean(fragment, tags=set(), attributes={}, clean_content_tags=_NOT_TEXT)
    )


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
    return strip_controls(_SPACE.sub(" ", text)).strip()


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


def head(source: str, limit: int = SOURCE_CHARS) -> str:
    """The start of ``source``, at most ``limit`` characters, ending at a paragraph break
    when there is one in the second half (so that a paragraph is not cut in two)."""
    if len(source) <= limit:
        return source
    cut = source.rfind("\n\n", 0, limit)
    return source[: cut if cut > limit // 2 else limit]


def _cut_chars(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters: at a space near the end if there is one, and
    never between a letter and the accents or joiners that belong to it."""
    cut = text.rfind(" ", 0, limit + 1)
    if cut < limit * 4 // 5:
        cut = limit
        while cut > 0 and (unicodedata.combining(text[cut]) or text[cut] in _JOINERS):
            cut -= 1
    return text[:cut]


_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")


def trim_words(text: str, words: int, more: str) -> str:
    """At most ``words`` words and ``words * CHARS_PER_WORD`` characters; ``more`` (" […]")
    marks a cut, as WordPress does.

    Bidi formatting is isolated after the cut (:func:`~digest.fields.isolate_bidi`),
    so that an override cut off from its closing character cannot reverse the
    text that follows: an excerpt, or a preheader made of two excerpts.
    """
    pieces = text.split(maxsplit=words)
    limit = words * CHARS_PER_WORD
    kept = " ".join(pieces[:words])
    if len(pieces) <= words and len(kept) <= limit:
        return isolate_bidi(kept)
    if len(kept) > limit:
        kept = _cut_chars(kept, limit)
    return isolate_bidi(kept.rstrip(",;:-\u2013\u2014 ")) + more


def make_excerpt(post: Post, words: int, more: str) -> str:
    """The excerpt shown for ``post``.

    In order of preference: the frontmatter's ``excerpt``/``summary``/
    ``description``; the body before ``<!--more-->``; the start of the body.
    A feed item's HTML has its own rules (:func:`~digest.sources.feed_html.feed_excerpt`).
    """
    if post.feed:
        from .sources.feed_html import feed_excerpt

        return feed_excerpt(post, words, more)
    if post.excerpt is not None:
        text = markdown_text(head(post.excerpt))
        if text:
            return trim_words(text, words, more)
    # Scripts, styles and template syntax go first: a <!--more--> inside them is no cut.
    before_more = MORE.split(strip_template_syntax(head(post.body)), maxsplit=1)[0]
    return trim_words(markdown_text(before_more), words, more)


def first_image(source: str) -> tuple[str, str] | None:
    """(src, alt) of the first image in a Markdown body (Markdown or HTML ``<img>``)."""
    for token in _MD.parse(strip_template_syntax(head(source))):
        if token.type == "html_block":
            found = _html_img(token.content)
            if found:
                return found
        for child in token.children or ():
            if child.type == "image" and validateLink(str(child.attrs.get("src", ""))):
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
