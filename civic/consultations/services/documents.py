"""Documents and the cover image: checking an upload's real type and size before anything is
written, storing the file beside its row (both or neither), listing, ordering, removing (the file
goes after the commit) and opening a file to send. On a published consultation each change is a
public correction."""

import hashlib
import os
import secrets
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from civic.audit.services import record_staff_action
from civic.common import uploads
from civic.common.db import commit
from civic.common.filesize import format_size
from civic.common.validation import FieldErrors, clean_text
from civic.consultations.models import (
    ALT_TEXT_MAX_LENGTH,
    DOCUMENT_TITLE_MAX_LENGTH,
    Correction,
    Document,
    DocumentRole,
)
from civic.consultations.services._shared import too_long
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import ensure_can

MAX_DOCUMENTS = 30


@dataclass
class Upload:
    """A file as sent: the name it had on the sender's computer, and a seekable binary stream."""

    filename: str
    stream: object


def _content_names():
    """What a file's content is, in words, for the messages that refuse it."""
    return {
        "pdf": _("a PDF"),
        "odt": _("an OpenDocument text (ODT)"),
        "docx": _("a Word document (DOCX)"),
        "csv": _("CSV text"),
        "png": _("a PNG image"),
        "jpeg": _("a JPEG image"),
        "webp": _("a WebP image"),
        "zip": _("a ZIP archive"),
        "opendocument": _("another kind of OpenDocument file"),
        "gif": _("a GIF image"),
        "svg": _("an SVG image"),
        "html": _("a web page (HTML)"),
        "program": _("a program"),
        "text": _("plain text that does not read as CSV"),
    }


SHORT_TYPE_NAMES = {
    "pdf": "PDF",
    "odt": "ODT",
    "docx": "DOCX",
    "csv": "CSV",
    "png": "PNG",
    "jpeg": "JPEG",
    "webp": "WebP",
}
_KIND_BY_CONTENT_TYPE = {kind.content_type: kind for kind in uploads.KINDS.values()}


def describe_document(document):
    """Its type and size, as listed beside it: "PDF, 1.2 MB"."""
    kind = _KIND_BY_CONTENT_TYPE.get(document.content_type)
    type_name = SHORT_TYPE_NAMES[kind.key] if kind else document.content_type
    return f"{type_name}, {format_size(document.size_bytes)}"


def _shown_name(filename):
    return uploads.shown_name(filename) or _("the file")


def _refusal_message(refusal, filename, allowed):
    values = refusal.values
    names = _content_names()
    images = allowed == uploads.IMAGE_KINDS
    if refusal.reason == "empty":
        return _("“%(name)s” is empty. Choose another file.", name=_shown_name(filename))
    if refusal.reason == "too_large":
        limit = format_size(values["limit"])
        return (
            _(
                "This image is %(size)s; a cover image can be at most %(limit)s.",
                size=format_size(values["size"]),
                limit=limit,
            )
            if images
            else _(
                "This file is %(size)s; a document can be at most %(limit)s.",
                size=format_size(values["size"]),
                limit=limit,
            )
        )
    if refusal.reason == "wrong_type":
        return (
            _("The cover image must be a PNG, JPEG or WebP file (SVG and other kinds are not accepted).")
            if images
            else _("Documents must be PDF, ODT, DOCX or CSV files.")
        )
    if refusal.reason == "archive_too_many_entries":
        return _(
            "“%(name)s” is made of more than %(limit)d parts; a document can have at most %(limit)d. "
            "Save it again from your word processor, or as a PDF.",
            name=_shown_name(filename),
            limit=values["limit"],
        )
    if refusal.reason == "archive_too_large":
        return _(
            "“%(name)s” unpacks to more than %(limit)s; a document can unpack to at most %(limit)s. "
            "Save it again with smaller pictures, or as a PDF.",
            name=_shown_name(filename),
            limit=format_size(values["limit"]),
        )
    if refusal.reason == "image_too_big":
        return _(
            "The image is %(width)d × %(height)d pixels; use one at most %(max)d pixels wide and high.",
            width=values["width"],
            height=values["height"],
            max=uploads.MAX_IMAGE_SIDE,
        )
    expected, found = names[values["expected"]], names.get(values.get("found"))
    if found:
        return _(
            "The content of “%(name)s” does not match its name: it is %(found)s, not %(expected)s.",
            name=_shown_name(filename),
            found=found,
            expected=expected,
        )
    if values["expected"] == "csv":
        return _(
            "The content of “%(name)s” does not match its name: it is not CSV text in UTF-8. Save it as "
            "“CSV UTF-8” and try again.",
            name=_shown_name(filename),
        )
    return _(
        "The content of “%(name)s” does not match its name: it is not %(expected)s.",
        name=_shown_name(filename),
        expected=expected,
    )


