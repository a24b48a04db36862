"""Moderation pages: reporting an item of any moderated kind, the reporter's own reports, dismissing
reports, and what automatic pre-moderation held (staff)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.common.forms import errors_flashed, errors_on, render_form
from civic.moderation import forms
from civic.moderation.kinds import KINDS
from civic.moderation.services import held, reports
from civic.permissions import ensure_can

bp = Blueprint("moderation", __name__)

# The kinds in the table, as the URLs spell them (an unknown kind is no page at all).
KIND_NAMES = ",".join(sorted(KINDS))


def _me():
    return current_user._get_current_object()


@bp.route(f"/reports/<any({KIND_NAMES}):kind>/<int:content_id>", methods=["GET", "POST"])
@login_required
def report(kind, content_id):
    kind, item = reports.get_reported_item(_me(), kind, content_id)
    form = forms.ReportForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            reports.report_item(_me(), kind.name, content_id, reason=form.reason.data, note=form.note.data)
        if attempt.succeeded:
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(kind.url(item))
        if attempt.status == 429:  # a flood: the page says how long to wait, and so does the header
            page = render_template("moderation/report.html", form=form, **_report_page(kind, item))
            return page, 429, attempt.headers
    return render_form("moderation/report.html", form, **_report_page(kind, item))


@bp.route("/reports/comment/<int:comment_id>", methods=["GET", "POST"])
@login_required
def report_comment(comment_id):
    """The comment cards' link (the same page as report(kind="comment"))."""
    return report("comment", comment_id)


def _report_page(kind, item):
    return {"kind": kind, "item": item, "removed": kind.is_removed(item), "back": kind.url(item)}


@bp.get("/account/reports")
@login_required
def my_reports():
    ensure_can(_me(), "report.list_mine")
    return render_template("moderation/mine.html", items=reports.my_reports(_me()), section="reports")


@bp.post(f"/staff/reports/<any({KIND_NAMES}):kind>/<int:content_id>/dismiss")
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


@bp.get("/staff/held")
@login_required
def held_items():
    items, total = held.held_items(_me())
    return render_template(
        "moderation/held.html", items=items, total=total, form=forms.DismissForm(), reject_form=forms.RejectHeldForm()
    )


@bp.post("/staff/held/<any(comment, statement):kind>/<int:content_id>/approve")
@login_required
def approve_held(kind, content_id):
    ensure_can(_me(), "held.review")
    form = forms.DismissForm()
    if form.validate_on_submit():
        with errors_flashed() as attempt:
            held.approve_held(_me(), kind, content_id)
        if attempt.succeeded:
            flash(_("Approved: it is published."), "success")
    else:
        flash(_("The form had expired. Please send it again."), "error")
    return redirect(url_for("moderation.held_items"))


@bp.post("/staff/held/<any(comment, statement):kind>/<int:content_id>/reject")
@login_required
def reject_held(kind, content_id):
    ensure_can(_me(), "held.review")
    form = forms.RejectHeldForm()
    if form.validate_on_submit():
        with errors_flashed() as attempt:
            held.reject_held(_me(), kind, content_id, form.reason.data)
        if attempt.succeeded:
            flash(_("Rejected: it stays unpublished."), "success")
    else:
        for message in form.reason.errors or [_("The form had expired. Please send it again.")]:
            flash(message, "error")
    return redirect(url_for("moderation.held_items"))
