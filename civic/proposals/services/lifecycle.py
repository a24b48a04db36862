"""A proposal's life: posting it (with its image and discussion), its author changing it until
the first support and withdrawing it, the one way a state moves (`move_proposal`), and moving on
time (under review once the supports are in, expired at the deadline) with officials told."""

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from civic.accounts.models import User, UserRole
from civic.common import caching, clock
from civic.common.db import commit
from civic.common.image_uploads import check_image, commit_with_image, write_image
from civic.common.markdown import render_markdown
from civic.common.ratelimit import seconds_until_allowed
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.discussions.models import TITLE_MAX_LENGTH as DISCUSSION_TITLE_MAX_LENGTH
from civic.discussions.models import Discussion
from civic.discussions.services.discussions import create_attached_discussion
from civic.errors import Conflict, InvalidInput, NotFound, RateLimited
from civic.extensions import db
from civic.mail.mailings import Message, Recipient, register_mailing_kind, start_mailing
from civic.notifications import services as notifications
from civic.permissions import Role, allowed_but_for_state, ensure_can
from civic.proposals.models import (
    ALT_TEXT_MAX_LENGTH,
    BODY_MAX_LENGTH,
    STATE_LABELS,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
    URL_MAX_LENGTH,
    Proposal,
    ProposalState,
)
from civic.proposals.services.queries import areas, days_to_collect, supports_needed

S = ProposalState
URL_ONLY = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
WEB_ADDRESS = re.compile(r"https?://[^\s/]+\.[^\s]+$")
UNDER_REVIEW_MAILING = "proposal_under_review"  # to officials: a proposal reached its supports


# --- moving between states -------------------------------------------------------------------


def state_label(state):
    return str(STATE_LABELS[getattr(state, "value", state)])


def move_proposal(proposal, target, *, only_if=None, **values):
    """Move to `target` if the table allows it from the current state, and only if nobody moved
    the proposal meanwhile (and `only_if`, a further condition, holds); otherwise raise Conflict
    and change nothing."""
    if not proposal.may_become(target):
        raise Conflict(
            _(
                "A proposal that is “%(current)s” cannot become “%(target)s”.",
                current=state_label(proposal.current_state),
                target=state_label(target),
            )
        )
    statement = update(Proposal).where(Proposal.id == proposal.id, Proposal.state == proposal.state)
    if only_if is not None:
        statement = statement.where(only_if)
    previous = proposal.current_state
    if db.session.execute(statement.values(state=target.value, **values)).rowcount != 1:
        db.session.rollback()
        raise Conflict(_("Someone changed this proposal a moment ago. Reload the page and look again."))
    db.session.refresh(proposal)
    for listener in _MOVE_LISTENERS.values():
        listener(proposal, previous, target)


# name -> function(proposal, previous state, new state), called inside the move's transaction: a
# domain built on proposals (accountability opens a record when one is accepted) registers at
# start-up, so that proposals import none of them.
_MOVE_LISTENERS = {}


def on_proposal_moved(name, listener):
    _MOVE_LISTENERS[name] = listener


def pages_changed(*proposal_ids):
    """After the commit of a move (a guarded UPDATE the page cache's watch does not see): the
    proposals' pages and the lists render afresh."""
    for proposal_id in proposal_ids:
        caching.bump("proposal", proposal_id)


# --- posting and changing --------------------------------------------------------------------


@dataclass
class ProposalFields:
    title: str = ""
    summary: str = ""
    body: str = ""
    topic: str = ""
    area: str = ""
    external_url: str = ""
    image: object = None  # an Upload (filename, stream) or None
    image_alt: str = ""
    remove_image: bool = False


@dataclass
class Upload:
    filename: str
    stream: object


def _clean_url(value):
    value = (value or "").strip()
    if value and (len(value) > URL_MAX_LENGTH or not WEB_ADDRESS.match(value)):
        raise InvalidInput(_("Enter a full web address starting with https://."), field="external_url")
    return value


