"""Moderation decisions (issue 14, DSA art. 17): deciding about content or a person through the kind
table, the statement of reasons sent to the person concerned, their one appeal, and its decision by
another moderator. Every decision is recorded here and nowhere else, with its audit entry."""

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.consultations.models import Statement
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound, ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.moderation.kinds import kind_named
from civic.moderation.models import (
    APPEAL_MAX_LENGTH,
    APPEALABLE,
    CONTENT_ACTIONS,
    EXPLANATION_MAX_LENGTH,
    REASON_LABELS,
    SANCTIONS,
    SUSPENSION_MAX_DAYS,
    USER_KIND,
    AppealOutcome,
    DecisionAction,
    ModerationDecision,
    Report,
    ReportReason,
    ReportState,
)
from civic.permissions import can, ensure_can
from civic.petitions.models import Petition

A = DecisionAction
# The audit codes of decisions this module writes itself (a hiding is audited by its kind's `hide`).
AUDIT_ACTIONS = {
    A.RESTORE: "content.restore",
    A.WARN: "user.warn",
    A.SUSPEND: "user.suspend",
    A.BAN: "user.ban",
}
MAILED_DECISIONS_LISTED = 50  # in one mail about many decisions; the rest are on the person's decisions page
APPEAL_AUDIT_ACTIONS = {AppealOutcome.UPHELD: "appeal.uphold", AppealOutcome.REVERSED: "appeal.reverse"}


