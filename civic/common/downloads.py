"""Streamed downloads: a CSV of any length written in chunks, with the headers every export needs.

The caller checks permissions and writes its audit entry *before* calling stream_csv (the service
returns the header and a row iterator only after ensure_can), so nothing is streamed to someone
who may not have it and a refusal is an ordinary error page, not a broken download."""

import csv
import io

from flask import Response, stream_with_context

CHUNK_BYTES = 64 * 1024


def _chunks(header, rows, bom):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
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
    """A download of `header` then `rows` (any iterable, read lazily) as `filename`."""
    return Response(
        stream_with_context(_chunks(header, rows, bom)),
        mimetype="text/csv; charset=utf-8",
        headers=attachment_headers(filename),
    )
