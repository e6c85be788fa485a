"""The registry of inbox rules: one signature, ``(CheckInput) -> Iterable[Finding]``.

A rule registers itself with :func:`rule` where it is defined, so the list of
rules that reports and JUnit cases name cannot drift from the rules that run.
``cheap`` rules cost a few milliseconds and run on every build (``preflight``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import CheckInput, Finding

RuleFunction = Callable[[CheckInput], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    run: RuleFunction
    cheap: bool = False


_RULES: dict[str, Rule] = {}


def rule(name: str, *, cheap: bool = False) -> Callable[[RuleFunction], RuleFunction]:
    """Register the decorated function as the rule ``name`` (names are unique)."""

    def register(function: RuleFunction) -> RuleFunction:
        if name in _RULES:
            raise ValueError(f"rule {name!r} is registered twice")
        _RULES[name] = Rule(name=name, run=function, cheap=cheap)
        return function

    return register


def registered() -> tuple[Rule, ...]:
    """Every rule, in the order their modules define them (see ``checks/__init__``)."""
    return tuple(_RULES.values())
