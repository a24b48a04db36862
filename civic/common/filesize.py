"""Sizes of files in words, in the reader's language: "1.2 MB", "640 bytes"."""

from flask_babel import format_decimal, ngettext


def size_parts(size):
    """(number, unit): bytes below 1 KB, then KB, MB and GB (of 1024), one decimal below 10."""
    if size < 1024:
        return size, "B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return (round(value, 1) if value < 10 else round(value)), unit


def format_size(size):
    number, unit = size_parts(size)
    if unit == "B":
        return ngettext("%(num)d byte", "%(num)d bytes", number)
    return f"{format_decimal(number)} {unit}"