def _clean(fields, *, current_image=False):
    problems, cleaned = FieldErrors(), {}
    for name, max_length, required, multiline in (
        ("title", TITLE_MAX_LENGTH, _("Say in a few words what you propose."), False),
        ("summary", SUMMARY_MAX_LENGTH, _("Sum your proposal up in a sentence or two."), True),
        ("body", BODY_MAX_LENGTH, None, True),
        ("topic", TOPIC_MAX_LENGTH, None, False),
    ):
        cleaned[name] = problems.check(
            clean_text, getattr(fields, name), field=name, max_length=max_length, required=required, multiline=multiline
        )
    for name in ("title", "summary"):
        if name not in problems and cleaned[name] and not URL_ONLY.sub("", cleaned[name]).strip(" .,;:-\n"):
            problems.add(name, _("Say it in words: a proposal cannot be only a link."))
    area = (fields.area or "").strip()
    if area and area not in areas():
        problems.add("area", _("Choose an area from the list, or none."))
    cleaned["area"] = area
    cleaned["external_url"] = problems.check(_clean_url, fields.external_url)
    has_image = bool(fields.image is not None and (fields.image.filename or "").strip())
    checked = problems.check(lambda upload: check_image(upload, "image"), fields.image) if has_image else None
    keeps_image = has_image or (current_image and not fields.remove_image)
    cleaned["image_alt"] = (
        problems.check(
            clean_text,
            fields.image_alt,
            field="image_alt",
            max_length=ALT_TEXT_MAX_LENGTH,
            required=_("Describe the image for people who cannot see it."),
        )
        if keeps_image
        else ""
    )
    problems.raise_if_any()
    cleaned["body_markdown"] = cleaned.pop("body")
    cleaned["body_html"] = render_markdown(cleaned["body_markdown"])
    return cleaned, checked


def _image_folder():
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"]) / "proposals"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remove_image_file(stored_name):
    if stored_name:
        try:
            (_image_folder() / stored_name).unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("could not remove proposal image %s", stored_name)


def image_path(proposal):
    """The file of a proposal's image, to send; NotFound when it has none."""
    if not proposal.image_stored_name:
        raise NotFound(_("This proposal has no image."))
    path = _image_folder() / proposal.image_stored_name
    if not path.is_file():
        raise NotFound(_("This image is missing."))
    return path


def create_proposal(actor, fields):
    """A citizen posts a proposal: it collects supports from now until its deadline."""
    ensure_can(actor, "proposal.create")
    cleaned, checked = _clean(fields)
    wait = seconds_until_allowed("proposal-create", actor.id, current_app.config["CIVIC_LIMIT_PROPOSAL_CREATE"])
    if wait:
        raise RateLimited(
            _(
                "You have posted several proposals recently. Please wait %(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    now = clock.now()
    proposal = Proposal(
        author_id=actor.id,
        author_name=actor.display_name,
        state=S.OPEN.value,
        published_at=now,
        deadline=now + timedelta(days=days_to_collect()),
        supports_needed=supports_needed(),
        **cleaned,
    )
    written = None
    if checked is not None:
        written = write_image(fields.image, checked.kind, _image_folder())
        proposal.image_stored_name, proposal.image_content_type = written[1], checked.kind.content_type
    db.session.add(proposal)
    db.session.flush()
    proposal.discussion_id = create_attached_discussion("proposal", proposal.id, proposal.title).id
    commit_with_image(written, _image_folder())
    return proposal


def update_proposal(actor, proposal, fields):
    """Its author changes the proposal until the first support arrives (a supporter supported
    what they read)."""
    if allowed_but_for_state(actor, "proposal.edit", proposal):
        raise Conflict(_("This proposal has supporters now, so its text can no longer change."))
    ensure_can(actor, "proposal.edit", proposal)
    cleaned, checked = _clean(fields, current_image=bool(proposal.image_stored_name))
    old_image = proposal.image_stored_name if (checked is not None or fields.remove_image) else None
    for name, value in cleaned.items():
        setattr(proposal, name, value)
    discussion = db.session.get(Discussion, proposal.discussion_id) if proposal.discussion_id else None
    if discussion is not None:  # its title names the proposal in lists and notifications
        discussion.title = proposal.title[:DISCUSSION_TITLE_MAX_LENGTH]
    written = None
    if checked is not None:
        written = write_image(fields.image, checked.kind, _image_folder())
        proposal.image_stored_name, proposal.image_content_type = written[1], checked.kind.content_type
    elif fields.remove_image:
        proposal.image_stored_name, proposal.image_content_type = None, ""
    # Only while it has no support: a support arriving meanwhile stops the change.
    changed = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.support_count == 0, Proposal.state == S.OPEN.value)
        .values(updated_at=clock.now())
    ).rowcount
    if changed != 1:
        db.session.rollback()
        if written:
            written[0].unlink(missing_ok=True)
        raise Conflict(_("This proposal has supporters now, so its text can no longer change."))
    commit_with_image(written, _image_folder())
    _remove_image_file(old_image)
    return proposal


