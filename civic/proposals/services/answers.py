"""Officials' side: answering a proposal with a public explanation (supporters and followers
told in-app at once and by email in batches), marking an accepted one implemented, and merging a
duplicate into another proposal (its supports move, each person counted once). Every step is
audited in the same transaction."""

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, literal, select, union, update
from sqlalchemy.orm import aliased

from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit
from civic.common.markdown import render_markdown
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.mail.mailings import Message, Recipient, register_mailing_kind, start_mailing
from civic.notifications import services as notifications
from civic.notifications.models import Notification
from civic.permissions import allowed_but_for_state, can, ensure_can
from civic.proposals.models import (
    ANSWERS,
    EXPLANATION_MAX_LENGTH,
    MERGE_TARGETS,
    Proposal,
    ProposalFollow,
    ProposalState,
    Support,
)
from civic.proposals.services.lifecycle import move_proposal, pages_changed, start_review, state_label
from civic.proposals.services.supporting import rebuild_support_days

S = ProposalState
ANSWER_MAILING = "proposal_answered"  # to supporters and followers
ANSWER_CHOICES = (S.ACCEPTED, S.REJECTED, S.ALREADY_PLANNED, S.NOT_COMPETENT, S.MORE_INFORMATION)


def _people(proposal_id):
    """Supporters and followers of a proposal, as one SELECT of user ids."""
    return union(
        select(Support.user_id).where(Support.proposal_id == proposal_id),
        select(ProposalFollow.user_id).where(ProposalFollow.proposal_id == proposal_id),
    )


def _notify_people(proposal, kind):
    """One notification to each supporter and follower, written by one INSERT ... SELECT (a
    proposal may have thousands); returns their ids for push_unread_counts after the commit."""
    people = _people(proposal.id).subquery()
    now = clock.now()
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "proposal_id", "created_at"],
            select(people.c.user_id, literal(kind), literal(proposal.id), literal(now, Notification.created_at.type)),
        )
    )
    return list(db.session.scalars(select(people.c.user_id)))


def _ensure_may(actor, action, proposal, not_now):
    if allowed_but_for_state(actor, action, proposal):
        raise Conflict(not_now)
    ensure_can(actor, action, proposal)


def answer_proposal(actor, proposal, outcome, explanation):
    """The council's answer (any of ANSWERS) with its public explanation. A first answer, or a
    changed one, tells supporters and followers."""
    _ensure_may(
        actor, "proposal.answer", proposal, _("A withdrawn, merged or implemented proposal cannot be answered.")
    )
    problems = FieldErrors()
    try:
        target = S(outcome)
    except ValueError:
        target = None
    if target not in ANSWERS:
        problems.add("outcome", _("Choose the answer."))
    explanation = problems.check(
        clean_text,
        explanation,
        field="explanation",
        max_length=EXPLANATION_MAX_LENGTH,
        required=_("Explain the answer: it is published with it."),
    )
    problems.raise_if_any()
    now = clock.now()
    values = {
        "answer_markdown": explanation,
        "answer_html": render_markdown(explanation),
        "answered_at": now,
        "answered_by_id": actor.id,
    }
    changed_outcome = target is not proposal.current_state
    if changed_outcome:
        move_proposal(proposal, target, **values)
    else:  # the same answer, its explanation reworded
        for name, value in values.items():
            setattr(proposal, name, value)
    record_staff_action(
        actor,
        "proposal.answer",
        "proposal",
        proposal.id,
        proposal.title,
        details={"outcome": target.value},
    )
    told = []
    if changed_outcome:
        told = _notify_people(proposal, "proposal_answered")
        start_mailing(ANSWER_MAILING, "proposal", proposal.id)
    commit()
    pages_changed(proposal.id)
    notifications.push_unread_counts(told)
    return proposal


