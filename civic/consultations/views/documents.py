"""Documents and the cover image: the officials' page to attach, order and remove them, and the
download of each file."""

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common.filesize import format_size
from civic.common.forms import errors_on
from civic.consultations import forms
from civic.consultations.models import DocumentRole
from civic.consultations.services.documents import (
    Upload,
    cover_of,
    documents_of,
    get_document,
    move_document,
    open_document,
    remove_document,
    set_cover_image,
)
from civic.consultations.services.documents import add_document as attach_document
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.views.blueprint import bp, me

# A downloaded file is never a page of this site: no scripts, no plugins, no same-origin rights.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _upload(field):
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return Upload(filename=data.filename, stream=data.stream)


def _documents_page(consultation, document_form=None, cover_form=None):
    """The officials' page; the form that was not sent shows the stored values, unbound."""
    cover = cover_of(consultation)
    document_form = document_form or forms.DocumentForm(formdata=None)
    cover_form = cover_form or forms.CoverForm(
        formdata=None,
        data={"alt_text": cover.alt_text if cover else "", "decorative": bool(cover and not cover.alt_text)},
    )
    refused = any(form.errors or form.form_errors for form in (document_form, cover_form))
    config = current_app.config
    return render_template(
        "consultations/documents.html",
        consultation=consultation,
        documents=documents_of(consultation),
        cover=cover,
        document_form=document_form,
        cover_form=cover_form,
        small_form=FlaskForm(formdata=None),
        document_limit=format_size(config["CIVIC_DOCUMENT_MAX_BYTES"]),
        image_limit=format_size(config["CIVIC_IMAGE_MAX_BYTES"]),
    ), 422 if refused else 200


def _back_to_documents(consultation):
    return redirect(url_for("consultations.documents", consultation_id=consultation.id))


@bp.get("/<int:consultation_id>/documents")
@login_required
def documents(consultation_id):
    return _documents_page(get_consultation(consultation_id, current_user, "consultation.manage"))


@bp.post("/<int:consultation_id>/documents")
@login_required
def add_document(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    form = forms.DocumentForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            document = attach_document(me(), consultation, _upload(form.file), form.title.data)
        if attempt.succeeded:
            flash(_("“%(title)s” is attached.", title=document.title), "success")
            return _back_to_documents(consultation)
    return _documents_page(consultation, document_form=form)


@bp.post("/<int:consultation_id>/documents/cover")
@login_required
def set_cover(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    form = forms.CoverForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            set_cover_image(
                me(), consultation, _upload(form.image), form.alt_text.data, decorative=form.decorative.data
            )
        if attempt.succeeded:
            flash(_("Cover image saved."), "success")
            return _back_to_documents(consultation)
    return _documents_page(consultation, cover_form=form)


@bp.post("/<int:consultation_id>/documents/<int:document_id>/<any(up, down, remove):change>")
@login_required
def change_document(consultation_id, document_id, change):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    document = get_document(consultation, document_id)
    if change == "remove":
        cover, title = document.role == DocumentRole.COVER.value, document.title
        remove_document(me(), document)
        flash(_("The cover image is removed.") if cover else _("“%(title)s” is removed.", title=title), "success")
    else:
        move_document(me(), document, 1 if change == "down" else -1)
    return _back_to_documents(consultation)


@bp.get("/<int:consultation_id>/documents/<int:document_id>/<filename>")
def document(consultation_id, document_id, filename):
    """Documents download as attachments; only the cover image shows in the page. Either way the
    browser is told the type (never to guess it), and the file can run nothing."""
    consultation = get_consultation(consultation_id, current_user)
    document, path = open_document(current_user, consultation, document_id)
    if filename != document.filename:
        return redirect(
            url_for(
                "consultations.document",
                consultation_id=consultation.id,
                document_id=document.id,
                filename=document.filename,
            )
        )
    inline = document.role == DocumentRole.COVER.value and document.content_type.startswith("image/")
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=not inline,
        download_name=document.filename,
        etag=document.sha256,
        conditional=True,
        max_age=None,
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Drafts' files, and files removed later, must not linger in shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
