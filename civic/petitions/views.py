"""Petition pages: lists, the petition with its count, signing and its links, drafting with
sponsors, moderation, the official response and debate, fraud handling, and open data (the
page's address with `.json` appended)."""

from datetime import timedelta

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from civic.common import clock
from civic.common.caching import shared_part
from civic.common.downloads import stream_csv
from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.http import require_sent_from_this_site
from civic.common.pagination import requested_page
from civic.errors import Conflict, InvalidInput
from civic.extensions import client_address, csrf
from civic.permissions import can, ensure_can
from civic.petitions import forms
from civic.petitions.models import PetitionState
from civic.petitions.services import exports, fraud, lifecycle, queries, responses, signing

# By name: the module would be hidden by the view `moderation` (the queue's endpoint).
from civic.petitions.services.moderation import approve_petition, flag_petition, reject_petition
from civic.petitions.services.queries import get_petition

bp = Blueprint("petitions", __name__)
S = PetitionState


def _me():
    return current_user._get_current_object()


# --- lists -----------------------------------------------------------------------------------


def _list_arguments():
    view = request.args.get("show", "open")
    view = view if view in queries.LIST_VIEWS else "open"
    sort = request.args.get("sort", "popular")
    sort = sort if sort in queries.OPEN_SORTS else "popular"
    q = (request.args.get("q") or "").strip()[:200]
    topic = request.args.get("topic") or None
    page = requested_page()
    return view, sort, q, topic, page


@bp.get("/petitions/")
def index():
    view, sort, q, topic, page = _list_arguments()
    results = queries.list_petitions(view, sort=sort, q=q, topic=topic, page=page)
    return render_template(
        "petitions/index.html", results=results, view=view, sort=sort, q=q, topic=topic, topics=queries.topics()
    )


@bp.get("/petitions.json")
def index_json():
    view, sort, q, topic, page = _list_arguments()
    results = queries.list_petitions(view, sort=sort, q=q, topic=topic, page=page, per_page=50)
    return jsonify(
        {
            "show": view,
            "sort": sort,
            "q": q or None,
            "topic": topic,
            "page": results.page,
            "pages": results.pages,
            "total": results.total,
            "links": {
                "self": url_for("petitions.index_json", _external=True, **request.args),
                "next": url_for("petitions.index_json", _external=True, **{**request.args, "page": results.page + 1})
                if results.has_next
                else None,
            },
            "petitions": [exports.petition_data(p, with_areas=False) for p in results.items],
        }
    )


@bp.get("/petitions/mine")
@login_required
def mine():
    return render_template("petitions/mine.html", items=queries.my_petitions(_me()))


# --- one petition ----------------------------------------------------------------------------


def _sign_form(*, sponsor_token="", formdata=None):
    # Someone not signed in gets the form without a CSRF token, so that the petition page is the
    # same for every such visitor and caches may share it (civic.common.caching); `sign` checks
    # where their form came from instead. A signed-in person's form carries its token.
    meta = {} if current_user.is_authenticated else {"csrf": False}
    form = forms.SignForm(formdata=formdata, meta=meta) if formdata is not None else forms.SignForm(meta=meta)
    form.area.choices = forms.area_choices(queries.areas())
    if formdata is None and request.method == "GET":
        form.sponsor_token.data = sponsor_token
        if current_user.is_authenticated:
            form.name.data, form.email.data = current_user.display_name, current_user.email
    return form


def _figures(petition):
    """Signatures by area and over time: the same for every reader, so rendered once for all of
    them while the page cache is on (a few seconds behind, as the cached page is)."""

    def render():
        return render_template(
            "petitions/_figures.html",
            areas=queries.counts_by_area(petition),
            per_day=queries.signatures_per_day(petition),
        )

    shared = shared_part(f"petition-figures:{petition.id}", [("petition", petition.id)], render)
    return Markup(render() if shared is None else shared)


def _show(petition, *, form=None, sponsor_token="", status=200):
    published = petition.is_published
    return render_template(
        "petitions/show.html",
        petition=petition,
        S=S,
        form=form or _sign_form(sponsor_token=sponsor_token),
        sponsoring=queries.sponsoring(petition, sponsor_token, current_user),
        progress=queries.progress(petition),
        figures=_figures(petition) if published else "",
        thresholds=queries.thresholds(),
        sponsors_needed=queries.sponsors_needed(),
        sponsor_url=lifecycle.sponsor_url(petition),
    ), status


@bp.get("/petitions/<int:petition_id>")
def show(petition_id):
    petition, hidden = queries.petition_for_page(petition_id, current_user)
    if hidden:
        return render_template("hidden_by_moderation.html", reason=petition.rejection_comment)
    return _show(petition)


