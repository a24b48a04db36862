"""Consultation pages for everyone, and the officials' pages to draft, publish and report back."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common import clock
from civic.common.forms import apply_service_error, render_form
from civic.consultations import forms
from civic.consultations import services as consultations
from civic.consultations.models import Phase
from civic.errors import Conflict, InvalidInput
from civic.permissions import can, ensure_can

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


def _me():
    return current_user._get_current_object()


@bp.get("/")
def index():
    kind = request.args.get("show", "open")
    if kind == "draft" and not can(current_user, "consultation.manage"):
        kind = "open"
    if kind not in consultations.LIST_FILTERS + ("draft",):
        kind = "open"
    topic, area = request.args.get("topic") or None, request.args.get("area") or None
    results = consultations.list_consultations(kind, topic=topic, area=area,
                                               page=request.args.get("page", 1, type=int) or 1)
    topics, areas = consultations.filter_values()
    return render_template("consultations/index.html", results=results, kind=kind, topic=topic, area=area,
                           topics=topics, areas=areas, phase_of=consultations.phase_of,
                           days_left=consultations.days_left)


@bp.get("/<int:consultation_id>")
def show(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    return render_template("consultations/show.html", consultation=consultation,
                           phase=consultations.phase_of(consultation), days_left=consultations.days_left(consultation),
                           Phase=Phase, publish_form=FlaskForm())


def _fields(form):
    return consultations.ConsultationFields(
        title=form.title.data, summary=form.summary.data, body_markdown=form.body_markdown.data,
        topic=form.topic.data, area=form.area.data, contact=form.contact.data,
        opens_local=form.opens_local.data, closes_local=form.closes_local.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "consultation.manage")
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = consultations.create_consultation(_me(), _fields(form))
        except InvalidInput as error:
            apply_service_error(form, error)
        else:
            flash(_("Draft saved. Only officials can see it until you publish it."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_form("consultations/edit.html", form, consultation=None, zone=clock.site_zone())


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = forms.ConsultationForm(obj=consultation if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("opens", "closes"):
            moment = getattr(consultation, f"{name}_at")
            getattr(form, f"{name}_local").data = clock.utc_to_local(moment).replace(tzinfo=None) if moment else None
    if form.validate_on_submit():
        try:
            consultations.update_consultation(_me(), consultation, _fields(form),
                                              correction_note=form.correction_note.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_form("consultations/edit.html", form, consultation=consultation, zone=clock.site_zone(),
                       phase=consultations.phase_of(consultation))


@bp.post("/<int:consultation_id>/publish")
@login_required
def publish(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    if not FlaskForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    try:
        consultations.publish_consultation(_me(), consultation)
    except (InvalidInput, Conflict) as error:
        flash(error.message, "error")
    else:
        flash(_("Published. It opens to responses at the time you set."), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


@bp.route("/<int:consultation_id>/close", methods=["GET", "POST"])
@login_required
def close(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        try:
            consultations.close_early(_me(), consultation, form.reason.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("The consultation is closed."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_form("consultations/close.html", form, consultation=consultation)


@bp.route("/<int:consultation_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = forms.OutcomeForm(data={"outcome": consultation.outcome_markdown} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            consultations.publish_outcome(_me(), consultation, form.outcome.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("The outcome is published."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_form("consultations/outcome.html", form, consultation=consultation,
                       phase=consultations.phase_of(consultation))


@bp.route("/<int:consultation_id>/timeline", methods=["GET", "POST"])
@login_required
def timeline(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    if request.method == "GET":
        rows = [{"name": p.name, "description": p.description, "starts_on": p.starts_on, "ends_on": p.ends_on}
                for p in consultation.timeline]
        form = forms.TimelineForm(data={"phases": rows})
        while len(form.phases) < max(6, len(rows) + 2) and len(form.phases) < consultations.MAX_TIMELINE_PHASES:
            form.phases.append_entry()
    else:
        form = forms.TimelineForm()
    if form.validate_on_submit():
        rows = [consultations.TimelineRow(**entry.data) for entry in form.phases]
        try:
            consultations.set_timeline(_me(), consultation, rows)
        except InvalidInput as error:
            _place_row_errors(form, error)
        else:
            flash(_("Timeline saved."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
    return render_form("consultations/timeline.html", form, consultation=consultation)


def _place_row_errors(form, error):
    """Show each problem beside its row's field, and in the summary at the top (a FieldList's
    nested errors do not reach the summary by themselves)."""
    for key, messages in (error.errors or {}).items():
        _prefix, index, name = key.split("-", 2)
        field = getattr(form.phases[int(index)].form, name)
        field.errors = list(field.errors or []) + messages
        form.form_errors.extend(_("Phase %(n)d: %(message)s", n=int(index) + 1, message=m) for m in messages)
    if not error.errors:
        form.form_errors.append(error.message)


@bp.route("/<int:consultation_id>/delete", methods=["GET", "POST"])
@login_required
def delete(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            consultations.delete_consultation(_me(), consultation)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
        flash(_("The draft is deleted."), "success")
        return redirect(url_for("consultations.index", show="draft"))
    return render_template("consultations/delete.html", form=form, consultation=consultation)
