"""Splitting a post into frontmatter and body, and parsing the frontmatter safely.

YAML, TOML (``+++``) or JSON, through python-frontmatter's handlers (TOML on
the standard library's ``tomllib``). Posts are untrusted: frontmatter is
capped in size, and YAML alias bombs are refused before they are built, so one
file can cost only bounded work. Any failure is a :class:`Skip` naming the
problem and, where the parser gives one, the line.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .dates import shown


class TomlHandler(BaseHandler):
    """``+++`` frontmatter with the standard library's ``tomllib``.

    python-frontmatter's own TOML handler needs the old ``toml`` package and,
    without it, silently treats ``+++`` frontmatter as body text.
    """

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


# Values a YAML document may expand to through its aliases; a real post has a few dozen.
MAX_YAML_NODES = 100_000


# Frontmatter is metadata, a few hundred bytes: parsing 10 MB of YAML takes ~30 s and 1.3 GB.
MAX_FRONTMATTER_CHARS = 1_000_000


class PostLoader(_BaseLoader):  # type: ignore[misc]
    """The safe YAML loader (libyaml's parser when installed) that names the line of a bad value.

    PyYAML's constructors raise bare ``ValueError``/``AttributeError`` for values
    that match a tag but cannot be built (``2026-02-30``, ``!!int "abc"``,
    ``!!timestamp "x"``, an offset of +99:00), without saying where. Each
    failure is turned into a ``ConstructorError`` carrying the node's position.

    With ``guard`` set, a document is measured before it is built: aliases
    share nodes, so a "billion laughs" document is small as parsed but expands
    to billions of values in anything that walks it (``str()``, our own field
    normalising). Such a document, or one whose aliases form a cycle, is refused.
    """

    guard = False

    def construct_document(self, node: yaml.Node) -> Any:
        if self.guard:
            check_expansion(node, MAX_YAML_NODES)
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, Skip):
            raise
        except Exception as exc:  # every constructor failure is the post's fault
            raise yaml.constructor.ConstructorError(
                None, None, _bad_value(node, exc), node.start_mark
            ) from None


def _bad_value(node: yaml.Node, exc: Exception) -> str:
    """``cannot read '2026-02-30' as a date (day is out of range for month)``."""
    name = str(node.tag).rsplit(":", 1)[-1]
    name = {"timestamp": "date", "int": "whole number", "float": "number"}.get(name, name)
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    quoted = f"{shown(value)} " if isinstance(value, str) else ""
    reason = f" ({exc})" if isinstance(exc, (ValueError, OverflowError)) and str(exc) else ""
    return f"cannot read {quoted}as {'an' if name[0] in 'aeiou' else 'a'} {name}{reason}"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, limit: int) -> None:
    """Raise :class:`Skip` if ``root`` expands to more than ``limit`` values, or to a cycle.

    Each distinct node is visited once (sizes are remembered), so the check
    costs as much as the document as written, not as expanded. Iterative:
    nesting cannot exhaust the stack.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the path from the root to the node being measured
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            size = sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise Skip(
                    f"YAML aliases expand to more than {limit:,} values: refused (an alias bomb?)",
                    node.start_mark.line + 1,
                )
        elif key not in sizes:
            open_nodes.add(key)
            stack.append((node, True))
            for child in _children(node):
                if id(child) in open_nodes:
                    raise Skip("YAML alias refers to itself", child.start_mark.line + 1)
                if id(child) not in sizes:
                    stack.append((child, False))


def load_yaml(text: str) -> Any:
    """One YAML document with :class:`PostLoader`, guarded when it has anchors and aliases.

    Without both ``&`` and ``*`` no node can be shared, and the common post
    keeps libyaml's full speed.
    """
    loader = PostLoader(text)
    loader.guard = "&" in text and "*" in text
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_YAML = YAMLHandler()


_TOML = TomlHandler()


_JSON = JSONHandler()


_HANDLERS: dict[str, tuple[BaseHandler, str]] = {
    "---": (_YAML, "YAML"),
    "+++": (_TOML, "TOML"),
    "{": (_JSON, "JSON"),
}


_OPENING = re.compile(r"^(-{3,}|\+{3,}|\{)[ \t]*\r?$", re.MULTILINE)


_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class Skip(Exception):
    """A file that is not a usable post; carries the problem to report."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def _inline_json(text: str, line: int) -> tuple[dict[str, Any], str]:
    """JSON frontmatter that does not put ``{`` on a line of its own (``{"title": "A"}``),
    as Hugo reads it: the first JSON object in the file, then the body."""
    try:
        metadata, end = json.JSONDecoder().raw_decode(text[: MAX_FRONTMATTER_CHARS + 1])
    except RecursionError:
        raise Skip("JSON frontmatter is nested too deeply", line) from None
    except json.JSONDecodeError as exc:
        if exc.pos >= MAX_FRONTMATTER_CHARS:
            raise Skip(
                f"JSON frontmatter of more than {MAX_FRONTMATTER_CHARS:,} characters", line
            ) from None
        raise Skip(f"invalid JSON frontmatter: {exc.msg}", exc.lineno + line - 1) from None
    if not isinstance(metadata, dict):
        raise Skip("frontmatter must be a JSON object of keys to values", line)
    return {str(k): v for k, v in metadata.items()}, text[end:].lstrip("\n")


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into (metadata, body) with python-frontmatter's handlers.

    Raises :class:`Skip` naming the line where the parser gives one.
    """
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    leading_lines = text[: len(text) - len(stripped)].count("\n")
    opening = _OPENING.match(stripped)
    if not opening and stripped.startswith("{"):
        return _inline_json(stripped, 1 + leading_lines)
    if not opening:
        raise Skip("no frontmatter: the first line should be ---, +++ or {", 1 + leading_lines)
    marker = opening.group(1)
    handler, kind = _HANDLERS["{" if marker == "{" else marker[:3]]
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        closing = "}" if kind == "JSON" else marker[:3]
        raise Skip(
            f"{kind} frontmatter opened on line {1 + leading_lines} is never closed "
            f"(no {closing!r} line after it)",
            1 + leading_lines,
        ) from None
    if len(fm) > MAX_FRONTMATTER_CHARS:
        raise Skip(
            f"{kind} frontmatter of {len(fm):,} characters: more than the "
            f"{MAX_FRONTMATTER_CHARS:,} a post's metadata may have",
            1 + leading_lines,
        )
    try:
        metadata = load_yaml(fm) if kind == "YAML" else handler.load(fm)
    except RecursionError:
        raise Skip(f"{kind} frontmatter is nested too deeply", 1 + leading_lines) from None
    except Skip as skip:  # the YAML guard: its line counts from the opening ---
        raise Skip(skip.message, skip.line and skip.line + leading_lines) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 + leading_lines if mark is not None else None
        raise Skip(f"invalid YAML frontmatter: {problem}", line) from None
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        message = _TOML_LINE.sub("", str(exc)).strip()
        line = int(found.group(1)) + leading_lines if found else None
        raise Skip(f"invalid TOML frontmatter: {message}", line) from None
    except json.JSONDecodeError as exc:
        raise Skip(f"invalid JSON frontmatter: {exc.msg}", exc.lineno + leading_lines) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise Skip(
            f"frontmatter must be a mapping of keys to values, found {type(metadata).__name__}",
            1 + leading_lines,
        )
    return {str(k): v for k, v in metadata.items()}, body
