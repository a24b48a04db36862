"""Responding without an account: the questionnaire with an email address, "check your email",
and the emailed link that makes the response count."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from civic.common.forms import shown_on_form
from civic.consultations.services.anonymous_responses import (
    ANONYMOUS_LINK_MAX_AGE,
    confirm_anonymous_response,
    request_anonymous_response,
)
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.views.blueprint import bp
from civic.consultations.views.responses import closed_page, raw_answers
from civic.errors import CivicError, Conflict, InvalidInput, ParticipationClosed
from civic.extensions import client_address


def _anonymous_page(consultation, raw, email="", *, errors=None, status=200):
    return render_template(
        "consultations/respond_anonymous.html", consultation=consultation, raw=raw, email=email, errors=errors or {}
    ), status


@bp.route("/<int:consultation_id>/respond/without-account", methods=["GET", "POST"])
def respond_anonymously(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    if current_user.is_authenticated:
        return redirect(url_for("consultations.respond", consultation_id=consultation.id))
    if not consultation.takes_anonymous_responses:
        flash(_("This consultation does not take responses without an account just now."), "warning")
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    if request.method == "GET":
        return _anonymous_page(consultation, {})
    raw, email = raw_answers(consultation, request.form), request.form.get("email", "")
    try:
        request_anonymous_response(consultation, email, raw, client=client_address(), language=str(get_locale()))
    except ParticipationClosed as error:
        return closed_page(consultation, raw, error)
    except CivicError as error:
        if not shown_on_form(error):
            raise
        # Whatever went wrong, the answers are shown again with the reason.
        errors = (error.errors if isinstance(error, InvalidInput) else None) or {"": [error.message]}
        return _anonymous_page(consultation, raw, email, errors=errors, status=error.status)
    return redirect(url_for("consultations.response_sent", consultation_id=consultation.id))


@bp.get("/<int:consultation_id>/respond/check-your-email")
def response_sent(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    return render_template(
        "consultations/response_sent.html", consultation=consultation, link_hours=ANONYMOUS_LINK_MAX_AGE // 3600
    )


@bp.get("/<int:consultation_id>/respond/confirm/<token>")
def confirm_response(consultation_id, token):
    consultation = get_consultation(consultation_id, current_user)
    try:
        _response, first = confirm_anonymous_response(consultation, token, language=str(get_locale()))
    except (InvalidInput, ParticipationClosed, Conflict) as error:
        return render_template(
            "consultations/response_not_confirmed.html", consultation=consultation, message=error.message
        ), error.status
    return render_template("consultations/response_confirmed.html", consultation=consultation, first=first)
