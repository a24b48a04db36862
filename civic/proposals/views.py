"""Proposal pages: the list (sorts and filters), posting with similar proposals as advice,
the proposal with its live count, supporting and following, its author's changes and withdrawal,
and the officials' answer and merge."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.image_uploads import send_image
from civic.common.pagination import requested_page
from civic.permissions import ensure_can
from civic.proposals import forms
from civic.proposals.models import ProposalState
from civic.proposals.services import answers, lifecycle, queries, supporting
from civic.proposals.services.queries import get_proposal

bp = Blueprint("proposals", __name__)
S = ProposalState


def _me():
    return current_user._get_current_object()


# --- the list --------------------------------------------------------------------------------


@bp.get("/proposals")
def index():
    topic = (request.args.get("topic") or "").strip()[:80] or None
    area = (request.args.get("area") or "").strip()[:80] or None
    q = (request.args.get("q") or "").strip()[:200]
    results, sort, status = queries.list_proposals(
        sort=request.args.get("sort", "supported"),
        status=request.args.get("status", "listed"),
        topic=topic,
        area=area,
        q=q,
        page=requested_page(),
    )
    return render_template(
        "proposals/index.html",
        results=results,
        sort=sort,
        status=status,
        topic=topic,
        area=area,
        q=q,
        topics=queries.topics(),
        areas=queries.areas(),
        sorts=queries.SORTS,
        statuses=queries.STATUSES,
    )


@bp.get("/proposals/mine")
@login_required
def mine():
    return render_template("proposals/mine.html", items=queries.my_proposals(_me()))


# --- one proposal ----------------------------------------------------------------------------


def _show(proposal, status=200):
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        S=S,
        progress=queries.progress(proposal),
        supported=supporting.has_supported(current_user, proposal),
        following=supporting.is_following(current_user, proposal),
    ), status


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id):
    proposal, hidden = queries.proposal_for_page(proposal_id, current_user)
    if hidden:
        return render_template("hidden_by_moderation.html", reason=proposal.hidden_reason)
    return _show(proposal)


@bp.get("/proposals/<int:proposal_id>/image")
def image(proposal_id):
    proposal = get_proposal(proposal_id, current_user)
    return send_image(lifecycle.image_path(proposal), proposal.image_content_type)


@bp.post("/proposals/<int:proposal_id>/support")
@login_required
def support(proposal_id):
    proposal = get_proposal(proposal_id, current_user)
    with errors_flashed() as attempt:
        if request.form.get("action") == "remove":
            done = supporting.remove_support(_me(), proposal)
            message = _("Your support is removed.") if done else _("You were not supporting this proposal.")
        else:
            done = supporting.support_proposal(_me(), proposal, follow=bool(request.form.get("follow")))
            message = _("Thank you: your support counts.") if done else _("You support this proposal already.")
    if attempt.succeeded:
        flash(message, "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="support"))


@bp.post("/proposals/<int:proposal_id>/follow")
@login_required
def follow(proposal_id):
    proposal = get_proposal(proposal_id, current_user)
    following = request.form.get("follow") == "1"
    with errors_flashed() as attempt:
        supporting.follow_proposal(_me(), proposal, following)
    if attempt.succeeded:
        flash(
            _("You follow this proposal: you will be told when it is answered.")
            if following
            else _("You no longer follow this proposal."),
            "success",
        )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


# --- posting and changing --------------------------------------------------------------------


def _proposal_form(proposal=None):
    if proposal is not None and request.method == "GET":
        form = forms.ProposalForm(
            data={
                "title": proposal.title,
                "summary": proposal.summary,
                "body": proposal.body_markdown,
                "topic": proposal.topic,
                "area": proposal.area,
                "external_url": proposal.external_url,
                "image_alt": proposal.image_alt,
            }
        )
    else:
        form = forms.ProposalForm()
    form.area.choices = forms.area_choices(queries.areas())
    return form


def _fields(form):
    upload = form.image.data
    return lifecycle.ProposalFields(
        title=form.title.data,
        summary=form.summary.data,
        body=form.body.data,
        topic=form.topic.data,
        area=form.area.data or "",
        external_url=form.external_url.data,
        image=lifecycle.Upload(upload.filename, upload.stream) if upload and getattr(upload, "filename", "") else None,
        image_alt=form.image_alt.data,
        remove_image=form.remove_image.data,
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "proposal.create")
    form = _proposal_form()
    if request.method == "POST" and request.form.get("action") == "check":
        # Without JavaScript: similar proposals on asking; the page's script shows them while the
        # title is typed. Either way they are advice: posting takes one click.
        similar = queries.similar_proposals(form.title.data or "", form.summary.data or "")
        return render_form("proposals/new.html", form, similar=similar, checked=True)
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            proposal = lifecycle.create_proposal(_me(), _fields(form))
        if attempt.succeeded:
            flash(_("Your proposal is published. Share it: it needs supports to get an answer."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_form("proposals/new.html", form, similar=[], checked=False)


@bp.get("/proposals/similar")
def similar():
    """Similar proposals while someone types a title (an HTML fragment for the page's script)."""
    found = queries.similar_proposals(request.args.get("title", "")[:200], request.args.get("summary", "")[:400])
    return render_template("proposals/_similar.html", similar=found, checked=False)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id):
    proposal = get_proposal(proposal_id, current_user)
    form = _proposal_form(proposal)
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            lifecycle.update_proposal(_me(), proposal, _fields(form))
        if attempt.succeeded:
            flash(_("Changes saved."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_form("proposals/edit.html", form, proposal=proposal)


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id):
    proposal = get_proposal(proposal_id, current_user)
    form = forms.FlaskForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            lifecycle.withdraw_proposal(_me(), proposal)
        if attempt.succeeded:
            flash(_("Your proposal is withdrawn. It stays readable, marked as withdrawn."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_form("proposals/withdraw.html", form, proposal=proposal)


# --- officials -------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@login_required
def answer(proposal_id):
    proposal = get_proposal(proposal_id, current_user, "proposal.answer")
    current = proposal.current_state.value
    form = forms.AnswerForm(
        data={"outcome": current, "explanation": proposal.answer_markdown} if request.method == "GET" else None
    )
    implemented_form = forms.ImplementedForm(prefix="implemented")
    if request.method == "POST" and request.form.get("action") == "implemented":
        if implemented_form.validate_on_submit():
            with errors_on(implemented_form) as attempt:
                answers.mark_implemented(_me(), proposal, implemented_form.note.data)
            if attempt.succeeded:
                flash(_("The proposal is marked as implemented. Supporters and followers will be told."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
    elif form.validate_on_submit():
        with errors_on(form) as attempt:
            answers.answer_proposal(_me(), proposal, form.outcome.data, form.explanation.data)
        if attempt.succeeded:
            flash(_("The answer is published. Supporters and followers will be told."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    status = 422 if form.errors or implemented_form.errors or implemented_form.form_errors else 200
    return render_template(
        "proposals/answer.html", form=form, implemented_form=implemented_form, proposal=proposal, S=S
    ), status


@bp.route("/proposals/<int:proposal_id>/merge", methods=["GET", "POST"])
@login_required
def merge(proposal_id):
    proposal = get_proposal(proposal_id, current_user, "proposal.merge")
    form = forms.MergeForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            target = answers.merge_proposal(_me(), proposal, form.target_id.data, form.explanation.data)
        if attempt.succeeded:
            flash(_("The proposal is merged: its supports now count for this one."), "success")
            return redirect(url_for("proposals.show", proposal_id=target.id))
    similar = queries.similar_proposals(proposal.title, proposal.summary, exclude_id=proposal.id)
    return render_form("proposals/merge.html", form, proposal=proposal, similar=similar)
