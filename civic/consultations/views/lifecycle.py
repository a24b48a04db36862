"""The list and a consultation's page for everyone; the officials' pages to draft, edit, publish,
close early, delete, set the timeline and publish the outcome."""

from contextlib import contextmanager

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common import clock
from civic.common.forms import errors_flashed, errors_on, render_form, shown_on_form
from civic.common.pagination import requested_page
from civic.consultations import forms
from civic.consultations.models import Phase
from civic.consultations.services.draft_text import draft_paragraph_count
from civic.consultations.services.follows import is_following
from civic.consultations.services.lifecycle import (
    LIST_FILTERS,
    MAX_OUTCOME_ITEMS,
    MAX_TIMELINE_PHASES,
    ConsultationFields,
    OutcomeItemRow,
    TimelineRow,
    close_early,
    create_consultation,
    delete_consultation,
    filter_values,
    get_consultation,
    list_consultations,
    publish_consultation,
    publish_outcome,
    set_timeline,
    update_consultation,
)
from civic.consultations.services.responses import my_response
from civic.consultations.services.results import outcome_points
from civic.consultations.views.blueprint import bp, me
from civic.errors import CivicError
from civic.permissions import can, ensure_can


@bp.get("/")
def index():
    kind = request.args.get("show", "open")
    if kind == "draft" and not can(current_user, "consultation.manage"):
        kind = "open"
    if kind not in LIST_FILTERS + ("draft",):
        kind = "open"
    topic, area = request.args.get("topic") or None, request.args.get("area") or None
    results = list_consultations(kind, topic=topic, area=area, page=requested_page())
    topics, areas = filter_values()
    return render_template(
        "consultations/index.html", results=results, kind=kind, topic=topic, area=area, topics=topics, areas=areas
    )


@bp.get("/<int:consultation_id>")
def show(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        Phase=Phase,
        my_response=my_response(current_user, consultation),
        following=is_following(current_user, consultation),
        outcome_points=outcome_points(consultation),
        draft_paragraphs=draft_paragraph_count(consultation),
    )


def _fields(form):
    return ConsultationFields(
        title=form.title.data,
        summary=form.summary.data,
        body_markdown=form.body_markdown.data,
        topic=form.topic.data,
        area=form.area.data,
        contact=form.contact.data,
        opens_local=form.opens_local.data,
        closes_local=form.closes_local.data,
        anonymous_responses=form.anonymous_responses.data,
    )


