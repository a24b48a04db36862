"""Accountability pages: the public list of implementation records (filters by area, status and
kind), one record with its milestones, following it, and the officials' changes, milestones and
records opened by hand."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.accountability import forms
from civic.accountability.models import Status
from civic.accountability.services import milestones, queries, records
from civic.accountability.services.records import get_record
from civic.common import clock
from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.image_uploads import send_image
from civic.common.pagination import requested_page
from civic.permissions import ensure_can

bp = Blueprint("accountability", __name__)


def _me():
    return current_user._get_current_object()


@bp.get("/accountability")
def index():
    area = (request.args.get("area") or "").strip()[:80] or None
    status = request.args.get("status") if request.args.get("status") in queries.STATUS_FILTERS else None
    kind = request.args.get("kind") if request.args.get("kind") in queries.KIND_FILTERS else None
    results = queries.list_records(area=area, status=status, kind=kind, page=requested_page())
    return render_template(
        "accountability/index.html",
        results=results,
        area=area,
        status=status,
        kind=kind,
        areas=queries.record_areas(),
        statuses=queries.STATUS_FILTERS,
        kinds=queries.KIND_FILTERS,
    )


def _record_form(record):
    if request.method == "POST" and request.form.get("action") == "change":
        return forms.RecordForm()
    values = {"status": record.status, "progress": str(record.progress), "spent": str(record.spent)}
    return forms.RecordForm(formdata=None, data={**values, "currency": record.currency})


def _blank_milestone_form():
    """Dated today (the site's day) unless the official says otherwise."""
    return forms.MilestoneForm(formdata=None, data={"happened_on": clock.utc_to_local(clock.now()).date().isoformat()})


def _show(record, *, record_form=None, milestone_form=None, status=200):
    return render_template(
        "accountability/show.html",
        record=record,
        record_form=record_form or _record_form(record),
        milestone_form=milestone_form or _blank_milestone_form(),
        following=records.is_following(current_user, record),
        S=Status,
    ), status


@bp.get("/accountability/<int:record_id>")
def show(record_id):
    return _show(get_record(record_id, current_user))


@bp.post("/accountability/<int:record_id>")
@login_required
def change(record_id):
    record = get_record(record_id, current_user)
    form = _record_form(record)
    status = 422
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            records.change_record(
                _me(),
                record,
                status=form.status.data,
                progress=form.progress.data,
                spent=form.spent.data,
                currency=form.currency.data if record.proposal_id is not None else None,
            )
        if attempt.succeeded:
            flash(_("The record is updated."), "success")
            return redirect(url_for("accountability.show", record_id=record.id))
        status = attempt.status
    return _show(record, record_form=form, status=status)


@bp.post("/accountability/<int:record_id>/milestones")
@login_required
def add_milestone(record_id):
    record = get_record(record_id, current_user)
    form = forms.MilestoneForm()
    status = 422
    if form.validate_on_submit():
        upload = form.photo.data
        fields = milestones.MilestoneFields(
            happened_on=form.happened_on.data,
            text=form.text.data,
            photo=milestones.Upload(upload.filename, upload.stream)
            if upload and getattr(upload, "filename", "")
            else None,
            photo_alt=form.photo_alt.data,
        )
        with errors_on(form) as attempt:
            milestone = milestones.add_milestone(_me(), record, fields)
        if attempt.succeeded:
            flash(_("The milestone is published. The people who follow this work will be told."), "success")
            return redirect(url_for("accountability.show", record_id=record.id, _anchor=f"milestone-{milestone.id}"))
        status = attempt.status
    return _show(record, milestone_form=form, status=status)


@bp.get("/accountability/<int:record_id>/milestones/<int:milestone_id>/photo")
def photo(record_id, milestone_id):
    record = get_record(record_id, current_user)
    milestone = milestones.get_milestone(record, milestone_id)
    return send_image(milestones.photo_path(milestone), milestone.photo_content_type)


@bp.post("/accountability/<int:record_id>/follow")
@login_required
def follow(record_id):
    record = get_record(record_id, current_user)
    following = request.form.get("follow") == "1"
    with errors_flashed() as attempt:
        records.follow_record(_me(), record, following)
    if attempt.succeeded:
        flash(
            _("You follow this work: you will be told of each new milestone.")
            if following
            else _("You no longer follow this work."),
            "success",
        )
    return redirect(url_for("accountability.show", record_id=record.id))


@bp.route("/accountability/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "accountability.create")
    form = forms.CreateRecordForm(
        data={"kind": request.args.get("kind", "proposal"), "subject_id": request.args.get("id", "")}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            raw = (form.subject_id.data or "").strip()
            record = records.create_record(_me(), form.kind.data, int(raw) if raw.isdigit() else None)
        if attempt.succeeded:
            flash(_("The implementation record is open."), "success")
            return redirect(url_for("accountability.show", record_id=record.id))
        if attempt.status != 200:  # a conflict (it has a record already) says so with its own status
            return render_template("accountability/new.html", form=form), attempt.status
    return render_form("accountability/new.html", form)
