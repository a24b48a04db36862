"""Pol.is-style statements: officials seed them, participants write and vote on them (agree,
disagree, pass; every vote kept, the last one counts), moderators approve them; and the import
of an earlier Pol.is conversation with all its votes."""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from civic import premoderation
from civic.audit.services import record_staff_action
from civic.common import caching, clock
from civic.common.db import commit
from civic.common.markdown import render_markdown
from civic.common.validation import clean_text
from civic.consultations.models import (
    STATEMENT_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VOTABLE_STATEMENTS,
    Consultation,
    Statement,
    StatementStatus,
    StatementVote,
    StatementVoteEvent,
)
from civic.consultations.polis import read_polis_export
from civic.consultations.services.responses import require_open
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import can, ensure_can

VOTE_COLUMNS = {1: Statement.agree_count, -1: Statement.disagree_count, 0: Statement.pass_count}


def participant_key(user):
    return f"user:{user.id}"


def set_statement_options(actor, consultation, *, enabled, premoderated):
    ensure_can(actor, "consultation.manage", consultation)
    consultation.statements_enabled, consultation.statements_premoderated = bool(enabled), bool(premoderated)
    record_staff_action(
        actor,
        "consultation.statements",
        "consultation",
        consultation.id,
        consultation.title,
        "",
        {"enabled": bool(enabled), "premoderated": bool(premoderated)},
    )
    commit()


def add_statement(actor, consultation, text):
    """Officials seed statements (shown at once); citizens' wait for a moderator when the
    consultation is pre-moderated."""
    seeding = can(actor, "consultation.manage", consultation)
    if not seeding:
        ensure_can(actor, "consultation.respond", consultation)
        if not consultation.statements_enabled:
            raise Conflict(_("This consultation does not take statements."))
        require_open(consultation)
    text = " ".join((text or "").split())
    text = clean_text(
        text,
        field="text",
        max_length=STATEMENT_MAX_LENGTH,
        required=_("Write your statement first."),
        too_long=_(
            "A statement has at most %(max)d characters; yours has %(length)d.",
            max=STATEMENT_MAX_LENGTH,
            length=len(text),
        ),
    )
    verdict = premoderation.ALLOWED
    if not seeding:  # officials seeding their consultation are not pre-moderated
        verdict = premoderation.judge_text(actor, text, _recent_statement_texts)
        premoderation.refuse_blocked(verdict, "statement", "text")
    held = premoderation.is_held(verdict)
    approved = seeding or not (consultation.statements_premoderated or held)
    statement = Statement(
        consultation_id=consultation.id,
        text=text,
        author_id=actor.id,
        seeded=seeding,
        status=(StatementStatus.APPROVED if approved else StatementStatus.PENDING).value,
    )
    if held:
        statement.held_rule, statement.held_matched = verdict.rule, verdict.matched[:200]
    db.session.add(statement)
    if held:
        db.session.flush()
        premoderation.record_decision(verdict, "statement", statement.id, statement.text[:200])
    commit()
    return statement


def _recent_statement_texts(since, limit):
    """The statements written since `since` (pending ones too), for the burst rule of pre-moderation."""
    rows = db.session.execute(
        select(Statement.text, Statement.author_id, Statement.created_at)
        .where(Statement.created_at >= since, Statement.external_id.is_(None))
        .order_by(Statement.created_at.desc())
        .limit(limit)
    )
    return [premoderation.RecentText(*row) for row in rows]