def public_reason_text(reason_code):
    """Why content is hidden, for the public (shown after "Hidden by moderation:"): the standard
    reason's label, stored once in the site's language."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return str(REASON_LABELS[ReportReason(reason_code)])


def _parse(action, reason_code, explanation, days):
    problems = FieldErrors()
    try:
        action = DecisionAction(action)
    except ValueError:
        action = None
        problems.add("action", _("Choose what to decide."))
    if action is A.HIDE_PENDING_REVIEW:  # automatic only (record_automatic_hide)
        action = None
        problems.add("action", _("Choose what to decide."))
    try:
        reason_code = ReportReason(reason_code)
    except ValueError:
        problems.add("reason", _("Choose a reason."))
    explanation = clean_text(
        explanation,
        field="explanation",
        max_length=EXPLANATION_MAX_LENGTH,
        required=_("Explain the decision: the person concerned reads it."),
        too_long=_("Keep the explanation under %(n)d characters.", n=EXPLANATION_MAX_LENGTH),
        multiline=True,
    )
    if action is A.SUSPEND:
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= SUSPENSION_MAX_DAYS:
            problems.add("days", _("Suspend for 1 to %(max)d days.", max=SUSPENSION_MAX_DAYS))
    problems.raise_if_any()
    return action, reason_code, explanation, days


def decide(actor, kind_name, content_id, action, reason_code, explanation, *, days=None):
    """A moderator decides about content (`kind_name` a kind of civic.moderation.kinds: hide,
    restore) or a person (`kind_name` "user", `content_id` their id: warn, suspend for `days`, ban),
    with a standard reason (ReportReason) and their own words. The change, the decision and its
    audit entry commit together; then the change is pushed live and the person concerned is sent
    the statement of reasons."""
    ensure_can(actor, "moderation.decide")
    action, reason_code, explanation, days = _parse(action, reason_code, explanation, days)
    if kind_name == USER_KIND:
        if action not in SANCTIONS:
            raise InvalidInput(_("A person can be warned, suspended or banned."), field="action")
        decision, announce = _sanction(actor, content_id, action, reason_code, explanation, days)
    else:
        if action not in CONTENT_ACTIONS:
            raise InvalidInput(_("Content can be hidden or shown again."), field="action")
        decision, announce = _decide_content(actor, kind_name, content_id, action, reason_code, explanation)
    _commit()
    announce()
    tell_subject(decision, "decision")
    return decision


def _load(kind_name, content_id):
    kind = kind_named(kind_name)
    item = kind.load(content_id) if kind is not None else None
    if item is None:
        raise NotFound(_("That content does not exist."))
    return kind, item


def _entries_written(work):
    """Run work() and return what it returned and the audit entries it added to the session."""
    before = {obj for obj in db.session.new if isinstance(obj, AuditEntry)}
    result = work()
    return result, [obj for obj in db.session.new if isinstance(obj, AuditEntry) and obj not in before]


def _record(decision, entries):
    db.session.add(decision)
    db.session.flush()
    if entries:
        decision.audit_entry_id = entries[-1].id
    return decision


def _decide_content(actor, kind_name, content_id, action, reason_code, explanation):
    kind, item = _load(kind_name, content_id)
    if action is A.HIDE:
        decision = hide_in_transaction(actor, kind, item, reason_code, explanation)
        if decision is None:
            raise Conflict(_("This content is hidden already."))
        # Hidden from its own Hide page, as from the queue: the reports that asked for it are upheld.
        uphold_reports(actor, kind, item.id, reason_code)
    else:
        decision = restore_in_transaction(actor, kind, item, reason_code, explanation)
        if decision is None:
            raise Conflict(_("This content is not hidden."))
    return decision, lambda: kind.announce(item)


def restore_in_transaction(actor, kind, item, reason_code, explanation=""):
    """A moderator shows `item` (of `kind`) again, in the caller's transaction: through the kind
    table, audited `content.restore` (the one audit action of showing again, from a decision or
    the queue) and recorded as a RESTORE decision. Returns the decision, or None when the item was
    not hidden. The caller commits, then announces the change and calls tell_subject(decision,
    "decision")."""
    if not kind.is_hidden(item) or not kind.show_again(item):
        return None
    entry = record_staff_action(
        actor,
        AUDIT_ACTIONS[A.RESTORE],
        kind.name,
        item.id,
        kind.excerpt(item)[:200],
        explanation,
        {"reason": str(reason_code)},
    )
    decision = _about_content(A.RESTORE, kind, item, reason_code, explanation, actor.id)
    return _record(decision, [entry])


def hiding_reasons(kind_name, ids):
    """{content id: the reason of its latest hiding decision (by a moderator or by reports)}, one
    query: the reason a restore from the queue, where no reason is typed, records."""
    if not ids:
        return {}
    latest = (
        select(ModerationDecision.content_id, func.max(ModerationDecision.id).label("last"))
        .where(
            ModerationDecision.content_kind == kind_name,
            ModerationDecision.content_id.in_(list(ids)),
            ModerationDecision.action.in_([A.HIDE, A.HIDE_PENDING_REVIEW]),
        )
        .group_by(ModerationDecision.content_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ModerationDecision.content_id, ModerationDecision.reason).join(
            latest, ModerationDecision.id == latest.c.last
        )
    )
    return dict(rows.all())


def _about_content(action, kind, item, reason_code, explanation, moderator_id):
    """A decision about `item` of `kind`, concerning its author (moderator_id None: automatic)."""
    return ModerationDecision(
        action=action,
        content_kind=kind.name,
        content_id=item.id,
        subject_id=kind.author_id(item),
        reason=reason_code,
        explanation=explanation,
        moderator_id=moderator_id,
        created_at=clock.now(),
    )


def uphold_reports(actor, kind, content_id, reason_code, reports=None):
    """The item's open reports (`reports`, when the caller loaded them for a batch) upheld: the
    content was moderated. In the caller's transaction, audited `report.uphold` with the reason
    code; returns how many. The one place reports are upheld: a hiding from the queue or from the
    item's Hide page."""
    if reports is None:
        reports = db.session.scalars(
            select(Report).where(
                Report.content_kind == kind.name, Report.content_id == content_id, Report.state == ReportState.OPEN
            )
        ).all()
    if not reports:
        return 0
    now = clock.now()
    for report in reports:
        report.state, report.decided_at = ReportState.UPHELD, now
    record_staff_action(
        actor,
        "report.uphold",
        kind.name,
        content_id,
        f"{kind.name} #{content_id}",
        details={"reason": str(reason_code), "reports": len(reports)},
    )
    return len(reports)


