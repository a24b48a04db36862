"""Statements: voting on them one at a time, writing one, moderating them, and their settings."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common.forms import errors_flashed
from civic.consultations.models import StatementStatus
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.services.statements import add_statement as add_statement_to
from civic.consultations.services.statements import (
    get_statement,
    hidden_statements_by,
    next_statement,
    set_statement_options,
    statements_of,
    vote_on_statement,
)
from civic.consultations.services.statements import moderate_statement as moderate
from civic.consultations.views.blueprint import bp, me
from civic.permissions import can


@bp.get("/<int:consultation_id>/statements")
def statements(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    may_moderate = can(current_user, "consultation.moderate_statements", consultation)
    return render_template(
        "consultations/statements.html",
        consultation=consultation,
        form=FlaskForm(),
        next_statement=next_statement(current_user, consultation)
        if can(current_user, "consultation.vote_statement", consultation)
        else None,
        approved=statements_of(consultation, status=StatementStatus.APPROVED.value),
        pending=statements_of(consultation, status=StatementStatus.PENDING.value) if may_moderate else [],
        mine_hidden=hidden_statements_by(current_user, consultation),
    )


def _back_to_statements(consultation):
    return redirect(url_for("consultations.statements", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/statements")
@login_required
def add_statement(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    text = request.form.get("text", "")
    with errors_flashed() as attempt:
        statement = add_statement_to(me(), consultation, text)
    if not attempt.succeeded:
        # The refusal and the text typed, to copy before leaving.
        return render_template(
            "consultations/statement_refused.html", consultation=consultation, message=attempt.error.message, text=text
        ), attempt.status
    flash(
        _("Thank you: your statement is published.")
        if statement.status == StatementStatus.APPROVED.value
        else _("Thank you: your statement will appear once a moderator has read it."),
        "success",
    )
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/<int:statement_id>/vote")
@login_required
def vote_statement(consultation_id, statement_id):
    consultation = get_consultation(consultation_id, current_user)
    vote_on_statement(me(), get_statement(consultation, statement_id), request.form.get("value"))
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/<int:statement_id>/moderate")
@login_required
def moderate_statement(consultation_id, statement_id):
    consultation = get_consultation(consultation_id, current_user)
    statement = moderate(me(), get_statement(consultation, statement_id), request.form.get("decision") == "approve")
    flash(
        _("Statement approved.") if statement.status == StatementStatus.APPROVED.value else _("Statement rejected."),
        "success",
    )
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/options")
@login_required
def statement_options(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    set_statement_options(
        me(),
        consultation,
        enabled=request.form.get("enabled") == "1",
        premoderated=request.form.get("premoderated") == "1",
    )
    flash(_("Statement settings saved."), "success")
    return _back_to_statements(consultation)
