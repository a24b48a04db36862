"""Petition pages: lists, the petition with its count, signing and its links, drafting with
sponsors, moderation, the official response and debate, fraud handling, and open data (the
page's address with `.json` appended)."""
import csv
import io

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.common import clock
from civic.common.forms import apply_service_error, render_form
from civic.common.ratelimit import client_address
from civic.errors import Conflict, InvalidInput, ParticipationClosed, RateLimited, ServiceUnavailable
from civic.permissions import can, ensure_can
from civic.petitions import forms
from civic.petitions import services as petitions
from civic.petitions.models import MODERATABLE, PUBLISHED, SPONSORABLE, PetitionState

bp = Blueprint("petitions", __name__)
S = PetitionState


def _me():
    return current_user._get_current_object()


# --- lists -----------------------------------------------------------------------------------

def _list_arguments():
    view = request.args.get("show", "open")
    view = view if view in petitions.LIST_VIEWS else "open"
    sort = request.args.get("sort", "popular")
    sort = sort if sort in petitions.OPEN_SORTS else "popular"
    q = (request.args.get("q") or "").strip()[:200]
    topic = request.args.get("topic") or None
    page = request.args.get("page", 1, type=int) or 1
    return view, sort, q, topic, page


@bp.get("/petitions/")
def index():
    view, sort, q, topic, page = _list_arguments()
    results = petitions.list_petitions(view, sort=sort, q=q, topic=topic, page=page)
    return render_template("petitions/index.html", results=results, view=view, sort=sort, q=q, topic=topic,
                           topics=petitions.topics(), state_of=petitions.state_of, progress=petitions.progress)


@bp.get("/petitions.json")
def index_json():
    view, sort, q, topic, page = _list_arguments()
    results = petitions.list_petitions(view, sort=sort, q=q, topic=topic, page=page, per_page=50)
    return jsonify({
        "show": view, "sort": sort, "q": q or None, "topic": topic, "page": results.page, "pages": results.pages,
        "total": results.total,
        "links": {"self": url_for("petitions.index_json", _external=True, **request.args),
                  "next": url_for("petitions.index_json", _external=True, **{**request.args, "page": results.page + 1})
                  if results.has_next else None},
        "petitions": [petitions.petition_data(p, with_areas=False) for p in results.items],
    })


@bp.get("/petitions/mine")
@login_required
def mine():
    return render_template("petitions/mine.html", items=petitions.my_petitions(_me()), state_of=petitions.state_of)


# --- one petition ----------------------------------------------------------------------------

def _sign_form(petition, *, sponsor_token="", formdata=None):
    form = forms.SignForm(formdata=formdata) if formdata is not None else forms.SignForm()
    form.area.choices = forms.area_choices(petitions.areas())
    if formdata is None and request.method == "GET":
        form.sponsor_token.data = sponsor_token
        if current_user.is_authenticated:
            form.name.data, form.email.data = current_user.display_name, current_user.email
    return form


def _show(petition, *, form=None, sponsor_token="", status=200):
    state = petitions.state_of(petition)
    public = state in PUBLISHED
    return render_template(
        "petitions/show.html", petition=petition, state=state, S=S, form=form or _sign_form(
            petition, sponsor_token=sponsor_token), sponsor_token=sponsor_token,
        signable=petitions.takes_signatures(petition, sponsor_token),
        progress=petitions.progress(petition), areas=petitions.counts_by_area(petition) if public else [],
        per_day=petitions.signatures_per_day(petition) if public else [],
        thresholds=petitions.thresholds(), sponsors_needed=petitions.sponsors_needed(),
        is_creator=current_user.is_authenticated and petition.creator_id == current_user.id,
        sponsor_url=petitions.sponsor_url(petition)), status


@bp.get("/petitions/<int:petition_id>")
def show(petition_id):
    return _show(petitions.get_petition(petition_id, current_user))


@bp.get("/petitions/<int:petition_id>.json")
def show_json(petition_id):
    return jsonify(petitions.petition_data(petitions.get_petition(petition_id, current_user)))


@bp.get("/petitions/<int:petition_id>/sponsor/<token>")
def sponsor(petition_id, token):
    petition = petitions.get_petition(petition_id, current_user, sponsor_token=token)
    if petitions.state_of(petition) not in SPONSORABLE:
        return redirect(url_for("petitions.show", petition_id=petition.id))
    return _show(petition, sponsor_token=token)


