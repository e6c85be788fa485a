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
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

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
      | \{\{[<%]\s*(?P<sblock>highlight|code|notice|note|alert|admonition|callout|tip|warning|
                             info|hint|caution|important|danger)
          \b[^}]{0,1000}?[>%]\}\}        # shortcode block, the same (code and asides, as
          .*?(?:\{\{[<%]\s*/(?P=sblock)\s*[>%]\}\}|\Z)   # Hugo themes name them)
      | ^:::[ \t]*[A-Za-z][^\n]*\n.*?(?:^:::[ \t]*$|\Z)  # Docusaurus admonition
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


@dataclass(frozen=True, slots=True)
class _Piece:
    """One block's text, and where it sat: in a list, or a prose paragraph at the top level."""

    text: str
    in_list: bool = False
    prose: bool = False


# GitHub's alerts (> [!NOTE]) and the asides kramdown themes mark with an attribute list on
# the block's first or last line ({: .note }, just-the-docs and minima): not the post's text.
_ALERT = re.compile(r"\s*\[!(?:note|tip|important|warning|caution)\]", re.IGNORECASE)
_ASIDE_IAL = re.compile(
    r"^[ \t]*\{:[^}\n]{0,200}\.(?:note|warning|tip|info|important|caution|danger|alert|"
    r"callout|admonition|notice|hint|highlight)\b[^}\n]{0,200}\}[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLANK_LINES = re.compile(r"(\n[ \t]*\n)")


def _drop_asides(source: str) -> str:
    """``source`` without the blocks a kramdown attribute list marks as a note or warning."""
    if "{:" not in source:
        return source
    parts = _BLANK_LINES.split(source)
    for index in range(0, len(parts), 2):
        block = parts[index].strip("\n")
        lines = block.splitlines()
        if lines and (_ASIDE_IAL.fullmatch(lines[0]) or _ASIDE_IAL.fullmatch(lines[-1])):
            parts[index] = ""
    return "".join(parts)


def _pieces(source: str) -> list[_Piece]:
    """Markdown (with embedded HTML) → the text of each block, in order.

    Headings, code blocks, images and asides (alerts, admonitions) are left
    out: an excerpt is the author's running text, and a heading usually repeats
    the title.
    """
    tokens = _MD.parse(strip_template_syntax(_drop_asides(source)))
    pieces: list[_Piece] = []
    code: list[str] = []
    heading = False
    lists = quotes = 0
    skip_to: int | None = None  # the level of an alert's blockquote being skipped
    for index, token in enumerate(tokens):
        kind = token.type
        if skip_to is not None:
            if kind == "blockquote_close" and token.level == skip_to:
                skip_to = None
            continue
        if kind == "blockquote_open":
            following = tokens[index + 2] if index + 2 < len(tokens) else None
            if (
                following is not None
                and following.type == "inline"
                and (_ALERT.match(following.content))
            ):
                skip_to = token.level
                continue
        if kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind in {"bullet_list_open", "ordered_list_open"}:
            lists += 1
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists -= 1
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind in {"inline", "html_block"} and not heading:
            raw = (
                _inline_text(token.children or [], code)
                if kind == "inline"
                else _html_text(token.content)
            )
            text = _tidy(raw, code)
            if text:
                pieces.append(_Piece(text, in_list=lists > 0, prose=not (lists or quotes)))
    return pieces


def _tidy(text: str, code: list[str]) -> str:
    text = _ATTR_LIST.sub("", text)
    text = _UNRESOLVED_REF.sub(r"\1", text)
    text = _CODE_MARK.sub(lambda mark: code[int(mark.group(1))], text)
    return strip_controls(_SPACE.sub(" ", text)).strip()


_ENDS_CLAUSE = tuple(".!?;:,…")


def _joined(pieces: list[_Piece]) -> str:
    """The pieces as one line; list items keep a separator ("; ") between them."""
    out: list[str] = []
    for index, piece in enumerate(pieces):
        text = piece.text
        if piece.in_list and index + 1 < len(pieces) and not text.endswith(_ENDS_CLAUSE):
            text += ";"
        out.append(text)
    return " ".join(out)


def markdown_text(source: str) -> str:
    """Markdown (with embedded HTML) → one line of plain prose (see :func:`_pieces`)."""
    return _joined(_pieces(source))


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
    ``description``; the body before ``<!--more-->``; the start of the body
    (see :func:`body_text`).
    A feed item's HTML has its own rules (:func:`~digest.sources.feed_html.feed_excerpt`).
    """
    if post.feed:
        from .sources.feed_html import feed_excerpt

        return feed_excerpt(post, words, more)
    if post.excerpt is not None:
        text = markdown_text(head(post.excerpt))
        if text:
            return trim_words(text, words, more)
    return trim_words(body_text(post.body, words), words, more)


# The least first prefix of a body looked at, in characters (a 55-word excerpt is ~400 of
# prose); it is at least CHARS_PER_WORD_READ per word asked for, and grows fourfold.
PREFIX_CHARS = 600
CHARS_PER_WORD_READ = 12
# "<!--more-->" markers tried in turn when one sits inside a script or comment.
MAX_MORE_MARKS = 20
# Reference definitions ([id]: url) carried from later in the body into a prefix.
MAX_REFERENCES = 100
_REFERENCE = re.compile(r"[ ]{0,3}\[[^\]\n]{1,200}\]:[ \t]*\S[^\n]{0,2000}$", re.MULTILINE)


def _block_end(source: str, chars: int) -> int:
    """Where to cut ``source`` at about ``chars``: the end of the block running through it (a
    blank line), else of its line (a long list ends an item there), else at a space; never
    more than ``max(chars, 4000)`` characters past ``chars``."""
    if chars >= len(source):
        return len(source)
    window = chars + max(chars, 4_000)
    for mark in ("\n\n", "\n", " "):
        cut = source.find(mark, chars, window)
        if cut >= 0:
            return cut
    return min(window, len(source))


def _prefix(source: str, end: int) -> str:
    """``source[:end]`` with the reference definitions from after it, so that ``[x][id]``
    in the prefix still reads as a link when ``[id]: …`` sits at the end of the post."""
    found: list[str] = []
    at = source.find("]:", end)
    while at >= 0 and len(found) < MAX_REFERENCES:
        line = source.rfind("\n", 0, at) + 1
        if line >= end and (definition := _REFERENCE.match(source, line)):
            found.append(definition.group(0))
        at = source.find("]:", at + 2)
    return source[:end] + "\n\n" + "\n".join(found) if found else source[:end]


def _more_marks(source: str) -> Iterator[re.Match[str]]:
    """Each ``<!--more-->`` in ``source``, found from its ``<!--`` (a plain search)."""
    at = source.find("<!--")
    while at >= 0:
        mark = MORE.match(source, at)
        if mark is not None:
            yield mark
        at = source.find("<!--", at + 4)


def body_text(body: str, words: int) -> str:
    """The text an excerpt of ``words`` words is cut from, read from a bounded prefix.

    Up to ``<!--more-->`` if the body has one; otherwise just enough blocks to
    make more than ``words`` words (or the whole head of the body), read in
    prefixes growing fourfold, so that a 1 MB post costs what a 3 KB one does.
    Leading bylines ("**Author:** …") are skipped; a changelog-style body (a list
    of commits) gives the prose paragraphs before its list rather than the list.
    """
    source = head(body)
    for mark in islice(_more_marks(source), MAX_MORE_MARKS):
        # Scripts, styles and template syntax go first: a <!--more--> inside them is no cut.
        cleaned = strip_template_syntax(_prefix(source, mark.end()))
        before, *after = MORE.split(cleaned, maxsplit=1)
        if after:
            return _joined(_without_byline(_pieces(before)))
    if is_changelog(source):
        # Only the prose before the list is wanted: its items (each with a link, often) are
        # not parsed at all.
        opening = _without_byline(_pieces(source[: _first_item(source)]))
        prose = [piece for piece in opening if piece.prose]  # not quotes
        if prose:
            return _joined(prose)
    chars = max(PREFIX_CHARS, words * CHARS_PER_WORD_READ)
    while True:
        end = _block_end(source, chars)
        text = _joined(_without_byline(_pieces(_prefix(source, end))))
        if end >= len(source) or _enough(text, words):
            return text
        chars *= 4


def _enough(text: str, words: int) -> bool:
    """More than ``words`` words: an excerpt cut from it is cut, and says so."""
    return len(text.split(maxsplit=words)) > words


def _first_item(source: str) -> int:
    """Where the first list item's line starts (a changelog has one in its first
    :data:`CHANGELOG_SCAN` characters), or the end of that stretch."""
    at = 0
    while at < CHANGELOG_SCAN:
        end = source.find("\n", at)
        line = source[at : len(source) if end < 0 else end].lstrip()
        if line and line[0] in "-*+0123456789" and _LIST_ITEM.match(line):
            return at
        if end < 0:
            break
        at = end + 1
    return min(len(source), CHANGELOG_SCAN)


# A byline paragraph: "**Author:** Rey Lejano (Red Hat)", "Authors: …", "Written by: …",
# or a short "By Jane Doe" (a capital after "By", so "By default, …" stays prose).
_BYLINE_LABEL = re.compile(
    r"(?:authors?|by|written by|posted by|published by|contributed by)\s*:", re.IGNORECASE
)
_BYLINE_BY = re.compile(r"(?:written |posted )?by\s+[^\W\d_]", re.IGNORECASE)
BYLINE_WORDS = 30


def is_byline(text: str) -> bool:
    count = len(text.split(maxsplit=BYLINE_WORDS))
    if count > BYLINE_WORDS:
        return False
    if _BYLINE_LABEL.match(text):
        return True
    found = _BYLINE_BY.match(text)
    return bool(
        found
        and found.group(0)[-1].isupper()
        and count <= 10
        and not text.endswith((".", "!", "?"))
    )


def _without_byline(pieces: list[_Piece]) -> list[_Piece]:
    """``pieces`` without the byline paragraphs they start with."""
    start = 0
    while start < len(pieces) and is_byline(pieces[start].text):
        start += 1
    return pieces[start:]


_LIST_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
CHANGELOG_LINES = 10  # list items, at least, for a body to read as a changelog
CHANGELOG_SCAN = 8_000  # characters of the body looked at to tell


def is_changelog(source: str) -> bool:
    """Whether a body is mostly a list (release notes, a list of commits): two lines in three
    are list items, and there are at least :data:`CHANGELOG_LINES` of them."""
    lines = [line.lstrip() for line in source[:CHANGELOG_SCAN].split("\n")]
    text = [line for line in lines if line]
    items = sum(1 for line in text if line[0] in "-*+0123456789" and _LIST_ITEM.match(line))
    return items >= CHANGELOG_LINES and items * 3 >= len(text) * 2


def _image_hint(source: str, start: int) -> int:
    """Where the next ``![``, ``<img`` or ``<IMG`` is, from ``start``, or -1 (a plain search: a
    regular expression costs ten times as much over a long body that has no image)."""
    found = [
        i
        for i in (source.find("![", start), source.find("<img", start), source.find("<IMG", start))
        if i >= 0
    ]
    return min(found) if found else -1


def first_image(source: str) -> tuple[str, str] | None:
    """(src, alt) of the first image in a Markdown body (Markdown or HTML ``<img>``).

    Only the blocks up to a likely image are parsed (``![`` or ``<img`` found by a
    plain search), in prefixes at least doubling, so a long body without images
    costs one search.
    """
    source = head(source)
    end = 0
    while end < len(source):
        hint = _image_hint(source, end)
        if hint < 0:
            return None
        end = _block_end(source, max(hint + 2, 2 * end))
        found = _image_in(_prefix(source, end))
        if found is not None:
            return found
    return None


def _image_in(source: str) -> tuple[str, str] | None:
    for token in _MD.parse(strip_template_syntax(source)):
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