def hide_in_transaction(actor, kind, item, reason_code, explanation):
    """A moderator hides `item` (of `kind`), in the caller's transaction: the hiding through the kind
    table, its decision and audit entry. The public reads the reason's label; the explanation is for
    the author. Returns the decision, or None when the item was hidden already. The caller commits,
    then announces the change and calls tell_subject(decision, "decision"). The caller checked
    `moderation.decide` (or the queue's rule) and the reason code."""
    changed, entries = _entries_written(lambda: kind.hide(item, actor, public_reason_text(reason_code)))
    if not changed:
        return None
    decision = _about_content(A.HIDE, kind, item, reason_code, explanation, actor.id)
    return _record(decision, entries)


def _sanction(actor, user_id, action, reason_code, explanation, days):
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound(_("That person does not exist."))
    if person.id == actor.id:
        raise Conflict(_("You cannot sanction yourself."))
    now = clock.now()
    until = now + timedelta(days=days) if action is A.SUSPEND else None
    if action is A.SUSPEND:
        person.suspended_until = until
    elif action is A.BAN:
        person.banned_at = now
    details = {"reason": str(reason_code)}
    if until is not None:
        details["days"] = days
    entry = record_staff_action(
        actor, AUDIT_ACTIONS[action], USER_KIND, person.id, person.display_name, explanation, details
    )
    decision = ModerationDecision(
        action=action,
        content_kind=USER_KIND,
        content_id=person.id,
        subject_id=person.id,
        reason=reason_code,
        explanation=explanation,
        moderator_id=actor.id,
        created_at=now,
        until=until,
    )
    return _record(decision, [entry]), lambda: None


def record_automatic_hide(kind_name, item, reason_code, public_text):
    """Readers' reports hid `item` pending review (civic.moderation.services.reports), in the caller's
    transaction: the hiding goes through the kind table and is recorded as an automatic decision
    (no moderator), which its author may appeal. Returns the decision, or None if it was hidden
    already. The caller commits, then calls notify_automatic_hide."""
    kind = kind_named(kind_name)
    changed, entries = _entries_written(lambda: kind.hide(item, None, public_text))
    if not changed:
        return None
    decision = _about_content(A.HIDE_PENDING_REVIEW, kind, item, reason_code, "", None)
    return _record(decision, entries)


# The person concerned ------------------------------------------------------------------------


def appeal_deadline(decision):
    return decision.created_at + timedelta(days=current_app.config["CIVIC_APPEAL_DAYS"])


def may_still_appeal(decision):
    """Appealable, not appealed yet, and within the appeal window."""
    return decision.action in APPEALABLE and decision.appealed_at is None and clock.now() <= appeal_deadline(decision)


def my_decisions(actor):
    """The decisions about this person, newest first."""
    ensure_can(actor, "decision.list_mine")
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.subject_id == actor.id)
            .order_by(ModerationDecision.created_at.desc(), ModerationDecision.id.desc())
        )
    )


def get_my_decision(actor, decision_id):
    """One decision about this person (NotFound for anyone else's: its existence is not theirs to know)."""
    ensure_can(actor, "decision.list_mine")
    decision = db.session.get(ModerationDecision, decision_id)
    if decision is None or not can(actor, "decision.appeal", decision):
        raise NotFound(_("That decision does not exist."))
    return decision


def decided_content(decision):
    """(kind, item) the decision is about, or (None, None): a person, or content since deleted."""
    return decided_content_of(decision.content_kind, decision.content_id)


def decided_content_of(kind_name, content_id):
    """(kind, item) for a moderator's page, or (kind or None, None)."""
    kind = kind_named(kind_name)
    return kind, (kind.load(content_id) if kind is not None else None)


def decisions_about(actor, user_id):
    """Every decision about a person, newest first (the moderators' page about them)."""
    ensure_can(actor, "moderation.decide")
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.subject_id == user_id)
            .order_by(ModerationDecision.created_at.desc(), ModerationDecision.id.desc())
        )
    )