def withdraw_proposal(actor, proposal):
    """Its author withdraws it: it stays readable, marked, and takes no more supports."""
    if allowed_but_for_state(actor, "proposal.withdraw", proposal):
        raise Conflict(_("Only a proposal still collecting supports can be withdrawn."))
    ensure_can(actor, "proposal.withdraw", proposal)
    move_proposal(proposal, S.WITHDRAWN, withdrawn_at=clock.now())
    commit()
    pages_changed(proposal.id)
    return proposal


# --- moving on time --------------------------------------------------------------------------


def start_review(proposal):
    """The supports are in: the proposal goes under review (once, however many supports race),
    and officials are told. In its own transaction, after the support's."""
    now = clock.now()
    threshold = (Proposal.support_count + Proposal.imported_support_count) >= Proposal.supports_needed
    changed = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == S.OPEN.value, threshold)
        .values(state=S.UNDER_REVIEW.value, review_started_at=now)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        return False
    told = _tell_officials(proposal)
    commit()
    pages_changed(proposal.id)
    notifications.push_unread_counts(told)
    db.session.refresh(proposal)
    return True


def _official_ids():
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.disabled_at.is_(None), User.roles.any(UserRole.role.in_([Role.OFFICIAL.value])))
            .order_by(User.id)
        )
    )


def _tell_officials(proposal):
    people = _official_ids()
    for user_id in people:
        notifications.add(user_id, "proposal_under_review", None, proposal=proposal)
    start_mailing(UNDER_REVIEW_MAILING, "proposal", proposal.id)
    return people


def move_due_proposals(now=None):
    """Write down what time decided (`flask civic tick`): open proposals with their supports go
    under review (officials told), those past their deadline without them expire. Returns
    (under review, expired)."""
    now = now or clock.now()
    reviewed = 0
    reached = (Proposal.support_count + Proposal.imported_support_count) >= Proposal.supports_needed
    for proposal in list(db.session.scalars(select(Proposal).where(Proposal.state == S.OPEN.value, reached))):
        reviewed += bool(start_review(proposal))
    due = (Proposal.state == S.OPEN.value, Proposal.deadline <= now, ~reached)
    expired = list(db.session.scalars(select(Proposal.id).where(*due)))
    if expired:
        db.session.execute(
            update(Proposal)
            .where(Proposal.id.in_(expired), *due)
            .values(state=S.EXPIRED.value, expired_at=Proposal.deadline)
        )
    commit()
    pages_changed(*expired)
    return reviewed, len(expired)


def _officials_to_tell(mailing, after, limit):
    people = db.session.scalars(
        select(User)
        .where(
            User.id > after,
            User.disabled_at.is_(None),
            User.roles.any(UserRole.role.in_([Role.OFFICIAL.value])),
        )
        .order_by(User.id)
        .limit(limit)
    )
    return [Recipient(key=u.id, email=u.email, language=u.language, context={"user": u}) for u in people]


def _under_review_message(mailing):
    proposal = db.session.get(Proposal, mailing.about_id)
    if proposal is None:
        return None
    return Message(
        lambda: _("A proposal needs an answer: “%(title)s”", title=proposal.title),
        "proposal_under_review",
        {"proposal": proposal, "url": external_url("proposals.show", proposal_id=proposal.id)},
    )


def register_lifecycle_mailings():
    register_mailing_kind(UNDER_REVIEW_MAILING, recipients=_officials_to_tell, message=_under_review_message)
