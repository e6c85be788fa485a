"""Colours: parsing, WCAG contrast, the built-in palette, and the nearest shade that passes.

The palette and the ``[theme]`` colours both go through here, so the numbers
the config check, ``digest check`` and the tests compare are computed one
way: WCAG 2's relative luminance and contrast ratio
(https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio). Imports nothing from the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

RGB = tuple[int, int, int]

TEXT_CONTRAST = 4.5  # WCAG AA for body text; the email asks it of every text

# The built-in colours, each text colour at least 4.5:1 on the backgrounds it is
# used on, in its scheme. ``[theme]`` replaces accent and link colours (see BACKGROUNDS).
PALETTE: dict[str, str] = {
    "page": "#f3f5f7",
    "card": "#ffffff",
    "text": "#1f2933",
    "heading": "#102a43",
    "accent": "#102a43",
    "muted": "#52606d",
    "link": "#0b5fa5",
    "rule": "#e4e7eb",
    "dark_page": "#0f1419",
    "dark_card": "#1a2027",
    "dark_text": "#e4e7eb",
    "dark_heading": "#f5f7fa",
    "dark_accent": "#f5f7fa",
    "dark_muted": "#a3adb8",
    "dark_link": "#7cc4fa",
    "dark_rule": "#2c3540",
}

# The backgrounds each themable text colour is shown on (page: masthead, section titles
# and footer; card: entries, lists, intro).
BACKGROUNDS: dict[str, tuple[str, ...]] = {
    "accent": ("page", "card"),
    "link": ("page", "card"),
    "dark_accent": ("dark_page", "dark_card"),
    "dark_link": ("dark_page", "dark_card"),
}

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB_FUNCTION = re.compile(
    r"rgba?\(\s*(\d{1,3}(?:\.\d+)?)\s*[, ]\s*(\d{1,3}(?:\.\d+)?)\s*[, ]\s*(\d{1,3}(?:\.\d+)?)"
    r"\s*(?:[,/]\s*([\d.]+%?)\s*)?\)"
)
# CSS named colours a hand-written template is likely to use (the rest are rare in email).
NAMED: dict[str, RGB] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "navy": (0, 0, 128),
    "yellow": (255, 255, 0),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
    "maroon": (128, 0, 0),
    "teal": (0, 128, 128),
    "lightgray": (211, 211, 211),
    "lightgrey": (211, 211, 211),
    "darkgray": (169, 169, 169),
    "darkgrey": (169, 169, 169),
    "whitesmoke": (245, 245, 245),
}


def is_hex(value: str) -> bool:
    """``#rgb`` or ``#rrggbb``: the forms ``[theme]`` accepts (every client reads them)."""
    return bool(_HEX.fullmatch(value))


def parse_colour(value: str) -> RGB | None:
    """A CSS colour as RGB: hex, ``rgb()``/``rgba()`` (opaque enough), or a common name.

    None for anything else (``transparent``, ``inherit``, ``currentColor``, a
    mostly transparent ``rgba``): the caller keeps looking further out.
    """
    text = value.strip().lower().removesuffix("!important").strip()
    if _HEX.fullmatch(text):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    found = _RGB_FUNCTION.fullmatch(text)
    if found:
        alpha = found.group(4)
        if alpha is not None:
            amount = float(alpha.rstrip("%")) / (100 if alpha.endswith("%") else 1)
            if amount < 0.5:
                return None
        r, g, b = (min(255, round(float(found.group(i)))) for i in (1, 2, 3))
        return (r, g, b)
    return NAMED.get(text)


def hex_of(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def worst_contrast(colour: RGB, backgrounds: Iterable[RGB]) -> tuple[float, RGB]:
    """The lowest ratio of ``colour`` on any of ``backgrounds``, and that background."""
    return min(((contrast(colour, b), b) for b in backgrounds), key=lambda pair: pair[0])


def nearest_passing(
    colour: RGB, backgrounds: Iterable[RGB], ratio: float = TEXT_CONTRAST
) -> RGB | None:
    """The shade of ``colour`` closest to it that reaches ``ratio`` on every background.

    Mixes the colour towards black and towards white in small steps (keeping its
    hue) and returns the first passing shade of the two directions, nearest
    first; None when neither reaches it (backgrounds on both sides of mid-grey).
    """
    grounds = tuple(backgrounds)
    for step in range(1, 101):
        amount = step / 100
        for target in ((0, 0, 0), (255, 255, 255)):
            mixed: RGB = (
                round(colour[0] + (target[0] - colour[0]) * amount),
                round(colour[1] + (target[1] - colour[1]) * amount),
                round(colour[2] + (target[2] - colour[2]) * amount),
            )
            if worst_contrast(mixed, grounds)[0] >= ratio:
                return mixed
    return None


def palette_with(overrides: Mapping[str, str]) -> dict[str, str]:
    """The built-in palette with ``[theme]``'s colours (empty values keep the default)."""
    return {**PALETTE, **{key: value for key, value in overrides.items() if value}}


def check_text_colour(key: str, value: str) -> str:
    """``value`` if it is a hex colour with 4.5:1 on every background ``key`` is shown on.

    Raises ``ValueError`` naming the ratio found, the background it fails on and
    the nearest shade that passes, so the editor can paste a fix.
    """
    text = value.strip()
    if not is_hex(text):
        raise ValueError("expected a colour like #0b5fa5")
    rgb = parse_colour(text)
    assert rgb is not None
    grounds = [parse_colour(PALETTE[name]) for name in BACKGROUNDS[key]]
    backgrounds = [g for g in grounds if g is not None]
    ratio, worst = worst_contrast(rgb, backgrounds)
    if ratio < TEXT_CONTRAST:
        better = nearest_passing(rgb, backgrounds)
        scheme = "dark" if key.startswith("dark_") else "light"
        suggestion = f"; the nearest shade that passes is {hex_of(better)}" if better else ""
        raise ValueError(
            f"text needs {TEXT_CONTRAST}:1 contrast, and {text} has {ratio:.2f}:1 on the "
            f"{scheme} scheme's background {hex_of(worst)}{suggestion}"
        )
    return text