def appeal_decision(actor, decision_id, text):
    """The person concerned appeals, once, within CIVIC_APPEAL_DAYS, with a text; the moderators see
    it among the open appeals."""
    decision = get_my_decision(actor, decision_id)
    ensure_can(actor, "decision.appeal", decision)
    if decision.action not in APPEALABLE:
        raise Conflict(_("This decision cannot be appealed."))
    if decision.appealed_at is not None:
        raise Conflict(_("You have appealed this decision already: each decision can be appealed once."))
    if clock.now() > appeal_deadline(decision):
        raise Conflict(_("The time to appeal this decision has passed."))
    decision.appeal_text = clean_text(
        text,
        field="text",
        max_length=APPEAL_MAX_LENGTH,
        required=_("Say why the decision should be changed."),
        too_long=_("Keep your appeal under %(n)d characters.", n=APPEAL_MAX_LENGTH),
        multiline=True,
    )
    decision.appealed_at = clock.now()
    _commit()
    return decision


# Appeals, for moderators ----------------------------------------------------------------------


def open_appeals(actor):
    """Appeals waiting for a decision, oldest first."""
    ensure_can(actor, "moderation.list_appeals")
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.appealed_at.isnot(None), ModerationDecision.appeal_outcome.is_(None))
            .order_by(ModerationDecision.appealed_at, ModerationDecision.id)
        )
    )


def get_decision(actor, decision_id):
    ensure_can(actor, "moderation.list_appeals")
    decision = db.session.get(ModerationDecision, decision_id)
    if decision is None:
        raise NotFound(_("That decision does not exist."))
    return decision


def decide_appeal(actor, decision_id, outcome, explanation):
    """Another moderator than the one who decided upholds or reverses the decision. Reversing shows
    the content again through the kind table, or lifts the suspension or ban. Audited; the person
    concerned is told."""
    decision = get_decision(actor, decision_id)
    if decision.moderator_id is not None and decision.moderator_id == actor.id:
        raise NotAllowed(_("You made this decision: another moderator must decide its appeal."))
    ensure_can(actor, "moderation.decide_appeal", decision)
    if not decision.appeal_is_open:
        raise Conflict(_("There is no open appeal of this decision."))
    try:
        outcome = AppealOutcome(outcome)
    except ValueError:
        raise InvalidInput(_("Uphold or reverse the decision."), field="outcome") from None
    explanation = clean_text(
        explanation,
        field="explanation",
        max_length=EXPLANATION_MAX_LENGTH,
        required=_("Explain the decision on the appeal: the person concerned reads it."),
        too_long=_("Keep the explanation under %(n)d characters.", n=EXPLANATION_MAX_LENGTH),
        multiline=True,
    )
    announce = _undo(decision) if outcome is AppealOutcome.REVERSED else (lambda: None)
    decision.appeal_outcome = outcome
    decision.appeal_explanation = explanation
    decision.appeal_decided_by_id = actor.id
    decision.appeal_decided_at = clock.now()
    record_staff_action(
        actor,
        APPEAL_AUDIT_ACTIONS[outcome],
        "decision",
        decision.id,
        f"{decision.content_kind} #{decision.content_id}",
        explanation,
        {"decision_action": str(decision.action)},
    )
    _commit()
    announce()
    tell_subject(decision, "appeal_decided")
    return decision


def _undo(decision):
    if decision.is_about_a_person:
        person = db.session.get(User, decision.content_id)
        if person is not None and decision.action == A.SUSPEND:
            person.suspended_until = None
        elif person is not None and decision.action == A.BAN:
            person.banned_at = None
        return lambda: None
    kind, item = decided_content(decision)
    if item is None or not kind.is_hidden(item):
        return lambda: None
    kind.show_again(item)
    return lambda: kind.announce(item)


# Decisions other domains take with their own services --------------------------------------------

# Who wrote the petitions and statements that their own services reject, until those kinds are in
# the kind table (civic.moderation.kinds), whose `author_id` is then used instead.
_AUTHORS = {"petition": (Petition, "creator_id"), "statement": (Statement, "author_id")}