@bp.get("/petitions/<int:petition_id>.json")
def show_json(petition_id):
    return jsonify(exports.petition_data(get_petition(petition_id, current_user)))


@bp.get("/petitions/<int:petition_id>/sponsor/<token>")
def sponsor(petition_id, token):
    petition = get_petition(petition_id, current_user, sponsor_token=token)
    if not can(current_user, "petition.sponsor", petition):
        return redirect(url_for("petitions.show", petition_id=petition.id))
    return _show(petition, sponsor_token=token)


@bp.post("/petitions/<int:petition_id>/sign")
@csrf.exempt
def sign(petition_id):
    if current_user.is_authenticated:
        csrf.protect()  # a signed-in person's signature counts at once: their form's token is checked
    else:  # without an account a signature counts only through the emailed link
        require_sent_from_this_site()
    token = request.form.get("sponsor_token") or None
    petition = get_petition(petition_id, current_user, sponsor_token=token)
    # The form has no validators of its own (the token or the origin is checked above): the service checks it all.
    form = _sign_form(formdata=request.form)
    fields = signing.SignatureFields(
        name=form.name.data,
        email=form.email.data,
        area=form.area.data,
        consent=form.consent.data,
        notify=form.notify.data,
    )
    with errors_on(form) as attempt:
        outcome = signing.sign_petition(
            petition,
            fields,
            user=_me() if current_user.is_authenticated else None,
            client=client_address(),
            sponsor_token=token,
            language=str(get_locale()),
        )
    if attempt.succeeded:
        return redirect(url_for("petitions.signed", petition_id=petition.id, status=outcome.status, sponsor=token))
    return _show(petition, form=form, sponsor_token=token or "", status=attempt.status)


@bp.get("/petitions/<int:petition_id>/signed")
def signed(petition_id):
    sponsor_token = request.args.get("sponsor") or None
    petition = get_petition(petition_id, current_user, sponsor_token=sponsor_token)
    status = request.args.get("status")
    status = status if status in ("counted", "check_email", "already_signed") else "check_email"
    return render_template("petitions/signed.html", petition=petition, status=status, sponsor_token=sponsor_token)


def _link_problem(petition, error):
    """A link from an email that cannot do what it says: the reason, on a page of its own."""
    return render_template("petitions/link_problem.html", petition=petition, message=error.message), error.status


@bp.get("/petitions/<int:petition_id>/signatures/<token>/confirm")
def confirm_signature(petition_id, token):
    petition = get_petition(petition_id, current_user, signature_link=(queries.SIGNATURE_LINK_PURPOSE, token))
    try:
        signature, counted = signing.confirm_signature(petition, token)
    except (InvalidInput, Conflict) as error:  # a link that is not valid (400) goes to the error page
        return _link_problem(petition, error)
    return render_template("petitions/confirmed.html", petition=petition, counted=counted, sponsor=signature.sponsor)


@bp.route("/petitions/<int:petition_id>/signatures/<token>/withdraw", methods=["GET", "POST"])
def withdraw(petition_id, token):
    petition = get_petition(petition_id, current_user, signature_link=(queries.WITHDRAW_LINK_PURPOSE, token))
    form = forms.FlaskForm()
    if form.validate_on_submit():
        try:
            signing.withdraw_signature(petition, token)
        except (InvalidInput, Conflict) as error:
            return _link_problem(petition, error)
        flash(_("Your signature is withdrawn and your details are deleted."), "success")
        return redirect(
            url_for("petitions.show", petition_id=petition.id)
            if can(None, "petition.view", petition)
            else url_for("petitions.index")
        )
    return render_template("petitions/withdraw.html", petition=petition, form=form)


# --- drafting --------------------------------------------------------------------------------


def _petition_form(obj=None):
    form = forms.PetitionForm(obj=obj) if obj is not None and request.method == "GET" else forms.PetitionForm()
    form.area.choices = forms.area_choices(queries.areas())
    return form


def _fields(form):
    return lifecycle.PetitionFields(
        title=form.title.data,
        background=form.background.data,
        details=form.details.data,
        topic=form.topic.data,
        anonymous=form.anonymous.data,
        area=form.area.data or "",
    )


