"""Reading a CSV download back as a spreadsheet would, and the values an attacker types to make
a cell a formula (CSV injection)."""

import csv
import io

# Each starts with one of the characters OWASP names; the first is the one the attacker used.
FORMULAS = (
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '@SUM(1+1)*cmd|" /C calc"!A0',
    "\t=1+1",
    "\r=1+1",
)


def csv_rows(body):
    """The rows of a CSV download (a response, or its text), without the byte-order mark."""
    text = body if isinstance(body, str) else body.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def formula_cells(rows):
    """The cells a spreadsheet would read as a formula: text starting with = + - @, tab or CR."""
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
