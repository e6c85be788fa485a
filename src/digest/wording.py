"""Counted nouns for messages: "1 post", "2 posts", "0 errors".

Every message that counts something goes through :func:`plural`, so that no
editor reads "1 posts" and no CI log "1 warnings".
"""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, with the plural form (``many``, default noun + "s") unless 1."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