@bp.post("/petitions/<int:petition_id>/sign")
def sign(petition_id):
    token = request.form.get("sponsor_token") or None
    petition = petitions.get_petition(petition_id, current_user, sponsor_token=token)
    form = _sign_form(petition, formdata=request.form)
    if not form.validate_on_submit():
        form.form_errors.append(_("The form had expired. Please send it again."))
        return _show(petition, form=form, sponsor_token=token or "", status=400)
    fields = petitions.SignatureFields(name=form.name.data, email=form.email.data, area=form.area.data,
                                       consent=form.consent.data, notify=form.notify.data)
    try:
        outcome = petitions.sign_petition(petition, fields, user=_me() if current_user.is_authenticated else None,
                                          client=client_address(), sponsor_token=token,
                                          language=str(get_locale()))
    except InvalidInput as error:
        apply_service_error(form, error)
        return _show(petition, form=form, sponsor_token=token or "", status=422)
    except (ParticipationClosed, RateLimited, ServiceUnavailable, Conflict) as error:
        form.form_errors.append(error.message)
        return _show(petition, form=form, sponsor_token=token or "", status=error.status)
    return redirect(url_for("petitions.signed", petition_id=petition.id, status=outcome.status))


@bp.get("/petitions/<int:petition_id>/signed")
def signed(petition_id):
    petition = petitions.load_petition(petition_id)
    status = request.args.get("status")
    status = status if status in ("counted", "check_email", "already_signed") else "check_email"
    return render_template("petitions/signed.html", petition=petition, status=status)


@bp.get("/petitions/<int:petition_id>/signatures/<token>/confirm")
def confirm_signature(petition_id, token):
    petition = petitions.load_petition(petition_id)
    try:
        signature, counted = petitions.confirm_signature(petition, token)
    except (InvalidInput, ParticipationClosed, Conflict) as error:
        return render_template("petitions/link_problem.html", petition=petition, message=error.message), error.status
    return render_template("petitions/confirmed.html", petition=petition, counted=counted,
                           sponsor=signature.sponsor, state=petitions.state_of(petition), S=S)


@bp.route("/petitions/<int:petition_id>/signatures/<token>/withdraw", methods=["GET", "POST"])
def withdraw(petition_id, token):
    from flask_wtf import FlaskForm

    petition = petitions.load_petition(petition_id)
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            petitions.withdraw_signature(petition, token)
        except (InvalidInput, Conflict) as error:
            return render_template("petitions/link_problem.html", petition=petition,
                                   message=error.message), error.status
        flash(_("Your signature is withdrawn and your details are deleted."), "success")
        return redirect(url_for("petitions.show", petition_id=petition.id) if can(None, "petition.view", petition)
                        else url_for("petitions.index"))
    return render_template("petitions/withdraw.html", petition=petition, form=form)


# --- drafting --------------------------------------------------------------------------------

def _petition_form(obj=None):
    form = forms.PetitionForm(obj=obj) if obj is not None and request.method == "GET" else forms.PetitionForm()
    form.area.choices = forms.area_choices(petitions.areas())
    return form


def _fields(form):
    return petitions.PetitionFields(title=form.title.data, background=form.background.data, details=form.details.data,
                                    topic=form.topic.data, anonymous=form.anonymous.data, area=form.area.data or "")


@bp.route("/petitions/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "petition.create")
    form = _petition_form()
    similar = []
    if form.validate_on_submit():
        similar = petitions.similar_petitions(form.title.data, form.background.data)
        if request.form.get("action") == "check" or (similar and request.form.get("checked") != "1"):
            return render_form("petitions/new.html", form, similar=similar, checked=True)
        try:
            petition = petitions.create_petition(_me(), _fields(form))
        except InvalidInput as error:
            apply_service_error(form, error)
        except RateLimited as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Your petition is saved. Now share the sponsor link below."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/new.html", form, similar=similar, checked=bool(similar))


@bp.get("/petitions/similar")
def similar():
    """Similar petitions while someone types a title (an HTML fragment for the page's script)."""
    found = petitions.similar_petitions(request.args.get("title", "")[:200], request.args.get("background", "")[:400])
    return render_template("petitions/_similar.html", similar=found, state_of=petitions.state_of)