@bp.route("/petitions/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "petition.create")
    form = _petition_form()
    if request.method == "POST" and request.form.get("action") == "check":
        # Without JavaScript: look for similar petitions on asking; the page's script shows them
        # while the title is typed. Either way they are advice: creating takes one click.
        similar = queries.similar_petitions(form.title.data or "", form.background.data or "")
        return render_form("petitions/new.html", form, similar=similar, checked=True)
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            petition = lifecycle.create_petition(_me(), _fields(form))
        if attempt.succeeded:
            flash(_("Your petition is saved. Now share the sponsor link below."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/new.html", form, similar=[], checked=False)


@bp.get("/petitions/similar")
def similar():
    """Similar petitions while someone types a title (an HTML fragment for the page's script)."""
    found = queries.similar_petitions(request.args.get("title", "")[:200], request.args.get("background", "")[:400])
    return render_template("petitions/_similar.html", similar=found)


@bp.route("/petitions/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id):
    # Any viewer reaches the page; saving is for the creator while collecting sponsors (the service
    # says why not once the petition is with the moderators).
    petition = get_petition(petition_id, current_user)
    form = _petition_form(petition)
    if request.method == "GET":
        form.anonymous.data = petition.creator_anonymous
        form.area.data = queries.areas()[0]
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            lifecycle.update_draft(_me(), petition, _fields(form))
        if attempt.succeeded:
            flash(_("Changes saved."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/edit.html", form, petition=petition)


# --- moderation ------------------------------------------------------------------------------


@bp.get("/petitions/moderation")
@login_required
def moderation():
    ensure_can(current_user, "petition.moderate")
    return render_template("petitions/moderation.html", items=queries.moderation_queue())


def _decide(action, petition, reject_form, flag_form):
    """Carry out the moderator's decision; the message that says it is done."""
    if action == "approve":
        approve_petition(_me(), petition)
        return _("The petition is open for signatures.")
    if action == "reject":
        reject_petition(
            _me(),
            petition,
            reject_form.reason.data,
            reject_form.comment.data,
            duplicate_of_id=reject_form.duplicate_of_id.data,
        )
        return _("The petition is rejected.")
    flag_petition(_me(), petition, flag_form.note.data)
    return _("The petition is flagged for a second opinion.")


@bp.route("/petitions/<int:petition_id>/moderate", methods=["GET", "POST"])
@login_required
def moderate(petition_id):
    petition = get_petition(petition_id, current_user)
    # The page is for moderators in any state (it says when there is nothing to decide);
    # can("petition.moderate", petition) in the template and the services decide the rest.
    ensure_can(current_user, "petition.moderate")
    reject_form, flag_form = forms.RejectForm(prefix="reject"), forms.FlagForm(prefix="flag")
    approve_form = forms.FlaskForm(prefix="approve")
    action = request.form.get("action")
    if request.method == "POST":
        form = {"approve": approve_form, "reject": reject_form, "flag": flag_form}.get(action)
        if form is not None and form.validate_on_submit():
            with errors_on(form) as attempt:
                done = _decide(action, petition, reject_form, flag_form)
            if attempt.succeeded:
                flash(done, "success")
                return redirect(url_for("petitions.moderation"))
        elif form is None:
            approve_form.form_errors.append(_("Choose what to do with the petition."))
    status = 422 if any(f.errors or f.form_errors for f in (approve_form, reject_form, flag_form)) else 200
    return render_template(
        "petitions/moderate.html",
        petition=petition,
        approve_form=approve_form,
        reject_form=reject_form,
        flag_form=flag_form,
        similar=queries.similar_petitions(petition.title, petition.background, exclude_id=petition.id),
    ), status


# --- the official response and the debate ----------------------------------------------------


@bp.route("/petitions/<int:petition_id>/response", methods=["GET", "POST"])
@login_required
def respond(petition_id):
    petition = get_petition(petition_id, current_user, "petition.respond")
    form = forms.ResponseForm(
        data={"summary": petition.response_summary, "details": petition.response_details_markdown}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            responses.publish_response(_me(), petition, form.summary.data, form.details.data)
        if attempt.succeeded:
            flash(_("The response is published. Signers who asked for news will be emailed."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    return render_form("petitions/respond.html", form, petition=petition)


@bp.route("/petitions/<int:petition_id>/debate", methods=["GET", "POST"])
@login_required
def debate(petition_id):
    petition = get_petition(petition_id, current_user, "petition.respond")
    action = request.form.get("action") if request.method == "POST" else None
    # The form that was sent shows what was typed; the other one what is stored.
    schedule_form = forms.ScheduleDebateForm(
        prefix="schedule",
        formdata=request.form if action == "schedule" else None,
        data={"debate_on": petition.debate_scheduled_on},
    )
    outcome_form = forms.DebateOutcomeForm(
        prefix="outcome",
        formdata=request.form if action != "schedule" and action else None,
        data={
            "debated_on": petition.debated_on or petition.debate_scheduled_on,
            "overview": petition.debate_overview_markdown,
            "transcript_url": petition.debate_transcript_url,
            "video_url": petition.debate_video_url,
        },
    )
    form = schedule_form if action == "schedule" else outcome_form
    # validate_on_submit fails on a date that does not parse: the page shows it back (422).
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            if action == "schedule":
                responses.schedule_debate(_me(), petition, schedule_form.debate_on.data)
            else:
                responses.publish_debate_outcome(
                    _me(),
                    petition,
                    outcome_form.debated_on.data,
                    outcome_form.overview.data,
                    outcome_form.transcript_url.data,
                    outcome_form.video_url.data,
                )
        if attempt.succeeded:
            flash(_("Saved. Signers who asked for news will be emailed."), "success")
            return redirect(url_for("petitions.show", petition_id=petition.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "petitions/debate.html", petition=petition, schedule_form=schedule_form, outcome_form=outcome_form
    ), status


# --- fraud -----------------------------------------------------------------------------------


def _rule(form):
    def utc(field):
        if not field.data:
            return None
        moment = clock.local_to_utc(field.data)
        if moment is None:  # dropping the bound would widen the rule
            raise InvalidInput(
                _("That time does not exist in this time zone (the clocks go forward then). Choose another."),
                field=field.name,
            )
        return moment

    return fraud.InvalidationRule(
        ip_range=form.ip_range.data or "",
        email_domain=form.email_domain.data or "",
        signed_from=utc(form.signed_from),
        signed_until=utc(form.signed_until),
    )


def _burst_rule(field, burst):
    """Query arguments that fill the invalidation form with a burst: its range or domain and its
    window in site time, in whole minutes with the last one included."""
    start = clock.utc_to_local(burst["start"]).replace(second=0, microsecond=0)
    end = clock.utc_to_local(burst["end"]).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return {
        field: burst["key"],
        "signed_from": start.strftime(forms.DATETIME_FORMAT),
        "signed_until": end.strftime(forms.DATETIME_FORMAT),
    }


@bp.route("/petitions/<int:petition_id>/investigate", methods=["GET", "POST"])
@login_required
def investigate(petition_id):
    petition = get_petition(petition_id, current_user, "petition.investigate")
    # On GET the query string may fill the form in (links from the bursts); as form data, so that
    # a time that does not parse is shown back rather than breaking the page.
    form = forms.InvalidationForm(formdata=request.form if request.method == "POST" else request.args)
    preview = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            if request.form.get("action") == "preview":
                preview = len(fraud.matching_signatures(petition, _rule(form))[0])
            else:
                invalidation = fraud.invalidate_signatures(_me(), petition, _rule(form), form.reason.data)
        if attempt.succeeded and preview is None:
            flash(
                ngettext(
                    "%(num)d signature is invalidated.",
                    "%(num)d signatures are invalidated.",
                    invalidation.matched_count,
                ),
                "success",
            )
            return redirect(url_for("petitions.investigate", petition_id=petition.id))
        status = attempt.status
    elif request.method == "POST":
        status = 422  # a time that does not parse (a bad CSRF token stops at CSRFProtect)
    minutes = request.args.get("minutes", 10, type=int) or 10
    minutes = min(max(minutes, 1), 24 * 60)
    min_count = min(max(request.args.get("min", 10, type=int) or 10, 2), 100_000)
    bursts = fraud.suspicious_bursts(_me(), petition, window=timedelta(minutes=minutes), min_count=min_count)
    return render_template(
        "petitions/investigate.html",
        petition=petition,
        form=form,
        preview=preview,
        bursts=bursts,
        minutes=minutes,
        min_count=min_count,
        burst_rule=_burst_rule,
        invalidations=fraud.invalidations(petition),
        revert_form=forms.RevertForm(),
    ), status


@bp.post("/petitions/<int:petition_id>/invalidations/<int:invalidation_id>/revert")
@login_required
def revert(petition_id, invalidation_id):
    petition = get_petition(petition_id, current_user, "petition.investigate")
    invalidation = fraud.get_invalidation(petition, invalidation_id)
    form = forms.RevertForm()  # no validators: a missing reason is the service's to say
    with errors_flashed() as attempt:
        fraud.revert_invalidation(_me(), invalidation, form.reason.data)
    if attempt.succeeded:
        flash(_("The invalidation is reverted: those signatures count again."), "success")
    return redirect(url_for("petitions.investigate", petition_id=petition.id))


# --- exports ---------------------------------------------------------------------------------


@bp.get("/petitions/<int:petition_id>/areas.csv")
@login_required
def export_areas(petition_id):
    petition = get_petition(petition_id, current_user, "petition.export")
    header, rows = exports.area_export(_me(), petition)
    return stream_csv(header, rows, f"petition-{petition.id}-areas.csv")


@bp.get("/petitions/<int:petition_id>/signers.csv")
@login_required
def export_signers(petition_id):
    petition = get_petition(petition_id, current_user, "petition.export_signers")
    header, rows = exports.signer_export(_me(), petition)  # checked and audited: only the rows stream
    return stream_csv(header, rows, f"petition-{petition.id}-signers.csv")
