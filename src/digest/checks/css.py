"""The CSS-support rule: what the email's HTML and CSS use, against what each client supports.

Client support comes from a table derived from caniemail
(``scripts/caniemail_table.py``, MIT licence, see ``data/``). A feature
used in the base styles that a major client lacks is a warning; inside
``@media`` (an enhancement a client may skip) or with partial support, a
note; features whose absence is itself the fallback (``GRACEFUL``) are notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import tinycss2
from lxml.etree import _Element

from .model import CheckInput, Finding
from .registry import rule

# Features whose absence in a client is itself the fallback: the email stays
# readable and its layout intact. MJML's output and digest's templates use
# them on purpose, so they are reported as notes rather than warnings.
GRACEFUL: dict[str, str] = {
    "css-opacity": "hides the preheader; mso-hide and max-height hide it elsewhere",
    "css-max-height": "hides the preheader; other properties hide it elsewhere",
    "css-overflow": "hides the preheader; other properties hide it elsewhere",
    "css-border-spacing": "a table reset; Outlook's tables have no spacing anyway",
    "css-outline": "an image reset (outline:none)",
    "css-word-spacing": "a body reset",
    "css-word-break": "lets long words wrap; without it they still show",
    "css-color-scheme": "a dark-mode hint; without it the client's own dark mode applies",
    "css-height": "height:auto keeps image proportions; the height attribute is the fallback",
    "css-border-radius": "rounded corners; square where unsupported",
    "css-object-fit": "crops thumbnails to one box; elsewhere they are scaled into it",
    "css-white-space": "keeps dates together; no-break spaces do it where it is ignored",
    "html-aria-hidden": "hides decorative arrows from screen readers; harmless where stripped",
    "html-aria-label": "unique names for 'Read more' links; stripped, the visible text is read",
}


@cache
def support_table() -> dict[str, Any]:
    data = files("digest").joinpath("data", "caniemail.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(data)
    return table


# Bounds on the CSS the support check parses, so a hostile <style> cannot make it
# recurse without end or run for minutes: real email CSS nests a few blocks deep,
# and Gmail clips a whole email at about 100 KB.
CSS_MAX_DEPTH = 32
CSS_MAX_CHARS = 128 * 1024
_CSS_SKIPPED = re.compile(
    r"""/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""", re.DOTALL
)
_CSS_BRACKET = re.compile(r"[(\[{)\]}]")


@lru_cache(maxsize=256)  # keyed by CSS already within CSS_MAX_CHARS at every call site
def css_depth(css: str, limit: int = CSS_MAX_DEPTH) -> int:
    """How deeply ``css`` nests brackets, without parsing it: stops counting past ``limit``.

    Comments and strings are left out; an unclosed bracket counts as open to the
    end, as CSS parsers treat it.
    """
    depth = deepest = 0
    for match in _CSS_BRACKET.finditer(_CSS_SKIPPED.sub("", css)):
        if match.group() in "([{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth = max(depth - 1, 0)
    return deepest


_Use = tuple[tuple[str, ...], str, bool]  # a feature, where it is used, inside @media or not


@dataclass
class _Usage:
    """Every detectable feature the email uses, and whether any use is in its base styles.

    ``unread`` says which CSS was too deep or too much to parse, so the report can say so.
    """

    base: dict[tuple[str, ...], str] = field(default_factory=dict)
    enhancement: dict[tuple[str, ...], str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)
    chars: int = 0

    def readable(self, css: str, where: str) -> bool:
        """Whether ``css`` is within the depth and size bounds; if not, note it as unread."""
        if self.chars + len(css) > CSS_MAX_CHARS:
            if self.chars <= CSS_MAX_CHARS:
                self.unread.append(
                    f"more than {CSS_MAX_CHARS // 1024} KB of CSS: CSS support not checked "
                    f"from {where} on"
                )
            self.chars = CSS_MAX_CHARS + 1
            return False
        self.chars += len(css)
        if css_depth(css) > CSS_MAX_DEPTH:
            self.unread.append(
                f"CSS in {where} nests more than {CSS_MAX_DEPTH} blocks deep; not checked"
            )
            return False
        return True

    def add(self, key: tuple[str, ...], where: str, *, enhancement: bool) -> None:
        target = self.enhancement if enhancement else self.base
        target.setdefault(key, where)

    def replay(self, uses: tuple[_Use, ...]) -> None:
        """Add what one piece of CSS uses, in the order it uses it (first ``where`` wins)."""
        for key, where, enhancement in uses:
            (self.enhancement if enhancement else self.base).setdefault(key, where)


class _Recorder(_Usage):
    """A :class:`_Usage` that also keeps every use in order, to replay from a cache."""

    def __init__(self) -> None:
        super().__init__()
        self.uses: list[_Use] = []

    def add(self, key: tuple[str, ...], where: str, *, enhancement: bool) -> None:
        self.uses.append((key, where, enhancement))


# The analysis of a stylesheet or an inline style, cached by its text: the matrix
# renders the same <style> into every cell, and a document repeats a few inline
# styles on hundreds of elements. Bounded, and only CSS within the bounds is parsed.
@lru_cache(maxsize=64)
def _sheet_uses(css: str) -> tuple[_Use, ...]:
    recorder = _Recorder()
    _rules(
        tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True),
        recorder,
        enhancement=False,
    )
    return tuple(recorder.uses)


@lru_cache(maxsize=4096)
def _style_uses(style: str, where: str) -> tuple[_Use, ...]:
    recorder = _Recorder()
    _declarations(tinycss2.parse_component_value_list(style), recorder, where, False)
    return tuple(recorder.uses)


def clear_caches() -> None:
    """Forget the CSS analysed by content (tests compare cold and warm runs)."""
    for cached in (css_depth, _sheet_uses, _style_uses):
        cached.cache_clear()


def _declarations(tokens: list[Any], usage: _Usage, where: str, enhancement: bool) -> None:
    for decl in tinycss2.parse_declaration_list(tokens, skip_whitespace=True, skip_comments=True):
        if decl.type != "declaration":
            continue
        name = decl.lower_name
        usage.add(("property", name), where, enhancement=enhancement)
        value = tinycss2.serialize(decl.value).strip().lower()
        usage.add(("property-value", name, " ".join(value.split())), where, enhancement=enhancement)
        if decl.important:
            usage.add(("important",), where, enhancement=enhancement)
        _values(decl.value, usage, where, enhancement)


def _values(tokens: Iterable[Any], usage: _Usage, where: str, enhancement: bool) -> None:
    for token in tokens:
        if token.type == "function":
            usage.add(("function", token.lower_name), where, enhancement=enhancement)
            _values(token.arguments, usage, where, enhancement)
        elif token.type == "dimension":
            usage.add(("unit", token.lower_unit), where, enhancement=enhancement)
        elif token.type == "percentage":
            usage.add(("unit", "%"), where, enhancement=enhancement)
        elif token.type == "ident" and token.lower_value == "initial":
            usage.add(("keyword", "initial"), where, enhancement=enhancement)


_PSEUDO = re.compile(r"(::?[a-z-]+)")


def _rules(rules: Iterable[Any], usage: _Usage, enhancement: bool) -> None:
    for css_rule in rules:
        if css_rule.type == "at-rule":
            name = css_rule.lower_at_keyword
            usage.add(("at-rule", name), f"@{name}", enhancement=True)
            prelude = tinycss2.serialize(css_rule.prelude).lower()
            for feature in re.findall(r"\(\s*([-a-z]+)\s*[:)]", prelude):
                usage.add(
                    ("media-feature", feature), f"@{name} {prelude.strip()[:40]}", enhancement=True
                )
            if css_rule.content is not None and name in {"media", "supports"}:
                _rules(
                    tinycss2.parse_rule_list(
                        css_rule.content, skip_whitespace=True, skip_comments=True
                    ),
                    usage,
                    True,
                )
            elif css_rule.content is not None and name == "font-face":
                _declarations(css_rule.content, usage, "@font-face", True)
        elif css_rule.type == "qualified-rule":
            selector = tinycss2.serialize(css_rule.prelude).strip()
            for pseudo in _PSEUDO.findall(re.sub(r"\[[^\]]*\]", "", selector)):
                usage.add(("pseudo", pseudo.lower()), selector[:60], enhancement=enhancement)
            _declarations(css_rule.content, usage, selector[:60], enhancement)


def _usage(doc: _Element) -> _Usage:
    usage = _Usage()
    for style in doc.iter("style"):
        if not usage.readable(style.text or "", f"<style> at line {style.sourceline}"):
            continue
        usage.replay(_sheet_uses(style.text or ""))
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        usage.add(("element", tag), f"<{tag}>", enhancement=False)
        if tag in {"input", "button"} and element.get("type"):
            usage.add(
                ("element", tag, element.get("type", "").lower()), f"<{tag}>", enhancement=False
            )
        for attribute in element.attrib:
            usage.add(("attribute", attribute.lower()), f"<{tag} {attribute}>", enhancement=False)
        style = element.get("style")
        if style and usage.readable(style, f"<{tag} style> at line {element.sourceline}"):
            usage.replay(_style_uses(style, f"<{tag} style>"))
        if tag == "a":
            href = (element.get("href") or "").strip()
            if href.startswith("#"):
                usage.add(("link-scheme", "#"), href, enhancement=False)
            elif href.lower().startswith("mailto:"):
                usage.add(("link-scheme", "mailto"), href[:40], enhancement=False)
        if tag == "meta" and (element.get("name") or "").lower() == "color-scheme":
            usage.add(("meta", "color-scheme"), "<meta name=color-scheme>", enhancement=True)
        if tag == "img":
            src = (element.get("src") or "").lower()
            if src.startswith("data:"):
                usage.add(("image-data-uri",), src[:30], enhancement=False)
            else:
                ext = urlsplit(src).path.rsplit(".", 1)[-1] if "." in urlsplit(src).path else ""
                if ext:
                    usage.add(("image-format", ext), src[:60], enhancement=False)
    return usage


def _detect_keys(spec: dict[str, str]) -> tuple[str, ...]:
    kind = spec["kind"]
    if kind in {"important", "image-data-uri"}:
        return (kind,)
    if kind == "property-value":
        return (kind, spec["name"], " ".join(spec["value"].lower().split()))
    if kind == "element" and "type" in spec:
        return (kind, spec["name"], spec["type"])
    return (kind, spec["name"])


@cache
def _features() -> tuple[tuple[str, dict[str, Any], tuple[tuple[str, ...], ...]], ...]:
    """The table's features in slug order, each with the usage keys that detect it."""
    return tuple(
        (slug, feature, tuple(_detect_keys(spec) for spec in feature["detect"]))
        for slug, feature in sorted(support_table()["features"].items())
    )


