"""The Jinja environment: where templates come from, escaping, and filters.

Templates are looked up in the user's folder first, then in the built-in set,
so a file of the same name overrides a built-in one. The built-ins are also
reachable as ``builtin/<name>``, so an override can extend the original and
replace single blocks (Pelican's loader chain).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
import unicodedata
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import jinja2


from . import i18n
from .i18n import SOURCE_LANGUAGE

TEXT_WIDTH = 72


def builtin_templates_dir() -> Path:
    """The shipped templates: inside the installed package, or ``templates/`` in a checkout."""
    packaged = Path(str(files("digest"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


# Characters that certainly take one column (char_width 1): Latin, Latin-1, Latin
# Extended, IPA and spacing modifiers (up to U+02FF, before the combining marks), and
# general punctuation but its one unassigned code point (U+2065): "…", "—", no-break
# spaces. Text made only of these (nearly every post in a Latin script) skips the
# character-by-character measure.
_ONE_COLUMN = re.compile("[\x00-\u02ff\u2000-\u2064\u2066-\u206f]*")


def char_width(char: str) -> int:
    """Columns ``char`` takes in a monospaced font: 2 for East Asian wide and fullwidth
    characters (CJK ideographs, kana, hangul), 0 for combining marks, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (``len`` counts 日本 as 2, not 4)."""
    return sum(char_width(c) for c in str(text))


# Where a line may not break (Japanese kinsoku shori): before closing punctuation,
# small kana and the prolonged sound mark; after opening brackets.
_NO_BREAK_BEFORE = frozenset(
    "、。，．：；？！）」』】〕〉》〙〗｝］・ー々〻ゝゞヽヾ"  # noqa: RUF001 (the fullwidth forms are the point)
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ",.:;?!)]}%"
)
_NO_BREAK_AFTER = frozenset("（「『【〔〈《〘〖｛［([{")  # noqa: RUF001
# A run of characters that stays together: spaces, one wide character, or anything else.
_TOKENS = re.compile(r"\s+|[^\s]")


def _atoms(text: str) -> list[str]:
    """``text`` cut where a line may break: at spaces (kept as " "), and between wide
    characters or a wide and a narrow one, except where kinsoku forbids it.
    Narrow runs (words, URLs) are never cut."""
    atoms: list[str] = []
    for token in _TOKENS.findall(text):
        if token.isspace():
            atoms.append(" ")
            continue
        previous = atoms[-1] if atoms else " "
        glued = previous != " " and (
            (char_width(token) < 2 and char_width(previous[-1]) < 2)  # inside a word
            or token in _NO_BREAK_BEFORE
            or previous[-1] in _NO_BREAK_AFTER
        )
        if glued:
            atoms[-1] += token
        else:
            atoms.append(token)
    return atoms


# Whitespace a line may break at: every kind str.split() knows except the no-break
# spaces (U+00A0, U+2007, U+202F), which keep "26 November 2026" on one line.
_BREAKABLE = re.compile(r"[^\S\u00a0\u2007\u202f]+")


def collapse(text: str) -> str:
    """``text`` on one line, each run of breakable whitespace one space; no-break spaces kept."""
    return " ".join(filter(None, _BREAKABLE.split(str(text))))


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap a paragraph for the plain-text part; words and URLs are never broken.

    Lines are measured in display columns, so Japanese, Chinese and Korean
    text (two columns a character, usually no spaces) wraps at the same width
    as English, breaking between characters where Japanese line-breaking rules
    allow it.
    """
    flat = collapse(text)
    if _ONE_COLUMN.fullmatch(flat) or all(char_width(c) == 1 for c in flat):  # the common case
        return fill(flat, width)
    lines: list[str] = []
    line, used, space = "", 0, False
    for atom in _atoms(flat):
        if atom == " ":
            space = True
            continue
        gap = 1 if space and line else 0
        size = display_width(atom)
        if line and used + gap + size > width:
            lines.append(line)
            line, used = atom, size
        else:
            line, used = line + " " * gap + atom, used + gap + size
        space = False
    if line:
        lines.append(line)
    return "\n".join(lines)


# A "word" made only of no-break spaces: textwrap drops one at a line's end (str.strip
# counts it as whitespace), which the quick fill below does not copy.
_BLANK_WORD = re.compile(r"(?:^| )[^\S ]+(?: |$)")


def fill(flat: str, width: int) -> str:
    """``textwrap.fill(flat, width, break_long_words=False, break_on_hyphens=False)``
    for ``flat`` as :func:`collapse` writes it (words and single spaces), quicker.

    textwrap cuts the text into chunks and measures them one by one, about
    30 µs a paragraph and most of the plain-text part's time; on words
    joined by single spaces its result is the greedy fill done here: a word
    goes on the line if the line, a space and the word fit in ``width``, and a
    word longer than ``width`` gets a line of its own.
    """
    if width <= 0 or _BLANK_WORD.search(flat):
        return textwrap.fill(flat, width=width, break_long_words=False, break_on_hyphens=False)
    if len(flat) <= width:
        return flat
    words = flat.split(" ")
    lines: list[str] = []
    line = words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return "\n".join(lines)


def paragraphs(text: str) -> list[str]:
    """Split text on blank lines into paragraphs with their spacing collapsed."""
    return [collapse(p) for p in str(text).split("\n\n") if p.strip()]


def host(url: str) -> str:
    return urlsplit(url).netloc or url


def make_environment(
    templates_dir: Path | None = None, language: str = SOURCE_LANGUAGE
) -> jinja2.Environment:
    """A fresh environment: the user's folder first, then the built-in templates.

    Fresh on purpose: a template added to the user's folder must win over a
    built-in one compiled earlier (Jinja's cache would not notice it). One
    render of a digest reuses one environment. Templates speak ``language``:
    ``{{ _("Read more") }}`` and ``{% trans %}`` go through its catalog (the
    user's ``<templates>/locale`` merged over the built-in one).
    """
    import jinja2  # deferred: a build whose render is cached never needs Jinja

    builtin = jinja2.FileSystemLoader(str(builtin_templates_dir()))
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders += [jinja2.PrefixLoader({"builtin": builtin}), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # HTML-ish templates are escaped; the plain-text template must not be.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "mjml", "mjml.j2", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    lang = i18n.language(language, templates_dir)
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        display_width=display_width,
        longdate=lang.format_date,
        daterange=lang.format_window,
        number=lang.format_number,
        wrap=wrap,
        paragraphs=paragraphs,
        host=host,
    )
    # The document's direction and the side text starts on: "rtl"/"right" for Arabic.
    env.globals.update(text_direction=lang.direction, text_align=lang.align)
    return env


def templates_hash_for(templates_dir: Path | None) -> str:
    """One hash over the built-in templates and everything in the user's folder."""
    builtin = builtin_templates_dir()
    paths = [(p, "builtin/" + p.name) for p in builtin.glob("*.j2")]
    if templates_dir is not None and templates_dir.is_dir():
        paths += [
            (p, p.relative_to(templates_dir).as_posix())
            for p in templates_dir.rglob("*")
            if p.is_file()
        ]
    digest = hashlib.sha256()
    for path, name in sorted(paths, key=lambda item: item[1]):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