def _back_to(consultation):
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "consultation.manage")
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            consultation = create_consultation(me(), _fields(form))
        if attempt.succeeded:
            flash(_("Draft saved. Only officials can see it until you publish it."), "success")
            return _back_to(consultation)
    return render_form("consultations/edit.html", form, consultation=None, zone=clock.site_zone())


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    form = forms.ConsultationForm(obj=consultation if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("opens", "closes"):
            moment = getattr(consultation, f"{name}_at")
            getattr(form, f"{name}_local").data = clock.utc_to_local(moment).replace(tzinfo=None) if moment else None
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            update_consultation(me(), consultation, _fields(form), correction_note=form.correction_note.data)
        if attempt.succeeded:
            flash(_("Changes saved."), "success")
            return _back_to(consultation)
    return render_form("consultations/edit.html", form, consultation=consultation, zone=clock.site_zone())


@bp.post("/<int:consultation_id>/publish")
@login_required
def publish(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    with errors_flashed() as attempt:
        publish_consultation(me(), consultation)
    if attempt.succeeded:
        flash(_("Published. It opens to responses at the time you set."), "success")
    return _back_to(consultation)


@bp.route("/<int:consultation_id>/close", methods=["GET", "POST"])
@login_required
def close(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    form = forms.ReasonForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            close_early(me(), consultation, form.reason.data)
        if attempt.succeeded:
            flash(_("The consultation is closed."), "success")
            return _back_to(consultation)
    return render_form("consultations/close.html", form, consultation=consultation)


@bp.route("/<int:consultation_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    if request.method == "GET":
        rows = [
            {
                "question_id": str(item.question_id or ""),
                "theme": item.theme,
                "you_said": item.you_said,
                "we_did": item.we_did,
            }
            for item in consultation.outcome_items
        ]
        form = forms.OutcomeForm(data={"outcome": consultation.outcome_markdown, "items": rows})
        while len(form.items) < min(len(rows) + 3, MAX_OUTCOME_ITEMS):
            form.items.append_entry()
    else:
        form = forms.OutcomeForm()
    choices = [("", _("(a theme, not a question)"))] + [
        (str(question.id), f"{number}. {question.prompt}") for number, question in enumerate(consultation.questions, 1)
    ]
    for entry in form.items:
        entry.form.question_id.choices = choices
    if form.validate_on_submit():
        rows = [OutcomeItemRow(**entry.data) for entry in form.items]
        with _errors_on_rows(form, "items", _("Point %(n)d: %(message)s")) as attempt:
            publish_outcome(me(), consultation, form.outcome.data, rows)
        if attempt.succeeded:
            flash(_("The outcome is published."), "success")
            return _back_to(consultation)
    return render_form("consultations/outcome.html", form, consultation=consultation)


@bp.route("/<int:consultation_id>/timeline", methods=["GET", "POST"])
@login_required
def timeline(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    if request.method == "GET":
        rows = [
            {"name": p.name, "description": p.description, "starts_on": p.starts_on, "ends_on": p.ends_on}
            for p in consultation.timeline
        ]
        form = forms.TimelineForm(data={"phases": rows})
        while len(form.phases) < max(6, len(rows) + 2) and len(form.phases) < MAX_TIMELINE_PHASES:
            form.phases.append_entry()
    else:
        form = forms.TimelineForm()
    if form.validate_on_submit():
        rows = [TimelineRow(**entry.data) for entry in form.phases]
        with _errors_on_rows(form, "phases", _("Phase %(n)d: %(message)s")) as attempt:
            set_timeline(me(), consultation, rows)
        if attempt.succeeded:
            flash(_("Timeline saved."), "success")
            return _back_to(consultation)
    return render_form("consultations/timeline.html", form, consultation=consultation)


class _RowsAttempt:
    succeeded = True


@contextmanager
def _errors_on_rows(form, list_name, row_message):
    """Like common.forms.errors_on, for a form with a list of rows: each problem goes beside its
    field, rows' fields included, and into the summary at the top (a FieldList's nested errors do
    not reach the summary by themselves)."""
    attempt = _RowsAttempt()
    try:
        yield attempt
    except CivicError as error:
        if not shown_on_form(error):
            raise
        attempt.succeeded = False
        _place_errors(form, error, list_name, row_message)


def _place_errors(form, error, list_name, row_message):
    errors = getattr(error, "errors", None) or {}
    for key, messages in errors.items():
        if key.startswith(list_name + "-"):
            _prefix, index, name = key.split("-", 2)
            field = getattr(getattr(form, list_name)[int(index)].form, name)
            field.errors = list(field.errors or []) + messages
            form.form_errors.extend(row_message % {"n": int(index) + 1, "message": m} for m in messages)
        elif key in form and key != list_name:
            form[key].errors = list(form[key].errors or []) + messages
        else:
            form.form_errors.extend(messages)
    if not errors:
        form.form_errors.append(error.message)


@bp.route("/<int:consultation_id>/delete", methods=["GET", "POST"])
@login_required
def delete(consultation_id):
    consultation = get_consultation(consultation_id, current_user, "consultation.manage")
    if request.method == "POST":
        with errors_flashed() as attempt:
            delete_consultation(me(), consultation)
        if not attempt.succeeded:
            return _back_to(consultation)
        flash(_("The draft is deleted."), "success")
        return redirect(url_for("consultations.index", show="draft"))
    return render_template("consultations/delete.html", form=FlaskForm(), consultation=consultation)
