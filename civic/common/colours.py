"""Colours as WCAG measures them: a council's brand colour must keep white text on it readable
(contrast at least 4.5:1, WCAG 2.2 AA for normal text). Pure functions."""

import re

AA_NORMAL_TEXT = 4.5
_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")


def parse_hex(value):
    """(r, g, b) in 0-255 from "#1d4f91", or None for anything else."""
    match = _HEX.match((value or "").strip())
    if not match:
        return None
    digits = match.group(1)
    return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))


def relative_luminance(rgb):
    def channel(value):
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first, second):
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def darker(rgb, factor=0.75):
    """The same hue, darker (hover states): each channel scaled by `factor`."""
    return tuple(round(v * factor) for v in rgb)


def as_hex(rgb):
    return "#" + "".join(f"{v:02x}" for v in rgb)
