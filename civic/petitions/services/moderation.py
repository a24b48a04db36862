"""Moderation: approving a petition (it opens for a set number of months), rejecting it with a
standard reason (hidden for some reasons), and flagging it for a second opinion; each audited. And
hiding a published petition that readers reported, pending review, and showing it again."""

import calendar
from datetime import datetime, time

from flask import current_app
from flask_babel import gettext as _

from civic.audit.services import record_staff_action
from civic.common import caching, clock
from civic.common.db import commit as _commit
from civic.common.validation import FieldErrors, clean_text
from civic.discussions.services.discussions import create_attached_discussion
from civic.extensions import db
from civic.permissions import allowed_but_for_state, ensure_can
from civic.petitions.models import COMMENT_MAX_LENGTH, HIDING_REASONS, Petition, PetitionState, RejectionReason
from civic.petitions.services.lifecycle import move_petition, refused_move, tell_creator

S = PetitionState


def _add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def closing_time(opened_at):
    """The end of the local day, CIVIC_PETITION_OPEN_MONTHS after opening."""
    local_day = _add_months(clock.utc_to_local(opened_at).date(), current_app.config["CIVIC_PETITION_OPEN_MONTHS"])
    return clock.local_to_utc(datetime.combine(local_day, time(23, 59, 59)))


def _ensure_may_move(actor, action, petition, target):
    """The moderator's role first (403); then the state, which says why this one cannot move (409)."""
    if allowed_but_for_state(actor, action, petition):
        raise refused_move(petition, target)
    ensure_can(actor, action, petition)


def approve_petition(actor, petition):
    _ensure_may_move(actor, "petition.moderate", petition, S.OPEN)
    now = clock.now()
    move_petition(
        petition, S.OPEN, moderated_at=now, moderated_by_id=actor.id, opened_at=now, closes_at=closing_time(now)
    )
    if petition.discussion_id is None:
        petition.discussion_id = create_attached_discussion("petition", petition.id, petition.title).id
    record_staff_action(actor, "petition.approve", "petition", petition.id, petition.title)
    _commit()
    tell_creator(petition, "petition_opened", lambda: _("Your petition is open for signatures"))
    return petition


def reject_petition(actor, petition, reason, comment="", *, duplicate_of_id=None):
    """Rejected with a standard reason and an optional comment; petitions rejected for being
    offensive or containing personal data are hidden, the others stay visible with the reason."""
    _ensure_may_move(actor, "petition.moderate", petition, S.REJECTED)
    problems = FieldErrors()
    try:
        reason = RejectionReason(reason)
    except ValueError:
        problems.add("reason", _("Choose a reason."))
    comment = problems.check(clean_text, comment, field="comment", max_length=COMMENT_MAX_LENGTH)
    duplicate = None
    if reason is RejectionReason.DUPLICATE:
        try:
            duplicate = db.session.get(Petition, int(duplicate_of_id)) if duplicate_of_id not in (None, "") else None
        except (TypeError, ValueError):
            duplicate = None
        if duplicate is None or duplicate.id == petition.id or not duplicate.is_public:
            problems.add("duplicate_of_id", _("Give the number of the published petition this one duplicates."))
    problems.raise_if_any()
    target = S.HIDDEN if reason in HIDING_REASONS else S.REJECTED
    move_petition(
        petition,
        target,
        moderated_at=clock.now(),
        moderated_by_id=actor.id,
        rejection_reason=reason.value,
        rejection_comment=comment,
        duplicate_of_id=duplicate.id if duplicate else None,
    )
    record_staff_action(
        actor,
        "petition.reject",
        "petition",
        petition.id,
        petition.title,
        comment,
        {"reason": reason.value, "hidden": target is S.HIDDEN, "duplicate_of": duplicate.id if duplicate else None},
    )
    _commit()
    tell_creator(petition, "petition_rejected", lambda: _("Your petition was not accepted"))
    return petition


def flag_petition(actor, petition, note):
    """Ask another moderator for a second opinion."""
    _ensure_may_move(actor, "petition.flag", petition, S.FLAGGED)
    note = clean_text(
        note, field="note", max_length=COMMENT_MAX_LENGTH, required=_("Say what the second moderator should look at.")
    )
    move_petition(petition, S.FLAGGED, flag_note=note)
    record_staff_action(actor, "petition.flag", "petition", petition.id, petition.title, note)
    _commit()
    return petition


# --- hidden pending review (civic.moderation.kinds) ---------------------------------------------


def hide_petition_in_transaction(actor, petition, reason):
    """Hide a published petition in the caller's transaction (the caller checked the permission and
    commits, then calls announce_petition_hidden): moved to HIDDEN, so out of every public list,
    count, export and feed; the reason kept in `rejection_comment` and no rejection reason, which
    tells it from a petition a moderator rejected. Audited as `petition.hide` by `actor` (None:
    readers' reports). False if it is not published (hidden or rejected already)."""
    if not petition.is_hideable_by_reports:
        return False
    move_petition(petition, S.HIDDEN, rejection_comment=(reason or "")[:COMMENT_MAX_LENGTH])
    record_staff_action(actor, "petition.hide", "petition", petition.id, petition.title, reason)
    return True


def show_petition_again(petition):
    """Undo a hiding by reports after review: open again until its closing time, or closed if that
    passed meanwhile (the caller commits and audits the decision). False for any other petition."""
    if not petition.is_hidden_pending_review:
        return False
    if petition.closes_at is not None and petition.closes_at > clock.now():
        move_petition(petition, S.OPEN, rejection_comment="")
    else:
        move_petition(petition, S.CLOSED, rejection_comment="", closed_at=petition.closed_at or petition.closes_at)
    return True


def announce_petition_hidden(petition):
    """After the commit: its page, the lists and the figures render afresh."""
    caching.bump("petition", petition.id)
