"""Responding with an account: the questionnaire page (save and finish later), the review, the
submission, and the copy of the answers shown when it closed in the meantime."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.consultations.questionnaire import ranking_from_positions
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.services.responses import (
    check_response,
    my_response,
    readable_answers,
    save_response,
    stored_values,
    submit_response,
)
from civic.consultations.views.blueprint import bp, me
from civic.errors import InvalidInput, ParticipationClosed


def raw_answers(consultation, source):
    """What the person typed, per question: {question_id: (value, other_text)}."""
    raw = {}
    for question in consultation.questions:
        name = f"q{question.id}"
        if question.kind == "multiple_choice":
            value = source.getlist(name)
        elif question.kind == "ranking":
            positions = {
                option: source.get(f"{name}_rank_{index}", "").strip() for index, option in enumerate(question.options)
            }
            ranking = ranking_from_positions(question.options, positions)
            value = positions if ranking == ["?"] else ranking
        else:
            value = source.get(name)
        raw[question.id] = (value, source.get(f"{name}_other", ""))
    return raw


def _respond_page(consultation, raw, *, errors=None, status=200):
    return render_template(
        "consultations/respond.html",
        consultation=consultation,
        raw=raw,
        errors=errors or {},
        response=my_response(current_user, consultation),
    ), status


def closed_page(consultation, raw, error):
    """After closing, show the person what they wrote so that they can keep a copy."""
    return render_template(
        "consultations/closed_copy.html",
        consultation=consultation,
        message=error.message,
        answers=_readable_raw(consultation, raw),
    ), 409


def _readable_raw(consultation, raw):
    rows = []
    for question in consultation.questions:
        value, other = raw.get(question.id, (None, ""))
        if isinstance(value, dict):
            value = [f"{option}: {position}" for option, position in value.items() if position]
        text = "; ".join(value) if isinstance(value, list) else (value or "")
        if other:
            text = f"{text}; {other}" if text else other
        rows.append((question, text))
    return rows


@bp.route("/<int:consultation_id>/respond", methods=["GET", "POST"])
@login_required
def respond(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.respond")
    if request.method == "GET":
        if not consultation.accepts_responses:
            flash(_("This consultation is not taking responses."), "warning")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
        return _respond_page(consultation, stored_values(my_response(current_user, consultation)))
    raw = raw_answers(consultation, request.form)
    try:
        if request.form.get("action") == "save":
            save_response(me(), consultation, raw)
            flash(_("Your answers are saved. Come back to finish before the consultation closes."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
        save_response(me(), consultation, raw)
        _cleaned, problems = check_response(consultation, raw)
        if problems:
            return _respond_page(consultation, raw, errors=problems, status=422)
        return redirect(url_for("consultations.review", consultation_id=consultation.id))
    except ParticipationClosed as error:
        return closed_page(consultation, raw, error)


@bp.get("/<int:consultation_id>/respond/review")
@login_required
def review(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    response = my_response(current_user, consultation)
    if response is None:
        return redirect(url_for("consultations.respond", consultation_id=consultation.id))
    return render_template(
        "consultations/review.html",
        consultation=consultation,
        form=FlaskForm(),
        answers=readable_answers(consultation, response),
    )


@bp.post("/<int:consultation_id>/respond/submit")
@login_required
def submit(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    raw = stored_values(my_response(current_user, consultation))
    try:
        submit_response(me(), consultation, raw)
    except InvalidInput as error:
        return _respond_page(consultation, raw, errors=error.errors, status=422)
    except ParticipationClosed as error:
        return closed_page(consultation, raw, error)
    flash(_("Thank you: your response is submitted. We have emailed you a copy."), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))