def _check_file(upload, allowed, limit, field):
    """Type and size, checked on the bytes before anything is written."""
    if upload is None or not (upload.filename or "").strip():
        raise InvalidInput(
            _("Choose an image file.") if allowed == uploads.IMAGE_KINDS else _("Choose a file."), field=field
        )
    try:
        return uploads.check_upload(upload.stream, upload.filename, allowed, limit)
    except uploads.UploadRefused as refusal:
        raise InvalidInput(_refusal_message(refusal, upload.filename, allowed), field=field) from refusal


def uploads_folder():
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_temporary(upload):
    """Copy the checked upload beside its final place (same file system, so that moving it
    into place is atomic), computing its SHA-256 on the way."""
    digest = hashlib.sha256()
    handle, name = tempfile.mkstemp(dir=uploads_folder(), prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            upload.stream.seek(0)
            while chunk := upload.stream.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


@contextmanager
def _storing(upload, stored_name):
    """Copy the upload to a temporary file and give its SHA-256 to the caller, who adds the rows;
    then flush, move the file to its stored name and commit. If any step fails, neither the rows
    nor the file are left behind."""
    temporary, sha256 = _write_temporary(upload)
    final = uploads_folder() / stored_name
    try:
        yield sha256
        db.session.flush()
        os.replace(temporary, final)
        commit()
    except BaseException:
        db.session.rollback()
        temporary.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise


def remove_files(stored_names):
    """After the commit that removed their rows: a file that cannot be removed is only logged."""
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"])
    for name in stored_names:
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("could not remove uploaded file %s", name)


def _stored_name(kind):
    return f"{secrets.token_hex(16)}.{kind.extensions[0]}"


def _note_public_change(actor, consultation, note):
    """Documents of a published consultation are part of the public record: a change is listed."""
    if consultation.changes_are_corrections:
        db.session.add(
            Correction(consultation_id=consultation.id, author_id=actor.id, note=note[:500], fields="documents")
        )


def documents_of(consultation):
    return [d for d in consultation.documents if d.role == DocumentRole.DOCUMENT.value]


def cover_of(consultation):
    return next((d for d in consultation.documents if d.role == DocumentRole.COVER.value), None)


def get_document(consultation, document_id):
    document = db.session.get(Document, document_id)
    if document is None or document.consultation_id != consultation.id:
        raise NotFound(_("There is no such document in this consultation."))
    return document


def add_document(actor, consultation, upload, title=""):
    """Attach a PDF, ODT, DOCX or CSV file. Nothing is stored unless every check passes."""
    ensure_can(actor, "consultation.manage", consultation)
    title = clean_text(
        title, field="title", max_length=DOCUMENT_TITLE_MAX_LENGTH, too_long=too_long(DOCUMENT_TITLE_MAX_LENGTH)
    )
    documents = documents_of(consultation)
    if len(documents) >= MAX_DOCUMENTS:
        raise InvalidInput(
            _("A consultation has at most %(n)d documents. Remove one first.", n=MAX_DOCUMENTS), field="file"
        )
    checked = _check_file(upload, uploads.DOCUMENT_KINDS, current_app.config["CIVIC_DOCUMENT_MAX_BYTES"], "file")
    title = title or uploads.title_from_filename(upload.filename)[:DOCUMENT_TITLE_MAX_LENGTH] or _("Document")
    stored_name = _stored_name(checked.kind)
    with _storing(upload, stored_name) as sha256:
        document = Document(
            role=DocumentRole.DOCUMENT.value,
            position=max((d.position for d in documents), default=-1) + 1,
            title=title,
            filename=uploads.safe_download_name(upload.filename, checked.kind),
            stored_name=stored_name,
            content_type=checked.kind.content_type,
            size_bytes=checked.size,
            sha256=sha256,
            uploaded_by_id=actor.id,
        )
        consultation.documents.append(document)
        _note_public_change(actor, consultation, _("Document added: %(title)s", title=title))
        record_staff_action(
            actor,
            "consultation.add_document",
            "consultation",
            consultation.id,
            consultation.title,
            "",
            {"title": title, "type": checked.kind.key, "size": checked.size, "sha256": sha256},
        )
    return document


def set_cover_image(actor, consultation, upload, alt_text="", *, decorative=False):
    """Add or replace the cover image (PNG, JPEG or WebP), or, without a file, change its
    description. The description is required unless the image is marked as decorative (then
    it is shown with an empty alt text, and screen readers skip it)."""
    ensure_can(actor, "consultation.manage", consultation)
    problems = FieldErrors()
    current = cover_of(consultation)
    checked = None
    if upload is not None and (upload.filename or "").strip() or current is None:
        checked = problems.check(
            _check_file, upload, uploads.IMAGE_KINDS, current_app.config["CIVIC_IMAGE_MAX_BYTES"], "image"
        )
    alt_text = (
        ""
        if decorative
        else problems.check(
            clean_text,
            alt_text,
            field="alt_text",
            max_length=ALT_TEXT_MAX_LENGTH,
            too_long=too_long(ALT_TEXT_MAX_LENGTH),
            required=_("Describe the image for people who cannot see it, or mark it as decorative."),
        )
    )
    problems.raise_if_any()
    if checked is None:
        if current.alt_text != alt_text:
            current.alt_text = alt_text
            _note_public_change(actor, consultation, _("The cover image's description was changed."))
            record_staff_action(
                actor,
                "consultation.cover_alt_text",
                "consultation",
                consultation.id,
                consultation.title,
                "",
                {"alt_text": alt_text},
            )
            commit()
        return current
    replaced = current.stored_name if current else None
    stored_name = _stored_name(checked.kind)
    with _storing(upload, stored_name) as sha256:
        cover = Document(
            role=DocumentRole.COVER.value,
            position=0,
            alt_text=alt_text,
            filename=uploads.safe_download_name(upload.filename, checked.kind, fallback="cover"),
            stored_name=stored_name,
            content_type=checked.kind.content_type,
            size_bytes=checked.size,
            sha256=sha256,
            uploaded_by_id=actor.id,
        )
        if current is not None:
            consultation.documents.remove(current)
        consultation.documents.append(cover)
        _note_public_change(actor, consultation, _("Cover image replaced.") if replaced else _("Cover image added."))
        record_staff_action(
            actor,
            "consultation.set_cover",
            "consultation",
            consultation.id,
            consultation.title,
            "",
            {
                "type": checked.kind.key,
                "size": checked.size,
                "width": checked.width,
                "height": checked.height,
                "sha256": sha256,
                "decorative": not alt_text,
            },
        )
    if replaced:
        remove_files([replaced])
    return cover


def remove_document(actor, document):
    """Remove a document or the cover image; its file goes once the removal is committed."""
    consultation = document.consultation
    ensure_can(actor, "consultation.manage", consultation)
    cover = document.role == DocumentRole.COVER.value
    stored_name = document.stored_name
    _note_public_change(
        actor,
        consultation,
        _("Cover image removed.") if cover else _("Document removed: %(title)s", title=document.title),
    )
    record_staff_action(
        actor,
        "consultation.remove_cover" if cover else "consultation.remove_document",
        "consultation",
        consultation.id,
        consultation.title,
        "",
        {"title": document.title, "sha256": document.sha256},
    )
    consultation.documents.remove(document)
    commit()
    remove_files([stored_name])


def move_document(actor, document, offset):
    consultation = document.consultation
    ensure_can(actor, "consultation.manage", consultation)
    documents = documents_of(consultation)
    index = documents.index(document)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(documents):
        return
    documents[index], documents[target] = documents[target], documents[index]
    for position, item in enumerate(documents):
        item.position = position
    commit()


def open_document(viewer, consultation, document_id):
    """A document (or the cover image) to send: (Document, path of its file). Whoever may see
    the consultation may download its documents; a draft's only staff."""
    ensure_can(viewer, "consultation.view", consultation)
    document = get_document(consultation, document_id)
    path = Path(current_app.config["CIVIC_UPLOAD_PATH"]) / document.stored_name
    if not path.is_file():
        current_app.logger.error("uploaded file %s of document %s is missing", document.stored_name, document.id)
        raise NotFound(_("This file is missing. Please tell the contact named on the consultation."))
    return document, path
