"""The officials' questionnaire builder: add, change, move and remove questions."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common.forms import errors_flashed, errors_on, render_form
from civic.consultations import forms
from civic.consultations.questionnaire import KINDS
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.services.questions import (
    QuestionData,
    delete_question,
    get_question,
    move_question,
    questionnaire_locked,
    save_question,
)
from civic.consultations.views.blueprint import bp, me


def _question_data(form):
    return QuestionData(
        kind=form.kind.data,
        prompt=form.prompt.data,
        help_text=form.help_text.data,
        section=form.section.data,
        required=form.required.data,
        options=tuple((form.options.data or "").splitlines()),
        allow_other=form.allow_other.data,
        scale=form.scale.data,
        scale_min_label=form.scale_min_label.data,
        scale_max_label=form.scale_max_label.data,
    )


def _back_to_questions(consultation):
    return redirect(url_for("consultations.questions", consultation_id=consultation.id))


@bp.route("/<int:consultation_id>/questions", methods=["GET", "POST"])
@login_required
def questions(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    # The first step is a GET with ?kind=; "Show the settings of this kind" (without JavaScript)
    # posts the form back to be shown for the kind now chosen, saving nothing.
    form = forms.QuestionForm(**({"formdata": request.args} if request.method == "GET" and request.args else {}))
    if form.kind.data not in KINDS:
        form.kind.data = None
    if request.form.get("action") == "choose_kind":
        pass
    elif form.validate_on_submit():
        with errors_on(form) as attempt:
            save_question(me(), consultation, _question_data(form))
        if attempt.succeeded:
            flash(_("Question added."), "success")
            return _back_to_questions(consultation)
    return render_form(
        "consultations/questions.html",
        form,
        consultation=consultation,
        locked=questionnaire_locked(consultation),
        small_form=FlaskForm(),
    )


@bp.route("/<int:consultation_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(consultation_id, question_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    question = get_question(consultation, question_id)
    form = forms.QuestionForm(obj=question if request.method == "GET" else None)
    if request.method == "GET":
        form.options.data = "\n".join(question.options or [])
        form.scale.data = f"{question.scale_min}-{question.scale_max}"
    if request.form.get("action") == "choose_kind":  # "Show the settings of this kind": nothing saved
        pass
    elif form.validate_on_submit():
        with errors_on(form) as attempt:
            save_question(me(), consultation, _question_data(form), question)
        if attempt.succeeded:
            flash(_("Question saved."), "success")
            return _back_to_questions(consultation)
    return render_form(
        "consultations/edit_question.html",
        form,
        consultation=consultation,
        question=question,
        locked=questionnaire_locked(consultation),
    )


@bp.post("/<int:consultation_id>/questions/<int:question_id>/<any(up, down, delete):change>")
@login_required
def change_question(consultation_id, question_id, change):
    consultation = get_consultation(consultation_id, current_user)
    question = get_question(consultation, question_id)
    if change == "delete":
        with errors_flashed() as attempt:
            delete_question(me(), question)
        if attempt.succeeded:
            flash(_("Question removed."), "success")
    else:
        move_question(me(), question, 1 if change == "down" else -1)
    return _back_to_questions(consultation)
