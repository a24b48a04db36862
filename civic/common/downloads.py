"""Streamed downloads: a CSV of any length written in chunks, with the headers every export needs.

The caller checks permissions and writes its audit entry *before* calling stream_csv (the service
returns the header and a row iterator only after ensure_can), so nothing is streamed to someone
who may not have it and a refusal is an ordinary error page, not a broken download.

Every CSV the site produces is written by `csv_writer` here, and nowhere else
(tests/common/test_downloads.py fails on any other use of the csv module's writers), so that no
cell can reach a spreadsheet as a formula."""

import csv
import io
from numbers import Number

from flask import Response, stream_with_context

CHUNK_BYTES = 64 * 1024

# OWASP's rule against CSV (formula) injection: a spreadsheet reads a text cell that starts with
# one of these as a formula (or, after a tab or line break, may still find one), so such a cell
# gets a leading apostrophe, which spreadsheets show as text and do not evaluate.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralised(cell):
    """`cell` as it may go into a CSV. Only text is changed. Numbers (and None) pass as they are:
    the site writes the numbers it computes (ids, counts) as numbers, so a negative count stays a
    number, while any text, whoever typed it, may start a formula; a service must therefore never
    hand a number over as text, nor a person's text as a number."""
    if cell is None or isinstance(cell, Number):
        return cell
    text = cell if isinstance(cell, str) else str(cell)  # a date, or anything else, is checked as text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _SafeWriter:
    def __init__(self, buffer):
        self._writer = csv.writer(buffer)

    def writerow(self, row):
        return self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(buffer):
    """The one CSV writer of the site: csv.writer's interface, every cell `neutralised`."""
    return _SafeWriter(buffer)


def _chunks(header, rows, bom):
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    if bom:
        buffer.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def attachment_headers(filename):
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def stream_csv(header, rows, filename, *, bom=False):
    """A download of `header` then `rows` (any iterable, read lazily) as `filename`, each cell
    `neutralised`."""
    return Response(
        stream_with_context(_chunks(header, rows, bom)),
        content_type="text/csv; charset=utf-8",  # as is: a mimetype would get a second charset
        headers=attachment_headers(filename),
    )