def mark_implemented(actor, proposal, note):
    """An accepted proposal has been carried out; supporters and followers are told."""
    _ensure_may(actor, "proposal.answer", proposal, _("Only an accepted proposal can be marked as implemented."))
    if proposal.current_state is not S.ACCEPTED:
        raise Conflict(_("Only an accepted proposal can be marked as implemented."))
    note = clean_text(note, field="note", max_length=EXPLANATION_MAX_LENGTH)
    markdown = proposal.answer_markdown + (f"\n\n{note}" if note else "")
    move_proposal(proposal, S.IMPLEMENTED, answer_markdown=markdown, answer_html=render_markdown(markdown))
    record_staff_action(actor, "proposal.implemented", "proposal", proposal.id, proposal.title)
    told = _notify_people(proposal, "proposal_answered")
    start_mailing(ANSWER_MAILING, "proposal", proposal.id)
    commit()
    pages_changed(proposal.id)
    notifications.push_unread_counts(told)
    return proposal


# --- merging duplicates ----------------------------------------------------------------------


def merge_proposal(actor, duplicate, target_id, explanation=""):
    """Mark `duplicate` as a duplicate of the target: its supports and followers move to the
    target, each person once (who supported both counts once), and the target's count is counted
    again from its supports. Imported figures stay with their own proposal: they are not people."""
    _ensure_may(actor, "proposal.merge", duplicate, _("This proposal can no longer be merged."))
    target = db.session.get(Proposal, target_id) if isinstance(target_id, int) else None
    if target is None or target.id == duplicate.id:
        raise InvalidInput(_("Give the number of another proposal."), field="target_id")
    if target.current_state not in MERGE_TARGETS:
        raise InvalidInput(
            _(
                "Proposal %(id)d is “%(state)s”: choose one that is not withdrawn or merged.",
                id=target.id,
                state=state_label(target.current_state),
            ),
            field="target_id",
        )
    explanation = clean_text(explanation, field="explanation", max_length=EXPLANATION_MAX_LENGTH)
    now = clock.now()
    moved = {}
    for model in (Support, ProposalFollow):
        theirs = aliased(model)
        already = exists().where(theirs.proposal_id == target.id, theirs.user_id == model.user_id)
        moved[model] = db.session.execute(
            update(model)
            .where(model.proposal_id == duplicate.id, ~already)
            .values(proposal_id=target.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.execute(delete(model).where(model.proposal_id == duplicate.id))
    move_proposal(
        duplicate,
        S.DUPLICATE,
        merged_into_id=target.id,
        merged_at=now,
        support_count=0,  # they count for the target now
        answer_markdown=explanation,
        answer_html=render_markdown(explanation),
        answered_by_id=actor.id,
    )
    count = db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == target.id))
    db.session.execute(update(Proposal).where(Proposal.id == target.id).values(support_count=count))
    rebuild_support_days(target.id)
    rebuild_support_days(duplicate.id)
    record_staff_action(
        actor,
        "proposal.merge",
        "proposal",
        duplicate.id,
        duplicate.title,
        details={"into": target.id, "supports_moved": moved[Support]},
    )
    commit()
    pages_changed(duplicate.id, target.id)
    db.session.refresh(target)
    if can(None, "proposal.support", target) and target.total_supports >= target.supports_needed:
        start_review(target)
    return target


# --- mail ------------------------------------------------------------------------------------


def _supporters_and_followers(mailing, after, limit):
    people = db.session.scalars(
        select(User)
        .where(User.id > after, User.disabled_at.is_(None), User.id.in_(_people(mailing.about_id)))
        .order_by(User.id)
        .limit(limit)
    )
    return [Recipient(key=u.id, email=u.email, language=u.language, context={"user": u}) for u in people]


def _answer_message(mailing):
    proposal = db.session.get(Proposal, mailing.about_id)
    if proposal is None:
        return None
    return Message(
        lambda: _("The council answered “%(title)s”", title=proposal.title),
        "proposal_answered",
        {"proposal": proposal, "url": external_url("proposals.show", proposal_id=proposal.id)},
    )


def register_answer_mailings():
    register_mailing_kind(ANSWER_MAILING, recipients=_supporters_and_followers, message=_answer_message)
