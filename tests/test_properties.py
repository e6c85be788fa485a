"""Property-based tests: hostile text anywhere in a post never crashes, escapes or merges.

Strategies mix every supported service's merge-tag and template syntax with
HTML specials, bidirectional controls and arbitrary Unicode; the properties
are the project's promises about hostile input. The profile (derandomized,
few examples, no deadline) is registered in ``conftest.py``.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from digest.excerpts import markdown_text

# --- excerpts ------------------------------------------------------------------------------------

# What an author may put in backticks: anything on one line but a backtick, not space-padded
# (Markdown trims one space each side of a code span).
CODE = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="`"
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip())


@given(code=CODE)
@example(code="{{ .X }}")
@example(code="{{- .Subscriber.Email -}}")
@example(code="a[i][j]")
@example(code="{#id .cls}")
def test_code_in_backticks_keeps_its_characters(code: str) -> None:
    """Regression: ``{{ .X }}`` in backticks became ``{}`` (the attribute-list pattern ran
    over code) and ``a[i][j]`` became ``ai`` (read as an unresolved reference link)."""
    assert " ".join(code.split()) in markdown_text(f"Use `{code}` here, [a][b] {{.c}} too.")
