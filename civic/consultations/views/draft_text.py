"""The draft text put up for comment: reading it passage by passage, and the officials' editor."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.common.forms import errors_on, render_form
from civic.consultations import forms
from civic.consultations.models import Phase
from civic.consultations.services.draft_text import (
    DRAFT_TEXT_MAX_LENGTH,
    DRAFT_UPLOAD_MAX_BYTES,
    draft_sections,
    draft_text_blocks,
    read_draft_upload,
    set_draft_text,
)
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.views.blueprint import bp, me


@bp.get("/<int:consultation_id>/text")
def read_text(consultation_id):
    """The draft text passage by passage, each with its number of comments in the margin."""
    consultation = get_consultation(consultation_id, current_user)
    return render_template(
        "consultations/text.html",
        consultation=consultation,
        Phase=Phase,
        blocks=draft_text_blocks(consultation),
        retired=draft_sections(consultation, retired=True),
    )


@bp.route("/<int:consultation_id>/draft-text", methods=["GET", "POST"])
@login_required
def edit_text(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    form = forms.DraftTextForm(data={"text": consultation.draft_text_markdown} if request.method == "GET" else None)
    if form.validate_on_submit():
        upload = form.upload.data
        with errors_on(form) as attempt:
            if upload and upload.filename:
                # The file's text goes into the text box, so that it is kept if something else is refused.
                form.text.data = read_draft_upload(upload.filename, upload.stream.read(DRAFT_UPLOAD_MAX_BYTES + 1))
            change = set_draft_text(me(), consultation, form.text.data, correction_note=form.correction_note.data)
        if attempt.succeeded:
            flash(
                _(
                    "Draft text saved: %(added)d new passages, %(kept)d unchanged (they keep their comments), "
                    "%(retired)d kept under “Comments on earlier wording”, %(removed)d removed.",
                    added=change.added,
                    kept=change.kept,
                    retired=change.retired,
                    removed=change.removed,
                ),
                "success",
            )
            return redirect(url_for("consultations.read_text", consultation_id=consultation.id))
    return render_form(
        "consultations/edit_text.html", form, consultation=consultation, max_length=DRAFT_TEXT_MAX_LENGTH
    )
