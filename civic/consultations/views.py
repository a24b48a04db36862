"""Consultation pages for everyone, and the officials' pages to draft, publish and report back."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common import clock
from civic.common.filesize import format_size
from civic.common.forms import apply_service_error, render_form
from civic.common.ratelimit import client_address
from civic.consultations import forms
from civic.consultations import services as consultations
from civic.consultations.models import TEXT_COMMENTABLE, Phase
from civic.errors import Conflict, InvalidInput, ParticipationClosed, RateLimited, ServiceUnavailable
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
                           Phase=Phase, publish_form=FlaskForm(),
                           my_response=consultations.my_response(current_user, consultation),
                           following=consultations.is_following(current_user, consultation),
                           outcome_points=consultations.outcome_points(consultation),
                           draft_paragraphs=consultations.draft_paragraph_count(consultation))


def _fields(form):
    return consultations.ConsultationFields(
        title=form.title.data, summary=form.summary.data, body_markdown=form.body_markdown.data,
        topic=form.topic.data, area=form.area.data, contact=form.contact.data,
        opens_local=form.opens_local.data, closes_local=form.closes_local.data,
        anonymous_responses=form.anonymous_responses.data)


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
    if request.method == "GET":
        rows = [{"question_id": str(item.question_id or ""), "theme": item.theme, "you_said": item.you_said,
                 "we_did": item.we_did} for item in consultation.outcome_items]
        form = forms.OutcomeForm(data={"outcome": consultation.outcome_markdown, "items": rows})
        while len(form.items) < min(len(rows) + 3, consultations.MAX_OUTCOME_ITEMS):
            form.items.append_entry()
    else:
        form = forms.OutcomeForm()
    choices = [("", _("(a theme, not a question)"))] + [
        (str(question.id), f"{number}. {question.prompt}") for number, question in enumerate(consultation.questions, 1)]
    for entry in form.items:
        entry.form.question_id.choices = choices
    if form.validate_on_submit():
        rows = [consultations.OutcomeItemRow(**entry.data) for entry in form.items]
        try:
            consultations.publish_outcome(_me(), consultation, form.outcome.data, rows)
        except InvalidInput as error:
            _place_errors(form, error, "items", _("Point %(n)d: %(message)s"))
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
    _place_errors(form, error, "phases", _("Phase %(n)d: %(message)s"))


def _place_errors(form, error, list_name, row_message):
    """Show each problem beside its field, rows' fields included, and in the summary at the top
    (a FieldList's nested errors do not reach the summary by themselves)."""
    for key, messages in (error.errors or {}).items():
        if key.startswith(list_name + "-"):
            _prefix, index, name = key.split("-", 2)
            field = getattr(getattr(form, list_name)[int(index)].form, name)
            field.errors = list(field.errors or []) + messages
            form.form_errors.extend(row_message % {"n": int(index) + 1, "message": m} for m in messages)
        elif key in form and key != list_name:
            form[key].errors = list(form[key].errors or []) + messages
        else:
            form.form_errors.extend(messages)
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


# --- the questionnaire builder --------------------------------------------------------------

def _question_data(form):
    return consultations.QuestionData(
        kind=form.kind.data, prompt=form.prompt.data, help_text=form.help_text.data, section=form.section.data,
        required=form.required.data, options=tuple((form.options.data or "").splitlines()),
        allow_other=form.allow_other.data, scale=form.scale.data, scale_min_label=form.scale_min_label.data,
        scale_max_label=form.scale_max_label.data)


@bp.route("/<int:consultation_id>/questions", methods=["GET", "POST"])
@login_required
def questions(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = forms.QuestionForm()
    if form.validate_on_submit():
        try:
            consultations.save_question(_me(), consultation, _question_data(form))
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Question added."), "success")
            return redirect(url_for("consultations.questions", consultation_id=consultation.id))
    return render_form("consultations/questions.html", form, consultation=consultation,
                       locked=consultations.questionnaire_locked(consultation), small_form=FlaskForm())


@bp.route("/<int:consultation_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(consultation_id, question_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    question = consultations.get_question(consultation, question_id)
    form = forms.QuestionForm(obj=question if request.method == "GET" else None)
    if request.method == "GET":
        form.options.data = "\n".join(question.options or [])
        form.scale.data = f"{question.scale_min}-{question.scale_max}"
    if form.validate_on_submit():
        try:
            consultations.save_question(_me(), consultation, _question_data(form), question)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("consultations.questions", consultation_id=consultation.id))
    return render_form("consultations/edit_question.html", form, consultation=consultation, question=question,
                       locked=consultations.questionnaire_locked(consultation))


@bp.post("/<int:consultation_id>/questions/<int:question_id>/<any(up, down, delete):change>")
@login_required
def change_question(consultation_id, question_id, change):
    consultation = consultations.get_consultation(consultation_id, current_user)
    question = consultations.get_question(consultation, question_id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif change == "delete":
        try:
            consultations.delete_question(_me(), question)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(_("Question removed."), "success")
    else:
        consultations.move_question(_me(), question, 1 if change == "down" else -1)
    return redirect(url_for("consultations.questions", consultation_id=consultation.id))


# --- responding -----------------------------------------------------------------------------

def _raw_answers(consultation, source):
    """What the person typed, per question: {question_id: (value, other_text)}."""
    from civic.consultations.questionnaire import ranking_from_positions

    raw = {}
    for question in consultation.questions:
        name = f"q{question.id}"
        if question.kind == "multiple_choice":
            value = source.getlist(name)
        elif question.kind == "ranking":
            positions = {option: source.get(f"{name}_rank_{index}", "").strip()
                         for index, option in enumerate(question.options)}
            ranking = ranking_from_positions(question.options, positions)
            value = positions if ranking == ["?"] else ranking
        else:
            value = source.get(name)
        raw[question.id] = (value, source.get(f"{name}_other", ""))
    return raw


def _raw_from_response(response):
    return {a.question_id: (a.value, a.other_text) for a in response.answers} if response else {}


def _respond_page(consultation, raw, *, errors=None, status=200):
    return render_template("consultations/respond.html", consultation=consultation, raw=raw, errors=errors or {},
                           response=consultations.my_response(current_user, consultation),
                           phase=consultations.phase_of(consultation)), status


@bp.route("/<int:consultation_id>/respond", methods=["GET", "POST"])
@login_required
def respond(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.respond", consultation)
    if request.method == "GET":
        if consultations.phase_of(consultation) is not Phase.OPEN:
            flash(_("This consultation is not taking responses."), "warning")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
        return _respond_page(consultation, _raw_from_response(consultations.my_response(current_user, consultation)))
    if not FlaskForm().validate_on_submit():
        return _respond_page(consultation, _raw_answers(consultation, request.form),
                             errors={"": [_("The form had expired. Your answers are below: send them again.")]},
                             status=400)
    raw = _raw_answers(consultation, request.form)
    try:
        if request.form.get("action") == "save":
            consultations.save_response(_me(), consultation, raw)
            flash(_("Your answers are saved. Come back to finish before the consultation closes."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id))
        consultations.save_response(_me(), consultation, raw)
        _cleaned, problems = consultations.check_response(consultation, raw)
        if problems:
            return _respond_page(consultation, raw, errors=problems, status=422)
        return redirect(url_for("consultations.review", consultation_id=consultation.id))
    except ParticipationClosed as error:
        return _closed_page(consultation, raw, error)


def _closed_page(consultation, raw, error):
    """After closing, show the person what they wrote so that they can keep a copy."""
    return render_template("consultations/closed_copy.html", consultation=consultation, message=error.message,
                           answers=_readable_raw(consultation, raw)), 409


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


@bp.get("/<int:consultation_id>/respond/review")
@login_required
def review(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    response = consultations.my_response(current_user, consultation)
    if response is None:
        return redirect(url_for("consultations.respond", consultation_id=consultation.id))
    return render_template("consultations/review.html", consultation=consultation, form=FlaskForm(),
                           answers=consultations.readable_answers(consultation, response))


@bp.post("/<int:consultation_id>/respond/submit")
@login_required
def submit(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    response = consultations.my_response(current_user, consultation)
    raw = _raw_from_response(response)
    if not FlaskForm().validate_on_submit():
        return _respond_page(consultation, raw, errors={"": [_("The form had expired. Please submit again.")]},
                             status=400)
    try:
        consultations.submit_response(_me(), consultation, raw)
    except InvalidInput as error:
        return _respond_page(consultation, raw, errors=error.errors, status=422)
    except ParticipationClosed as error:
        return _closed_page(consultation, raw, error)
    flash(_("Thank you: your response is submitted. We have emailed you a copy."), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


# --- responding without an account ---------------------------------------------------------

def _anonymous_page(consultation, raw, email="", *, errors=None, status=200):
    return render_template("consultations/respond_anonymous.html", consultation=consultation, raw=raw, email=email,
                           errors=errors or {}), status


@bp.route("/<int:consultation_id>/respond/without-account", methods=["GET", "POST"])
def respond_anonymously(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    if current_user.is_authenticated:
        return redirect(url_for("consultations.respond", consultation_id=consultation.id))
    if not consultations.takes_anonymous_responses(consultation):
        flash(_("This consultation does not take responses without an account just now."), "warning")
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    if request.method == "GET":
        return _anonymous_page(consultation, {})
    raw, email = _raw_answers(consultation, request.form), request.form.get("email", "")
    if not FlaskForm().validate_on_submit():
        return _anonymous_page(consultation, raw, email, status=400,
                               errors={"": [_("The form had expired. Your answers are below: send them again.")]})
    try:
        consultations.request_anonymous_response(consultation, email, raw, client=client_address(),
                                                 language=str(get_locale()))
    except ParticipationClosed as error:
        return _closed_page(consultation, raw, error)
    except InvalidInput as error:
        return _anonymous_page(consultation, raw, email, errors=error.errors or {"": [error.message]}, status=422)
    except (RateLimited, ServiceUnavailable, Conflict) as error:
        return _anonymous_page(consultation, raw, email, errors={"": [error.message]}, status=error.status)
    return redirect(url_for("consultations.response_sent", consultation_id=consultation.id))


@bp.get("/<int:consultation_id>/respond/check-your-email")
def response_sent(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    return render_template("consultations/response_sent.html", consultation=consultation,
                           link_hours=consultations.ANONYMOUS_LINK_MAX_AGE // 3600)


@bp.get("/<int:consultation_id>/respond/confirm/<token>")
def confirm_response(consultation_id, token):
    consultation = consultations.get_consultation(consultation_id, current_user)
    try:
        _response, first = consultations.confirm_anonymous_response(consultation, token, language=str(get_locale()))
    except (InvalidInput, ParticipationClosed, Conflict) as error:
        return render_template("consultations/response_not_confirmed.html", consultation=consultation,
                               message=error.message), error.status
    return render_template("consultations/response_confirmed.html", consultation=consultation, first=first)


# --- results and exports --------------------------------------------------------------------

@bp.get("/<int:consultation_id>/results")
@login_required
def results(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    data = consultations.results(_me(), consultation)
    return render_template("consultations/results.html", consultation=consultation, data=data,
                           phase=consultations.phase_of(consultation))


@bp.get("/<int:consultation_id>/results/<int:question_id>")
@login_required
def read_answers(consultation_id, question_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    question = consultations.get_question(consultation, question_id)
    contains = request.args.get("contains", "")
    page = request.args.get("page", 1, type=int) or 1
    rows, total = consultations.text_answers(_me(), consultation, question, contains=contains, page=page)
    return render_template("consultations/read_answers.html", consultation=consultation, question=question,
                           rows=rows, total=total, page=page, contains=contains, per_page=20)


@bp.get("/<int:consultation_id>/export.<any(csv, json):fmt>")
@login_required
def export(consultation_id, fmt):
    import csv
    import io
    import json

    from flask import Response as HTTPResponse
    from flask import stream_with_context

    consultation = consultations.get_consultation(consultation_id, current_user)
    personal = request.args.get("personal") == "1"
    rows = consultations.export_rows(_me(), consultation, personal_data=personal)
    header = next(rows)  # runs the permission check and the audit entry before streaming starts
    filename = f"consultation-{consultation.id}-responses.{fmt}"

    def as_csv():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # so that spreadsheet programs read UTF-8
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            if buffer.tell() > 65536:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def as_json():
        yield '{"consultation": ' + json.dumps({"id": consultation.id, "title": consultation.title}) + \
              ', "columns": ' + json.dumps(header) + ', "responses": ['
        first = True
        for row in rows:
            yield ("" if first else ",") + json.dumps(dict(zip(header, row)), ensure_ascii=False)
            first = False
        yield "]}"

    body = as_csv() if fmt == "csv" else as_json()
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    response = HTTPResponse(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:consultation_id>/follow")
@login_required
def follow(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    if FlaskForm().validate_on_submit():
        following = request.form.get("follow") != "0"
        consultations.follow_consultation(_me(), consultation, following)
        flash(_("You follow this consultation: we will tell you when it closes and when the outcome is published.")
              if following else _("You no longer follow this consultation."), "success")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


# --- statements -----------------------------------------------------------------------------

@bp.get("/<int:consultation_id>/statements")
def statements(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    may_vote = current_user.is_authenticated and consultations.phase_of(consultation) is Phase.OPEN \
        and consultation.statements_enabled and can(current_user, "consultation.respond", consultation)
    return render_template(
        "consultations/statements.html", consultation=consultation, form=FlaskForm(),
        next_statement=consultations.next_statement(current_user, consultation) if may_vote else None,
        may_vote=may_vote, phase=consultations.phase_of(consultation),
        approved=consultations.statements_of(consultation, status="approved"),
        pending=consultations.statements_of(consultation, status="pending")
        if can(current_user, "consultation.moderate_statements", consultation) else [])


def _back_to_statements(consultation):
    return redirect(url_for("consultations.statements", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/statements")
@login_required
def add_statement(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    if not FlaskForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _back_to_statements(consultation)
    text = request.form.get("text", "")
    try:
        statement = consultations.add_statement(_me(), consultation, text)
    except (InvalidInput, Conflict, ParticipationClosed) as error:
        flash(error.message, "error")
        return render_template("consultations/statement_refused.html", consultation=consultation,
                               message=error.message, text=text), error.status
    flash(_("Thank you: your statement is published.") if statement.status == "approved"
          else _("Thank you: your statement will appear once a moderator has read it."), "success")
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/<int:statement_id>/vote")
@login_required
def vote_statement(consultation_id, statement_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    statement = consultations.get_statement(consultation, statement_id)
    if FlaskForm().validate_on_submit():
        consultations.vote_on_statement(_me(), statement, request.form.get("value"))
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/<int:statement_id>/moderate")
@login_required
def moderate_statement(consultation_id, statement_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    statement = consultations.get_statement(consultation, statement_id)
    if FlaskForm().validate_on_submit():
        consultations.moderate_statement(_me(), statement, request.form.get("decision") == "approve")
        flash(_("Statement approved.") if statement.status == "approved" else _("Statement rejected."), "success")
    return _back_to_statements(consultation)


@bp.post("/<int:consultation_id>/statements/options")
@login_required
def statement_options(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    if FlaskForm().validate_on_submit():
        consultations.set_statement_options(_me(), consultation, enabled=request.form.get("enabled") == "1",
                                            premoderated=request.form.get("premoderated") == "1")
        flash(_("Statement settings saved."), "success")
    return _back_to_statements(consultation)


# --- documents and the cover image ----------------------------------------------------------

# A downloaded file is never a page of this site: no scripts, no plugins, no same-origin rights.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _upload(field):
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return consultations.Upload(filename=data.filename, stream=data.stream)


def _documents_page(consultation, document_form=None, cover_form=None):
    """The officials' page; the form that was not sent shows the stored values, unbound."""
    cover = consultations.cover_of(consultation)
    document_form = document_form or forms.DocumentForm(formdata=None)
    cover_form = cover_form or forms.CoverForm(formdata=None, data={
        "alt_text": cover.alt_text if cover else "", "decorative": bool(cover and not cover.alt_text)})
    refused = any(form.errors or form.form_errors for form in (document_form, cover_form))
    config = current_app.config
    return render_template(
        "consultations/documents.html", consultation=consultation, phase=consultations.phase_of(consultation),
        Phase=Phase, documents=consultations.documents_of(consultation), cover=cover, document_form=document_form,
        cover_form=cover_form, small_form=FlaskForm(formdata=None),
        document_limit=format_size(config["CIVIC_DOCUMENT_MAX_BYTES"]),
        image_limit=format_size(config["CIVIC_IMAGE_MAX_BYTES"])), 422 if refused else 200


def _managed_consultation(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    return consultation


@bp.get("/<int:consultation_id>/documents")
@login_required
def documents(consultation_id):
    return _documents_page(_managed_consultation(consultation_id))


@bp.post("/<int:consultation_id>/documents")
@login_required
def add_document(consultation_id):
    consultation = _managed_consultation(consultation_id)
    form = forms.DocumentForm()
    if form.validate_on_submit():
        try:
            document = consultations.add_document(_me(), consultation, _upload(form.file), form.title.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        else:
            flash(_("“%(title)s” is attached.", title=document.title), "success")
            return redirect(url_for("consultations.documents", consultation_id=consultation.id))
    return _documents_page(consultation, document_form=form)


@bp.post("/<int:consultation_id>/documents/cover")
@login_required
def set_cover(consultation_id):
    consultation = _managed_consultation(consultation_id)
    form = forms.CoverForm()
    if form.validate_on_submit():
        try:
            consultations.set_cover_image(_me(), consultation, _upload(form.image), form.alt_text.data,
                                          decorative=form.decorative.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        else:
            flash(_("Cover image saved."), "success")
            return redirect(url_for("consultations.documents", consultation_id=consultation.id))
    return _documents_page(consultation, cover_form=form)


@bp.post("/<int:consultation_id>/documents/<int:document_id>/<any(up, down, remove):change>")
@login_required
def change_document(consultation_id, document_id, change):
    consultation = _managed_consultation(consultation_id)
    document = consultations.get_document(consultation, document_id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif change == "remove":
        cover, title = document.role == "cover", document.title
        consultations.remove_document(_me(), document)
        flash(_("The cover image is removed.") if cover else _("“%(title)s” is removed.", title=title), "success")
    else:
        consultations.move_document(_me(), document, 1 if change == "down" else -1)
    return redirect(url_for("consultations.documents", consultation_id=consultation.id))


@bp.get("/<int:consultation_id>/documents/<int:document_id>/<filename>")
def document(consultation_id, document_id, filename):
    """Documents download as attachments; only the cover image shows in the page. Either way the
    browser is told the type (never to guess it), and the file can run nothing."""
    consultation = consultations.get_consultation(consultation_id, current_user)
    document, path = consultations.open_document(current_user, consultation, document_id)
    if filename != document.filename:
        return redirect(url_for("consultations.document", consultation_id=consultation.id,
                                document_id=document.id, filename=document.filename))
    inline = document.role == "cover" and document.content_type.startswith("image/")
    response = send_file(path, mimetype=document.content_type, as_attachment=not inline,
                         download_name=document.filename, etag=document.sha256, conditional=True, max_age=None)
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Drafts' files, and files removed later, must not linger in shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- the draft text -------------------------------------------------------------------------

@bp.get("/<int:consultation_id>/text")
def read_text(consultation_id):
    """The draft text passage by passage, each with its number of comments in the margin."""
    consultation = consultations.get_consultation(consultation_id, current_user)
    phase = consultations.phase_of(consultation)
    return render_template("consultations/text.html", consultation=consultation, phase=phase, Phase=Phase,
                           blocks=consultations.draft_text_blocks(consultation),
                           retired=consultations.draft_sections(consultation, retired=True),
                           commentable=phase in TEXT_COMMENTABLE)


@bp.route("/<int:consultation_id>/draft-text", methods=["GET", "POST"])
@login_required
def edit_text(consultation_id):
    consultation = consultations.get_consultation(consultation_id, current_user)
    ensure_can(current_user, "consultation.manage", consultation)
    form = forms.DraftTextForm(data={"text": consultation.draft_text_markdown} if request.method == "GET" else None)
    if form.validate_on_submit():
        upload = form.upload.data
        try:
            if upload and upload.filename:
                # The file's text goes into the text box, so that it is kept if something else is refused.
                form.text.data = consultations.read_draft_upload(
                    upload.filename, upload.stream.read(consultations.DRAFT_UPLOAD_MAX_BYTES + 1))
            change = consultations.set_draft_text(_me(), consultation, form.text.data,
                                                  correction_note=form.correction_note.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Draft text saved: %(added)d new passages, %(kept)d unchanged (they keep their comments), "
                    "%(retired)d kept under “Comments on earlier wording”, %(removed)d removed.",
                    added=change.added, kept=change.kept, retired=change.retired, removed=change.removed), "success")
            return redirect(url_for("consultations.read_text", consultation_id=consultation.id))
    return render_form("consultations/edit_text.html", form, consultation=consultation,
                       phase=consultations.phase_of(consultation), Phase=Phase,
                       max_length=consultations.DRAFT_TEXT_MAX_LENGTH)