def my_waiting_statements(user, consultation):
    """The user's statements in this consultation that wait for a moderator or were rejected."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Statement)
            .where(
                Statement.consultation_id == consultation.id,
                Statement.author_id == user.id,
                Statement.status != StatementStatus.APPROVED.value,
            )
            .order_by(Statement.created_at.desc())
            .limit(20)
        )
    )


def moderate_statement(actor, statement, approve, reason=""):
    consultation = db.session.get(Consultation, statement.consultation_id)
    ensure_can(actor, "consultation.moderate_statements", consultation)
    statement.status = (StatementStatus.APPROVED if approve else StatementStatus.REJECTED).value
    record_staff_action(
        actor,
        "statement.approve" if approve else "statement.reject",
        "statement",
        statement.id,
        statement.text[:200],
        reason,
    )
    commit()
    return statement


# --- hidden pending review (civic.moderation.kinds) ---------------------------------------------


def _move_statement(statement, source, target):
    """From `source` to `target` only if nobody moved it meanwhile; otherwise raise, nothing changed."""
    changed = db.session.execute(
        update(Statement)
        .where(Statement.id == statement.id, Statement.status == source.value)
        .values(status=target.value)
    ).rowcount
    if changed != 1:
        raise Conflict(_("Someone changed this statement a moment ago. Reload the page and look again."))
    db.session.refresh(statement)


def hide_statement_in_transaction(actor, statement, reason):
    """Hide a shown statement in the caller's transaction (the caller checked the permission and
    commits, then calls announce_statement_hidden): REJECTED, so out of the votes and the table; its
    author still finds it on the statements page. Audited as `statement.hide` by `actor` (None:
    readers' reports hid it pending review). False if it was not shown."""
    if not statement.is_hideable_by_reports:
        return False
    _move_statement(statement, StatementStatus.APPROVED, StatementStatus.REJECTED)
    record_staff_action(actor, "statement.hide", "statement", statement.id, statement.text[:200], reason)
    return True


def show_statement_again(statement):
    """Undo a hiding after review: approved again (the caller commits and audits the decision)."""
    if StatementStatus(statement.status) is not StatementStatus.REJECTED:
        return False
    _move_statement(statement, StatementStatus.REJECTED, StatementStatus.APPROVED)
    return True


def announce_statement_hidden(statement):
    """After the commit: the consultation's pages render afresh (statements have no live page)."""
    caching.bump("consultation", statement.consultation_id)


def get_statement(consultation, statement_id):
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.consultation_id != consultation.id:
        raise NotFound(_("There is no such statement in this consultation."))
    return statement


def vote_on_statement(user, statement, value, *, participant=None, at=None):
    """Record a vote (every vote is kept; the last one counts) and keep the counts."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in (1, -1, 0):
        raise InvalidInput(_("Choose agree, disagree or pass."), field="value")
    if participant is None:
        consultation = db.session.get(Consultation, statement.consultation_id)
        ensure_can(user, "consultation.respond", consultation)
        require_open(consultation)
        if StatementStatus(statement.status) not in VOTABLE_STATEMENTS:
            raise Conflict(_("This statement is not open for votes."))
        participant = participant_key(user)
    at = at or clock.now()
    db.session.add(StatementVoteEvent(statement_id=statement.id, participant=participant, value=value, voted_at=at))
    current = db.session.scalar(
        select(StatementVote).where(
            StatementVote.statement_id == statement.id, StatementVote.participant == participant
        )
    )
    if current is not None and current.value == value:
        current.voted_at = at
    else:
        if current is not None:
            column = VOTE_COLUMNS[current.value]
            db.session.execute(update(Statement).where(Statement.id == statement.id).values({column: column - 1}))
            current.value, current.voted_at = value, at
        else:
            db.session.add(StatementVote(statement_id=statement.id, participant=participant, value=value, voted_at=at))
        column = VOTE_COLUMNS[value]
        db.session.execute(update(Statement).where(Statement.id == statement.id).values({column: column + 1}))
    try:
        commit()
    except IntegrityError as exc:
        raise Conflict(_("Your vote was counted from another window. Reload the page.")) from exc
    return statement


def next_statement(user, consultation):
    """An approved statement this person has not voted on yet (the least voted first), or None."""
    voted = select(StatementVote.statement_id).where(StatementVote.participant == participant_key(user))
    return db.session.scalar(
        select(Statement)
        .where(
            Statement.consultation_id == consultation.id,
            Statement.status == StatementStatus.APPROVED.value,
            Statement.id.not_in(voted),
        )
        .order_by((Statement.agree_count + Statement.disagree_count + Statement.pass_count), Statement.id)
        .limit(1)
    )


def pending_statements(*, limit=50):
    """Statements waiting for a moderator, in every consultation, oldest first: (statement,
    consultation) pairs, and how many there are in all."""
    waiting = Statement.status == StatementStatus.PENDING.value
    rows = db.session.execute(
        select(Statement, Consultation)
        .join(Consultation, Consultation.id == Statement.consultation_id)
        .where(waiting)
        .order_by(Statement.created_at, Statement.id)
        .limit(limit)
    ).all()
    return [tuple(row) for row in rows], count_pending_statements()


def count_pending_statements():
    return db.session.scalar(
        select(func.count()).select_from(Statement).where(Statement.status == StatementStatus.PENDING.value)
    )


def statements_of(consultation, *, status=None):
    query = select(Statement).where(Statement.consultation_id == consultation.id)
    if status:
        query = query.where(Statement.status == status)
    return list(db.session.scalars(query.order_by(Statement.id)))


# --- import of a Pol.is export ------------------------------------------------------------------


def import_polis(actor, folder):
    """Bring an earlier Pol.is conversation into Civic as a closed consultation with its
    statements and every vote. Returns (consultation, statements, votes)."""
    ensure_can(actor, "consultation.manage")
    export = read_polis_export(folder)
    if not export.statements:
        raise InvalidInput(_("The folder has no comments.csv with statements."))
    first, last = export.first_time or clock.now(), export.last_time or clock.now()
    consultation = Consultation(
        title=(export.topic or _("Imported Pol.is conversation"))[:TITLE_MAX_LENGTH],
        summary=(export.description or "")[:SUMMARY_MAX_LENGTH],
        body_markdown=export.description or "",
        body_html=render_markdown(export.description or ""),
        created_by_id=getattr(actor, "id", None),
        published_at=clock.now(),
        opens_at=first,
        closes_at=max(last, first) + timedelta(seconds=1),
        statements_enabled=True,
        statements_premoderated=True,
        closed_notified_at=clock.now(),
        contact=export.url or "",
    )
    db.session.add(consultation)
    db.session.flush()
    status_for = {1: StatementStatus.APPROVED, 0: StatementStatus.APPROVED, -1: StatementStatus.REJECTED}
    by_external = {}
    for row in export.statements:
        statement = Statement(
            consultation_id=consultation.id,
            text=row.text[:STATEMENT_MAX_LENGTH],
            external_id=row.id,
            status=status_for.get(row.moderated, StatementStatus.APPROVED).value,
            created_at=row.time or first,
        )
        db.session.add(statement)
        by_external[row.id] = statement
    db.session.flush()
    events, current = [], {}
    for vote in export.votes:
        statement = by_external.get(vote.statement_id)
        if statement is None:
            continue
        key = (statement.id, f"polis:{vote.participant}")
        events.append(
            {"statement_id": statement.id, "participant": key[1], "value": vote.value, "voted_at": vote.time or last}
        )
        current[key] = (vote.value, vote.time or last)  # votes come in time order: the last one counts
    if events:
        db.session.execute(StatementVoteEvent.__table__.insert(), events)
        db.session.execute(
            StatementVote.__table__.insert(),
            [
                {"statement_id": sid, "participant": participant, "value": value, "voted_at": at}
                for (sid, participant), (value, at) in current.items()
            ],
        )
    counts = {}
    for (sid, _participant), (value, _at) in current.items():
        counts.setdefault(sid, {1: 0, -1: 0, 0: 0})[value] += 1
    for statement in by_external.values():
        tally = counts.get(statement.id, {1: 0, -1: 0, 0: 0})
        statement.agree_count, statement.disagree_count, statement.pass_count = tally[1], tally[-1], tally[0]
    record_staff_action(
        actor,
        "consultation.import_polis",
        "consultation",
        consultation.id,
        consultation.title,
        "",
        {"statements": len(by_external), "votes": len(events)},
    )
    commit()
    return consultation, len(by_external), len(events)
