"""Moderation pages: reporting an item of any moderated kind, the reporter's own reports, the
moderators' queue with its actions, what automatic pre-moderation held (staff); decisions: hiding
content, sanctions, statements of reasons, appeals and their decision."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from civic.accounts.services.people import get_user
from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.pagination import page_number, requested_page
from civic.common.urls import local_target, redirect_back
from civic.errors import NotFound
from civic.moderation import forms
from civic.moderation.kinds import KINDS
from civic.moderation.models import REASON_LABELS, USER_KIND, DecisionAction
from civic.moderation.services import actions, decisions, held, reports
from civic.moderation.services import queue as queue_module
from civic.permissions import can, ensure_can

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
            # The kind's url is built with url_for; checked all the same, as for every kind.
            return redirect_back(kind.url(item), url_for("moderation.my_reports"))
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
            count = actions.dismiss_reports(_me(), kind, content_id)
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


# --- the moderation queue ---------------------------------------------------------------------

KIND_SEGMENT = "<string(maxlength=40):kind>"


def _filters(values):
    return queue_module.QueueFilters.parse(
        sort=values.get("sort"), kind=values.get("kind"), reason=values.get("reason"), area=values.get("area")
    )


def _back_to_queue():
    """The queue as the moderator was looking at it (the forms carry its filters and page)."""
    args = _filters(request.form).as_args()
    page = page_number(request.form.get("page"))
    if page > 1:
        args["page"] = page
    return redirect(url_for("moderation.queue", **args, _anchor="queue-title"))


# Placeholders the queue's links are built with once a page, then filled per item (url_for per item
# and link was a tenth of the page's time): a kind name and an id no real item has.
_KIND_SLOT, _ID_SLOT = "kind-slot", 2_147_483_646


def _queue_urls():
    """{name: pattern with {kind} and {id}} for each link and form of a queue item."""
    by_item = {
        "dismiss": "moderation.dismiss_item",
        "show": "moderation.show_item",
        "hide": "moderation.hide_item",
        "edit": "moderation.edit_item",
    }
    by_person = {"hide_all": "moderation.hide_all_of_user", "sanction": "moderation.sanction"}
    urls = {name: url_for(endpoint, kind=_KIND_SLOT, content_id=_ID_SLOT) for name, endpoint in by_item.items()}
    urls.update({name: url_for(endpoint, user_id=_ID_SLOT) for name, endpoint in by_person.items()})
    return {name: url.replace(_KIND_SLOT, "{kind}").replace(str(_ID_SLOT), "{id}") for name, url in urls.items()}


@bp.get("/staff/moderation")
@login_required
def queue():
    ensure_can(_me(), "moderation.queue")
    filters = _filters(request.args)
    page = queue_module.moderation_queue(_me(), filters, page=requested_page())
    return render_template(
        "moderation/queue.html",
        queue=page,
        filters=filters,
        kinds=KINDS,
        reasons={str(value): str(label) for value, label in REASON_LABELS.items()},  # translated once a page
        areas=queue_module.queue_areas(),
        hide_form=forms.HideForm(formdata=None),
        bulk_form=forms.BulkForm(formdata=None),
        button=forms.DismissForm(formdata=None),
        may_sanction=can(_me(), "moderation.decide"),
        urls=_queue_urls(),
        section="moderation",
    )


def _done_message(result):
    return ngettext("%(num)d item done.", "%(num)d items done.", result.done)


@bp.post(f"/staff/moderation/{KIND_SEGMENT}/<int:content_id>/dismiss")
@login_required
def dismiss_item(kind, content_id):
    return _act(lambda: actions.dismiss_items(_me(), kind, [content_id]), forms.DismissForm())


@bp.post(f"/staff/moderation/{KIND_SEGMENT}/<int:content_id>/show")
@login_required
def show_item(kind, content_id):
    return _act(lambda: actions.show_items_again(_me(), kind, [content_id]), forms.DismissForm())


@bp.post(f"/staff/moderation/queue/{KIND_SEGMENT}/<int:content_id>/hide")
@login_required
def hide_item(kind, content_id):
    form = forms.HideForm()
    return _act(lambda: actions.hide_items(_me(), kind, [content_id], form.reason.data, form.explanation.data), form)


@bp.post("/staff/moderation/bulk")
@login_required
def bulk():
    form = forms.BulkForm()
    ensure_can(_me(), "moderation.queue")
    with errors_flashed() as parsed:
        chosen = queue_module.parse_item_keys(request.form.getlist("item"))
    if not parsed.succeeded:
        return _back_to_queue()

    def apply():
        result = actions.BulkResult()
        for kind, ids in chosen.items():
            if form.action.data == "hide":
                result.add(actions.hide_items(_me(), kind, ids, form.reason.data, form.explanation.data))
            else:
                result.add(actions.dismiss_items(_me(), kind, ids))
        return result

    if form.validate_on_submit() and not chosen:
        flash(_("Tick the items to act on."), "error")
        return _back_to_queue()
    return _act(apply, form)


def _act(action, form):
    """Run a queue action from a posted form; the outcome is flashed and the queue shown again."""
    ensure_can(_me(), "moderation.queue")
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), [None])[0] if form.errors else None
        flash(message or _("The form had expired. Please send it again."), "error")
        return _back_to_queue()
    with errors_flashed() as attempt:
        result = action()
    if attempt.succeeded:
        flash(_done_message(result), "success")
    return _back_to_queue()


@bp.route(f"/staff/moderation/{KIND_SEGMENT}/<int:content_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(kind, content_id):
    ensure_can(_me(), "moderation.queue")
    moderated = queue_module.kind_or_not_found(kind)
    item = moderated.load(content_id) if moderated.redact is not None else None
    if item is None:
        raise NotFound(_("There is no such item to edit."))
    form = forms.RedactForm(data={"text": moderated.text(item)})
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            actions.edit_out_personal_data(_me(), kind, content_id, form.text.data)
        if attempt.succeeded:
            flash(_("The text is changed; the earlier text is kept for moderators."), "success")
            return redirect(url_for("moderation.queue", _anchor="queue-title"))
    return render_form(
        "moderation/edit_item.html", form, kind=moderated, item=item, content_id=content_id, section="moderation"
    )


@bp.route("/staff/moderation/users/<int:user_id>/hide-all", methods=["GET", "POST"])
@login_required
def hide_all_of_user(user_id):
    ensure_can(_me(), "moderation.queue")
    author = get_user(user_id)
    form = forms.HideForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            result = actions.hide_all_of_author(_me(), author, form.reason.data, form.explanation.data)
        if attempt.succeeded:
            flash(_done_message(result), "success")
            return redirect(url_for("moderation.queue", _anchor="queue-title"))
    return render_form("moderation/hide_all.html", form, author=author, section="moderation")


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
