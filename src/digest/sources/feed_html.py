"""Feed HTML → plain text: excerpts and stand-in titles for feed items.

Feeds carry HTML, not Markdown, and WordPress adds its own furniture to it: an
auto-excerpt ends in ``[…]`` (or ``[...]``, ``[&hellip;]``), themes append a
"Read More…" / "Continue reading *Title* →" / "Läs vidare →" link, and SEO
plugins a footer "The post *X* appeared first on *Y*.". None of it is the
author's prose: it is removed, and a cut the feed marked is shown once, as the
configured ``excerpt_more``, like any excerpt we cut ourselves.

The HTML is sanitised by nh3 (a real HTML parser, so no tag, comment or
script survives) before any pattern looks at it, and only a bounded prefix of
an item's HTML is ever kept (:data:`~digest.sources.feeds.CONTENT_CHARS`), so
every step here does bounded work on hostile input.
"""

from __future__ import annotations

import html
import re

import nh3

from ..excerpts import trim_words
from ..fields import strip_controls
from ..models import Post

# Tags kept through sanitising: links (to find "Read more" links) and the block
# elements that separate words. Everything else is unwrapped (inline markup) or, for
# the tags below, dropped with its content: scripts and styles are not text, and a
# heading inside a post usually repeats its title (as for Markdown excerpts).
_KEEP = frozenset(
    {
        "a",
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "table",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "hr",
    }
)
_DROP = frozenset(
    {"script", "style", "template", "h1", "h2", "h3", "h4", "h5", "h6", "noscript", "iframe"}
)

# "Read more" in the words WordPress themes and their translations use, anywhere in a
# link's text: that link is navigation, not prose. Kept to whole phrases that no author
# writes as the text of a link to something else.
_READ_MORE = re.compile(
    r"""^\W*(?:
        read\s+(?:more|the\s+rest|full\s+(?:post|article|story))
      | continue\s+reading | keep\s+reading | more\s*(?:…|\.\.\.|»|→)
      | läs\s+(?:vidare|mer) | weiterlesen | mehr\s+lesen | lire\s+la\s+suite
      | leer\s+más | continua(?:r)?\s+(?:a\s+)?le(?:ggere|yendo) | lees\s+(?:verder|meer)
      | czytaj\s+dalej | les\s+mer | læs\s+mere | lue\s+lisää | ler\s+mais
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_LINK = re.compile(r"<a\b([^>]*)>(.{0,2000}?)</a>", re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r'\shref="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
_INLINE_TAG = re.compile(r"</?a\b[^>]*>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# What may follow a link for it to count as the last thing in the text.
_END = re.compile(r"(?:\s|</?(?:p|div|br|li|ul|ol|span|section|article)\b[^>]*>|[.,;:!?»→…])*$")

# A cut marked by the feed, at the end of the text: "[…]", "[...]", "[ … ]".
_TRAILER = re.compile(r"\s*\[\s*(?:…|\.\.\.|&hellip;)\s*\]\s*$")
# An ellipsis left before a "Read more" link that was removed: the same mark.
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")
# A "Read more" that lost its link (a feed reader or a plugin stripped it), at the end.
_BARE_MORE = re.compile(
    r"\s*(?:…|\.\.\.)?\s*(?:read\s+more|continue\s+reading)\s*(?:…|\.\.\.|»|→|\u203a)?\s*$",
    re.IGNORECASE,
)
# Yoast SEO and similar plugins: "The post <a>X</a> appeared first on <a>Y</a>."
_APPEARED = re.compile(
    r"\s*The post\s.{1,600}?\sappeared first on\s.{1,300}?\.(?=\s|$)", re.IGNORECASE | re.DOTALL
)


def _sanitised(fragment: str) -> str:
    """The fragment as safe, normalised HTML: only :data:`_KEEP` tags, links with only
    their address, no comments, scripts or styles."""
    return nh3.clean(
        fragment,
        tags=set(_KEEP),
        attributes={"a": {"href"}},
        clean_content_tags=set(_DROP),
        link_rel=None,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
    )


def _same_page(href: str, link: str) -> bool:
    """True when ``href`` points at the post itself (a theme's "more" link to the post)."""
    if not href or not link:
        return False
    strip = "/#"
    return html.unescape(href).split("#")[0].rstrip(strip) == link.split("#")[0].rstrip(strip)


def _drop_more_links(markup: str, link: str) -> tuple[str, bool]:
    """``markup`` without its "Read more" links; True if one was removed at the end.

    A link is a "Read more" link when its text says so (in one of the phrases of
    :data:`_READ_MORE`), or when it is the last thing in the text, short, and
    points at the post itself ("Läs vidare →" in a language we do not list).
    """
    removed_at_end = False
    out: list[str] = []
    pos = 0
    for match in _LINK.finditer(markup):
        text = html.unescape(_TAG.sub(" ", match.group(2)))
        href = _HREF.search(match.group(1))
        at_end = bool(_END.match(markup, match.end()))
        words = len(text.split())
        is_more = bool(_READ_MORE.match(text)) or (
            at_end and words <= 6 and _same_page(href.group(1) if href else "", link)
        )
        if is_more:
            out.append(markup[pos : match.start()])
            pos = match.end()
            removed_at_end = removed_at_end or at_end
    out.append(markup[pos:])
    return "".join(out), removed_at_end


def html_text(fragment: str) -> str:
    """An HTML fragment's text, as one line, without any boilerplate removal (for titles)."""
    text = nh3.clean(fragment, tags=set(), attributes={}, clean_content_tags={"script", "style"})
    return strip_controls(_SPACE.sub(" ", html.unescape(text))).strip()


def feed_text(fragment: str, link: str = "") -> tuple[str, bool]:
    """(plain text, cut) for a feed item's HTML: ``cut`` when the feed marked the text as
    cut short ("[…]", or "…" before a "Read more" link), so that the excerpt says so once.

    ``link`` is the item's own address, to recognise a theme's "more" link to it.
    """
    if not fragment.strip():
        return "", False
    markup, more_at_end = _drop_more_links(_sanitised(fragment), link)
    text = _INLINE_TAG.sub("", markup)
    text = html.unescape(_TAG.sub(" ", text))
    text = strip_controls(_SPACE.sub(" ", text)).strip()
    text = _APPEARED.sub("", text).strip()
    cut = False
    for pattern in (_TRAILER, _BARE_MORE):
        text, count = pattern.subn("", text)
        cut = cut or bool(count)
    if more_at_end:
        text, count = _ELLIPSIS.subn("", text)
        cut = cut or bool(count)
    return text.strip(), cut


def feed_excerpt(post: Post, words: int, more: str) -> str:
    """The excerpt of a feed item: its summary, else its content, as clean prose cut to
    ``words`` words; a cut (ours or the feed's) is marked once with ``more``."""
    text, cut = "", False
    for source in (post.excerpt, post.body):
        if source:
            text, cut = feed_text(source, post.url)
            if text:
                break
    result = trim_words(text, words, more)
    if cut and text and more and not result.endswith(more):
        result += more
    return result


# A stand-in title: the first few words of the text, as feed readers show a title-less
# (microblog) post.
TITLE_WORDS = 10


def title_from_text(fragment: str) -> str:
    """A title for an item that has none: the first :data:`TITLE_WORDS` words of its text,
    with "…" when there are more. "" when the item has no text either."""
    text, _cut = feed_text(fragment)
    return trim_words(text, TITLE_WORDS, "…") if text else ""