def record_rejection(entry):
    """An audit listener (registered from create_app for `petition.reject` and `statement.reject`):
    the rejection, in the same transaction, becomes an appealable decision. A petition keeps its
    own standard reason (RejectionReason, whose labels are registered for the kind "petition"); a
    statement has none, so its reason is "other" and the moderator's words explain it. Their
    services mail the creator themselves (a petition's creator) or not at all (statements): the
    statement of reasons is on the author's decisions page."""
    kind_name = entry.target_type
    details = entry.details or {}
    model, column = _AUTHORS[kind_name]
    kind = kind_named(kind_name)
    item = kind.load(entry.target_id) if kind is not None else db.session.get(model, entry.target_id)
    if item is None:
        return
    subject_id = kind.author_id(item) if kind is not None else getattr(item, column)
    db.session.flush()  # the entry's id
    db.session.add(
        ModerationDecision(
            action=A.HIDE if details.get("hidden") else A.REJECT,
            content_kind=kind_name,
            content_id=entry.target_id,
            subject_id=subject_id,
            reason=details.get("reason") or ReportReason.OTHER,
            explanation=entry.reason or "",
            moderator_id=entry.actor_id,
            created_at=clock.now(),
            audit_entry_id=entry.id,
        )
    )


# Mail and the public log ----------------------------------------------------------------------


def tell_subject(decision, template):
    """Email the person concerned their statement of reasons, or the outcome of their appeal, in
    their language (best effort: the decision stands either way)."""
    person = db.session.get(User, decision.subject_id) if decision.subject_id else None
    if person is None or person.disabled_at is not None or not person.email:
        return
    subjects = {
        "decision": lambda: _("A moderation decision about you"),
        "appeal_decided": lambda: _("The decision on your appeal"),
    }
    try:
        send_mail(
            person.email,
            subjects[template],
            f"moderation_{template}",
            language=person.language,
            user=person,
            decision=decision,
            deadline=appeal_deadline(decision),
            url=external_url("moderation.my_decision", decision_id=decision.id),
        )
    except ServiceUnavailable:
        current_app.logger.warning("mail %s about decision %s not sent", template, decision.id)


def tell_subjects(decisions_made):
    """After a batch of decisions (a bulk action of the queue): each person concerned is sent one
    mail, the statement of reasons when there is one decision about them, else one mail listing
    them, each with the page of its statement of reasons and appeal, so that hiding 200 of one
    person's items sends them one mail and not 200 (best effort, as tell_subject)."""
    by_subject = {}
    for decision in decisions_made:
        by_subject.setdefault(decision.subject_id, []).append(decision)
    for subject_id, theirs in by_subject.items():
        if subject_id is None or len(theirs) == 1:
            for decision in theirs:
                tell_subject(decision, "decision")
        else:
            _tell_many(subject_id, theirs)


def _tell_many(subject_id, theirs):
    person = db.session.get(User, subject_id)
    if person is None or person.disabled_at is not None or not person.email:
        return
    listed = [
        (decision, external_url("moderation.my_decision", decision_id=decision.id))
        for decision in theirs[:MAILED_DECISIONS_LISTED]
    ]
    explanations = {decision.explanation for decision in theirs}
    try:
        send_mail(
            person.email,
            lambda: ngettext(
                "%(num)d moderation decision about you", "%(num)d moderation decisions about you", len(theirs)
            ),
            "moderation_decisions",
            language=person.language,
            user=person,
            count=len(theirs),
            listed=listed,
            more=len(theirs) - len(listed),
            explanation=explanations.pop() if len(explanations) == 1 else "",
            deadline=min(appeal_deadline(decision) for decision in theirs),
            all_url=external_url("moderation.my_decisions"),
        )
    except ServiceUnavailable:
        current_app.logger.warning("mail about %d decisions for user %s not sent", len(theirs), subject_id)


def appeal_states(audit_entry_ids):
    """For the public moderation log: {audit entry id: (appealed, outcome code or None)} of the
    decisions those entries record (registered with civic.audit.public_log from create_app)."""
    if not audit_entry_ids:
        return {}
    rows = db.session.execute(
        select(
            ModerationDecision.audit_entry_id, ModerationDecision.appealed_at, ModerationDecision.appeal_outcome
        ).where(ModerationDecision.audit_entry_id.in_(list(audit_entry_ids)))
    )
    return {entry_id: (appealed_at is not None, outcome) for entry_id, appealed_at, outcome in rows}