@rule("css-support")
def css_support(inp: CheckInput) -> Iterator[Finding]:
    options = inp.options
    usage = _usage(inp.doc)
    for problem in usage.unread[:5]:
        yield Finding(rule="css-support", severity="warning", message=problem)
    graceful = set(GRACEFUL) | set(options.allow_features)
    for slug, feature, keys in _features():
        base_where = enh_where = None
        for key in keys:
            base_where = base_where or usage.base.get(key)
            enh_where = enh_where or usage.enhancement.get(key)
        if base_where is None and enh_where is None:
            continue
        unsupported = feature["unsupported"]
        partial = [p["client"] for p in feature["partial"]]
        title = feature["title"]
        if unsupported and base_where is not None and slug in graceful:
            reason = GRACEFUL.get(slug, "allowed by configuration")
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is not supported by {', '.join(unsupported)}; {reason}",
                where=base_where,
            )
        elif unsupported and base_where is not None:
            yield Finding(
                rule="css-support",
                severity="warning",
                message=f"{title} is not supported by {', '.join(unsupported)} ({feature['url']})",
                where=base_where,
            )
        elif unsupported:
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is skipped by {', '.join(unsupported)}; "
                "used as an enhancement only",
                where=enh_where or "",
            )
        if partial:
            yield Finding(
                rule="css-support",
                severity="info",
                message=f"{title} is only partly supported by {', '.join(partial)} "
                f"({feature['url']})",
                where=base_where or enh_where or "",
            )