@bp.route("/petitions/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id):
    petition = petitions.get_petition(petition_id, current_user)
    form = _petition_form(petition)
    if request.method == "GET":
        form.anonymous.data = petition.creator_anonymous
        form.area.data = petitions.areas()[0]
    if form.validate_on_submit():
        try:
            petitions.update_draft(_me(), petition, _fields(form))
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/edit.html", form, petition=petition)


# --- moderation ------------------------------------------------------------------------------

@bp.get("/petitions/moderation")
@login_required
def moderation():
    ensure_can(current_user, "petition.moderate")
    return render_template("petitions/moderation.html", items=petitions.moderation_queue(),
                           state_of=petitions.state_of)


@bp.route("/petitions/<int:petition_id>/moderate", methods=["GET", "POST"])
@login_required
def moderate(petition_id):
    petition = petitions.get_petition(petition_id, current_user)
    ensure_can(current_user, "petition.moderate", petition)
    reject_form, flag_form = forms.RejectForm(prefix="reject"), forms.FlagForm(prefix="flag")
    approve_form = forms.FlaskForm(prefix="approve")
    action = request.form.get("action")
    if request.method == "POST":
        form = {"approve": approve_form, "reject": reject_form, "flag": flag_form}.get(action)
        if form is not None and form.validate_on_submit():
            try:
                if action == "approve":
                    petitions.approve_petition(_me(), petition)
                    flash(_("The petition is open for signatures."), "success")
                elif action == "reject":
                    petitions.reject_petition(_me(), petition, reject_form.reason.data, reject_form.comment.data,
                                              duplicate_of_id=reject_form.duplicate_of_id.data)
                    flash(_("The petition is rejected."), "success")
                else:
                    petitions.flag_petition(_me(), petition, flag_form.note.data)
                    flash(_("The petition is flagged for a second opinion."), "success")
            except InvalidInput as error:
                apply_service_error(form, error)
            except Conflict as error:
                form.form_errors.append(error.message)
            else:
                return redirect(url_for("petitions.moderation"))
        elif form is None:
            approve_form.form_errors.append(_("Choose what to do with the petition."))
    status = 422 if any(f.errors or f.form_errors for f in (approve_form, reject_form, flag_form)) else 200
    return render_template("petitions/moderate.html", petition=petition, approve_form=approve_form,
                           reject_form=reject_form, flag_form=flag_form, state=petitions.state_of(petition),
                           moderatable=petitions.state_of(petition) in MODERATABLE,
                           similar=petitions.similar_petitions(petition.title, petition.background,
                                                               exclude_id=petition.id)), status


# --- the official response and the debate ----------------------------------------------------

@bp.route("/petitions/<int:petition_id>/response", methods=["GET", "POST"])
@login_required
def respond(petition_id):
    petition = petitions.get_petition(petition_id, current_user)
    ensure_can(current_user, "petition.respond", petition)
    form = forms.ResponseForm(data={"summary": petition.response_summary, "details": petition.response_details_markdown}
                              if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            petitions.publish_response(_me(), petition, form.summary.data, form.details.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("The response is published. Signers who asked for news will be emailed."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/respond.html", form, petition=petition)


@bp.route("/petitions/<int:petition_id>/debate", methods=["GET", "POST"])
@login_required
def debate(petition_id):
    petition = petitions.get_petition(petition_id, current_user)
    ensure_can(current_user, "petition.respond", petition)
    action = request.form.get("action") if request.method == "POST" else None
    # The form that was sent shows what was typed; the other one what is stored.
    schedule_form = forms.ScheduleDebateForm(
        prefix="schedule", formdata=request.form if action == "schedule" else None,
        data={"debate_on": petition.debate_scheduled_on})
    outcome_form = forms.DebateOutcomeForm(
        prefix="outcome", formdata=request.form if action != "schedule" and action else None, data={
            "debated_on": petition.debated_on or petition.debate_scheduled_on,
            "overview": petition.debate_overview_markdown, "transcript_url": petition.debate_transcript_url,
            "video_url": petition.debate_video_url})
    form = schedule_form if action == "schedule" else outcome_form
    if request.method == "POST" and form.validate_on_submit():
        try:
            if action == "schedule":
                petitions.schedule_debate(_me(), petition, schedule_form.debate_on.data)
            else:
                petitions.publish_debate_outcome(_me(), petition, outcome_form.debated_on.data,
                                                 outcome_form.overview.data, outcome_form.transcript_url.data,
                                                 outcome_form.video_url.data)
        except InvalidInput as error:
            apply_service_error(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Saved. Signers who asked for news will be emailed."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    status = 422 if request.method == "POST" else 200
    return render_template("petitions/debate.html", petition=petition, schedule_form=schedule_form,
                           outcome_form=outcome_form), status


# --- fraud -----------------------------------------------------------------------------------

def _rule(form):
    def utc(field):
        if not field.data:
            return None
        moment = clock.local_to_utc(field.data)
        if moment is None:  # dropping the bound would widen the rule
            raise InvalidInput(_("That time does not exist in this time zone (the clocks go forward then). "
                                 "Choose another."), field=field.name)
        return moment

    return petitions.InvalidationRule(ip_range=form.ip_range.data or "", email_domain=form.email_domain.data or "",
                                      signed_from=utc(form.signed_from), signed_until=utc(form.signed_until))


def _burst_rule(field, burst):
    """Query arguments that fill the invalidation form with a burst: its range or domain and its
    window in site time, in whole minutes with the last one included."""
    from datetime import timedelta

    start = clock.utc_to_local(burst["start"]).replace(second=0, microsecond=0)
    end = clock.utc_to_local(burst["end"]).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return {field: burst["key"], "signed_from": start.strftime(forms.DATETIME_FORMAT),
            "signed_until": end.strftime(forms.DATETIME_FORMAT)}


@bp.route("/petitions/<int:petition_id>/investigate", methods=["GET", "POST"])
@login_required
def investigate(petition_id):
    from datetime import timedelta

    petition = petitions.get_petition(petition_id, current_user)
    ensure_can(current_user, "petition.investigate", petition)
    # On GET the query string may fill the form in (links from the bursts); as form data, so that
    # a time that does not parse is shown back rather than breaking the page.
    form = forms.InvalidationForm(formdata=request.form if request.method == "POST" else request.args)
    preview = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                preview = len(petitions.matching_signatures(petition, _rule(form))[0])
            else:
                invalidation = petitions.invalidate_signatures(_me(), petition, _rule(form), form.reason.data)
                flash(_invalidated_message(invalidation.matched_count), "success")
                return redirect(url_for("petitions.investigate", petition_id=petition.id))
        except InvalidInput as error:
            apply_service_error(form, error)
            status = 422
    elif request.method == "POST":
        status = 422  # a time that does not parse (a bad CSRF token stops at CSRFProtect)
    minutes = request.args.get("minutes", 10, type=int) or 10
    minutes = min(max(minutes, 1), 24 * 60)
    min_count = min(max(request.args.get("min", 10, type=int) or 10, 2), 100_000)
    bursts = petitions.suspicious_bursts(_me(), petition, window=timedelta(minutes=minutes), min_count=min_count)
    return render_template("petitions/investigate.html", petition=petition, form=form, preview=preview,
                           bursts=bursts, minutes=minutes, min_count=min_count, burst_rule=_burst_rule,
                           invalidations=petitions.invalidations(petition), revert_form=forms.RevertForm()), status


def _invalidated_message(count):
    from flask_babel import ngettext

    return ngettext("%(num)d signature is invalidated.", "%(num)d signatures are invalidated.", count)


@bp.post("/petitions/<int:petition_id>/invalidations/<int:invalidation_id>/revert")
@login_required
def revert(petition_id, invalidation_id):
    petition = petitions.get_petition(petition_id, current_user)
    invalidation = petitions.get_invalidation(petition, invalidation_id)
    form = forms.RevertForm()
    if form.validate_on_submit():
        try:
            petitions.revert_invalidation(_me(), invalidation, form.reason.data)
        except (InvalidInput, Conflict) as error:
            flash(error.message, "error")
        else:
            flash(_("The invalidation is reverted: those signatures count again."), "success")
    else:
        flash(_("The form had expired. Please send it again."), "error")
    return redirect(url_for("petitions.investigate", petition_id=petition.id))


# --- exports ---------------------------------------------------------------------------------

def _csv(rows, header, filename):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/petitions/<int:petition_id>/areas.csv")
@login_required
def export_areas(petition_id):
    petition = petitions.get_petition(petition_id, current_user)
    return _csv(petitions.area_rows(_me(), petition), [_("Area"), _("Signatures")],
                f"petition-{petition.id}-areas.csv")


@bp.get("/petitions/<int:petition_id>/signers.csv")
@login_required
def export_signers(petition_id):
    from flask import stream_with_context

    petition = petitions.get_petition(petition_id, current_user)
    rows = petitions.signer_rows(_me(), petition)  # a generator: next() below checks and audits

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.name, row.email, row.area, row.validated_at.isoformat()])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    first = next(rows, None)
    if first is not None:
        import itertools

        rows = itertools.chain([first], rows)
    # Translated now: by the time the body streams, the session that loaded the signed-in person
    # (whose language decides the locale) is closed.
    header, filename = [_("Name"), _("Email"), _("Area"), _("Confirmed at")], f"petition-{petition.id}-signers.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
