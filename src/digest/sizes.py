"""Email sizes, in one unit: a KB here is 1,000 bytes, in budgets, checks and messages.

Gmail hides everything past about 102 KB of HTML behind "[Message clipped]",
unsubscribe link included. Budgets, the clip and every reported size use the
same unit, so "over the 90 KB budget" and "Gmail clips at about 102 KB" can
be compared as printed.
"""

from __future__ import annotations

KB = 1000
GMAIL_CLIP_KB = 102
GMAIL_CLIP_BYTES = GMAIL_CLIP_KB * KB
GMAIL_CLIPS = f"Gmail clips messages over about {GMAIL_CLIP_KB} KB"
DEFAULT_BUDGET_KB = 90


def kb(size: int) -> str:
    """``size`` bytes as printed everywhere: "42.9 KB"."""
    return f"{size / KB:.1f} KB"


def budget_bytes(budget_kb: int) -> int:
    return budget_kb * KB
