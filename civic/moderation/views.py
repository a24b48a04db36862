"""Moderation pages: reporting a comment, the reporter's own reports, dismissing reports (staff);
decisions: hiding content, sanctions, statements of reasons, appeals and their decision."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.accounts.services.people import get_user
from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.urls import local_target
from civic.errors import NotFound
from civic.moderation import forms
from civic.moderation.models import USER_KIND, DecisionAction
from civic.moderation.services import decisions, reports
from civic.permissions import ensure_can

bp = Blueprint("moderation", __name__)


def _me():
    return current_user._get_current_object()


def _comment_url(comment):
    return url_for(
        "discussions.permalink",
        discussion_id=comment.discussion_id,
        comment_id=comment.id,
        _anchor=f"comment-{comment.id}",
    )


@bp.route("/reports/comment/<int:comment_id>", methods=["GET", "POST"])
@login_required
def report_comment(comment_id):
    comment = reports.get_reported_comment(_me(), comment_id)
    form = forms.ReportForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            reports.report_comment(_me(), comment, reason=form.reason.data, note=form.note.data)
        if attempt.succeeded:
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(_comment_url(comment))
        if attempt.status == 429:  # a flood: the page says how long to wait, and so does the header
            page = render_template("moderation/report.html", form=form, **_report_page(comment))
            return page, 429, attempt.headers
    return render_form("moderation/report.html", form, **_report_page(comment))


def _report_page(comment):
    return {"comment": comment, "discussion": comment.discussion, "back": _comment_url(comment)}


@bp.get("/account/reports")
@login_required
def my_reports():
    ensure_can(_me(), "report.list_mine")
    return render_template("moderation/mine.html", items=reports.my_reports(_me()), section="reports")


@bp.post("/staff/reports/<any(comment):kind>/<int:content_id>/dismiss")
@login_required
def dismiss(kind, content_id):
    ensure_can(_me(), "report.review")
    form = forms.DismissForm()
    if form.validate_on_submit():
        with errors_flashed() as attempt:
            count = reports.dismiss_reports(_me(), kind, content_id)
        if attempt.succeeded:
            flash(_("The reports are dismissed (%(num)d).", num=count), "success")
    else:
        flash(_("The form had expired. Please send it again."), "error")
    return redirect(url_for("admin.dashboard", _anchor="reports-title"))


# Decisions ------------------------------------------------------------------------------------


def _content(kind, content_id):
    kind_, item = decisions.decided_content_of(kind, content_id)
    if item is None:
        raise NotFound(_("That content does not exist."))
    return kind_, item


@bp.route("/staff/moderation/<string:kind>/<int:content_id>/hide", methods=["GET", "POST"])
@login_required
def hide_content(kind, content_id):
    ensure_can(_me(), "moderation.decide")
    kind_, item = _content(kind, content_id)
    form = forms.DecisionForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            decisions.decide(
                _me(), kind_.name, content_id, DecisionAction.HIDE, form.reason.data, form.explanation.data
            )
        if attempt.succeeded:
            flash(_("The content is hidden; its author is sent the statement of reasons."), "success")
            # The kind's url is built with url_for; checked all the same, as every other kind's will be.
            return redirect(local_target(kind_.url(item)) or url_for("admin.dashboard"))
    return render_form("moderation/hide.html", form, kind=kind_, item=item)


@bp.route("/staff/people/<int:user_id>/sanction", methods=["GET", "POST"])
@login_required
def sanction(user_id):
    ensure_can(_me(), "moderation.decide")
    person = get_user(user_id)
    form = forms.SanctionForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            decisions.decide(
                _me(),
                USER_KIND,
                person.id,
                form.action.data,
                form.reason.data,
                form.explanation.data,
                days=form.days.data,
            )
        if attempt.succeeded:
            flash(_("The decision is recorded; the person is sent the statement of reasons."), "success")
            return redirect(url_for("moderation.sanction", user_id=person.id))
    return render_form(
        "moderation/sanction.html", form, person=person, history=decisions.decisions_about(_me(), person.id)
    )


@bp.get("/account/decisions")
@login_required
def my_decisions():
    items = decisions.my_decisions(_me())
    return render_template("moderation/my_decisions.html", items=items, section="decisions")


@bp.route("/account/decisions/<int:decision_id>", methods=["GET", "POST"])
@login_required
def my_decision(decision_id):
    decision = decisions.get_my_decision(_me(), decision_id)
    form = forms.AppealForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            decisions.appeal_decision(_me(), decision.id, form.text.data)
        if attempt.succeeded:
            flash(_("Your appeal is sent. Another moderator will decide it, and you will be told by email."), "success")
            return redirect(url_for("moderation.my_decision", decision_id=decision.id))
    return render_form("moderation/my_decision.html", form, **_statement(decision), section="decisions")


def _statement(decision):
    kind, item = decisions.decided_content(decision)
    return {
        "decision": decision,
        "kind": kind,
        "item": item,
        "deadline": decisions.appeal_deadline(decision),
        "may_appeal": decisions.may_still_appeal(decision),
    }


@bp.get("/staff/appeals")
@login_required
def appeals():
    items = decisions.open_appeals(_me())
    return render_template("moderation/appeals.html", items=items)


@bp.route("/staff/appeals/<int:decision_id>", methods=["GET", "POST"])
@login_required
def appeal(decision_id):
    decision = decisions.get_decision(_me(), decision_id)
    form = forms.AppealDecisionForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            decisions.decide_appeal(_me(), decision.id, form.outcome.data, form.explanation.data)
        if attempt.succeeded:
            flash(_("The appeal is decided; the person who appealed is told by email."), "success")
            return redirect(url_for("moderation.appeals"))
    return render_form("moderation/appeal.html", form, **_statement(decision))
