"""An image someone uploads with what they write (a proposal's picture, a milestone's photo):
checked by its bytes (civic.common.uploads) before anything is stored, or refused with a message
that says why and what to do."""

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from civic.common import uploads
from civic.common.db import commit
from civic.common.filesize import format_size
from civic.errors import InvalidInput
from civic.extensions import db

# An uploaded image opened on its own is shown, never run: nothing but itself may load, and the
# browser keeps it in a sandbox.
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def send_image(path, content_type):
    """The response carrying an uploaded image: typed by what the checks found, not sniffed,
    and kept by no shared cache (its owner may remove it, or hide what it belongs to)."""
    response = send_file(path, mimetype=content_type, conditional=True, max_age=None)
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def check_image(upload, field):
    """The checked upload (its kind, size and pixel size), or InvalidInput on `field`."""
    try:
        return uploads.check_upload(
            upload.stream, upload.filename, uploads.IMAGE_KINDS, current_app.config["CIVIC_IMAGE_MAX_BYTES"]
        )
    except uploads.UploadRefused as refusal:
        raise InvalidInput(image_refusal(refusal), field=field) from refusal


def image_refusal(refusal):
    values = refusal.values
    if refusal.reason == "empty":
        return _("The image file is empty. Choose another file.")
    if refusal.reason == "too_large":
        return _(
            "This image is %(size)s; an image can be at most %(limit)s.",
            size=format_size(values["size"]),
            limit=format_size(values["limit"]),
        )
    if refusal.reason == "image_too_big":
        return _(
            "The image is %(width)d × %(height)d pixels; use one at most %(max)d pixels wide and high.",
            width=values["width"],
            height=values["height"],
            max=uploads.MAX_IMAGE_SIDE,
        )
    if refusal.reason == "wrong_type":
        return _("The image must be a PNG, JPEG or WebP file (SVG and other kinds are not accepted).")
    return _("The content of the file does not match its name: it is not a PNG, JPEG or WebP image.")


def write_image(upload, kind, folder):
    """Write a checked image to a temporary file in `folder`, beside its final place:
    (temporary path, stored name), for commit_with_image."""
    stored_name = f"{secrets.token_hex(16)}.{kind.extensions[0]}"
    handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        upload.stream.seek(0)
        while chunk := upload.stream.read(1 << 16):
            out.write(chunk)
    return Path(name), stored_name


def commit_with_image(written, folder):
    """Commit, with the image written by write_image (or None) moved into `folder` first: both or
    neither."""
    if written is None:
        commit()
        return
    temporary, stored_name = written
    final = Path(folder) / stored_name
    try:
        db.session.flush()
        os.replace(temporary, final)
        commit()
    except BaseException:
        db.session.rollback()
        temporary.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
