"""Supporting: one support per verified account however many tabs race, removing it while the
proposal collects, the kept count and supports per day, the live counter, the move to review when
the threshold is reached, following, and the trending score (recent supports, decaying)."""

import math
from datetime import UTC, timedelta
from datetime import date as date_type

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from civic.common import clock
from civic.common.db import commit
from civic.common.i18n import format_moment
from civic.common.ratelimit import seconds_until_allowed
from civic.errors import NotAllowed, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.permissions import can, ensure_can
from civic.proposals.models import Proposal, ProposalFollow, ProposalState, Support, SupportDay
from civic.proposals.services.lifecycle import start_review
from civic.realtime import publish_tally

S = ProposalState
TRENDING_HALF_LIFE_DAYS = 3  # a support counts half as much three days later
TRENDING_WINDOW_DAYS = 14  # older supports no longer count towards trending


def _refuse(proposal, user):
    state = proposal.current_state
    if state is S.EXPIRED:
        return ParticipationClosed(
            _(
                "This proposal stopped collecting supports on %(date)s.",
                date=format_moment(proposal.deadline),
            )
        )
    if state is S.WITHDRAWN:
        return ParticipationClosed(_("This proposal was withdrawn by its author, so it takes no supports."))
    if state is S.DUPLICATE:
        return ParticipationClosed(_("This proposal was merged into another: support that one instead."))
    if state is not S.OPEN:
        return ParticipationClosed(_("This proposal has finished collecting supports."))
    if getattr(user, "is_authenticated", False) and not user.email_verified:
        return NotAllowed(_("Confirm your email address first: each verified account supports once."))
    return None


def _check_rate(user):
    wait = seconds_until_allowed("proposal-support", user.id, current_app.config["CIVIC_LIMIT_PROPOSAL_SUPPORT"])
    if wait:
        raise RateLimited(
            _(
                "You have supported many proposals in a short time. Please wait %(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )


def _ensure_may_support(user, proposal):
    if not can(user, "proposal.support", proposal):
        refusal = _refuse(proposal, user)
        if refusal is not None and getattr(user, "is_authenticated", False):
            raise refusal
        ensure_can(user, "proposal.support", proposal)


def has_supported(user, proposal):
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(select(Support.id).where(Support.proposal_id == proposal.id, Support.user_id == user.id))
        is not None
    )


def _add_to_day(proposal_id, moment, delta):
    """INSERT ... ON CONFLICT DO UPDATE count = count + delta (PostgreSQL and SQLite)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    day = moment.astimezone(UTC).date()
    statement = dialect.insert(SupportDay).values(proposal_id=proposal_id, day=day, count=delta)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["proposal_id", "day"], set_={"count": SupportDay.__table__.c.count + delta}
        )
    )


def _publish(proposal):
    db.session.refresh(proposal)
    publish_tally("proposal", proposal.id, {"supports": proposal.total_supports})


def support_proposal(user, proposal, *, follow=False):
    """Support once. Returns True when this call added the support, False when it was there
    already (a second tab, a double click). Reaching the threshold moves the proposal to review."""
    _ensure_may_support(user, proposal)
    if has_supported(user, proposal):
        return False
    _check_rate(user)
    now = clock.now()
    try:
        with db.session.begin_nested():
            db.session.add(Support(proposal_id=proposal.id, user_id=user.id, created_at=now))
    except IntegrityError:  # the same account at the same moment: theirs is the one
        commit()
        return False
    # Counted only while it still collects: a withdrawal or the deadline a moment ago wins.
    counted = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == S.OPEN.value, Proposal.deadline > now)
        .values(support_count=Proposal.support_count + 1, last_supported_at=now)
    ).rowcount
    if counted != 1:
        db.session.rollback()
        db.session.refresh(proposal)
        raise _refuse(proposal, user) or ParticipationClosed(_("This proposal has finished collecting supports."))
    _add_to_day(proposal.id, now, 1)
    if follow:
        _follow(user, proposal)
    commit()
    _publish(proposal)
    if proposal.total_supports >= proposal.supports_needed:
        start_review(proposal)
    return True


def remove_support(user, proposal):
    """Take a support back while the proposal collects. Returns True when there was one."""
    _ensure_may_support(user, proposal)
    _check_rate(user)
    support = db.session.scalar(select(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id))
    if support is None:
        return False
    given_at = support.created_at
    deleted = db.session.execute(delete(Support).where(Support.id == support.id)).rowcount
    if deleted != 1:  # removed from another tab a moment ago
        db.session.rollback()
        return False
    db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id).values(support_count=Proposal.support_count - 1)
    )
    _add_to_day(proposal.id, given_at, -1)
    commit()
    _publish(proposal)
    return True


# --- following -------------------------------------------------------------------------------


def is_following(user, proposal):
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ProposalFollow.id).where(
                ProposalFollow.proposal_id == proposal.id, ProposalFollow.user_id == user.id
            )
        )
        is not None
    )


def _follow(user, proposal):
    if not is_following(user, proposal):
        try:
            with db.session.begin_nested():
                db.session.add(ProposalFollow(proposal_id=proposal.id, user_id=user.id))
        except IntegrityError:
            pass  # followed from another window a moment ago


def follow_proposal(user, proposal, follow=True):
    """Follow (or stop following): told when it goes under review and when it is answered."""
    ensure_can(user, "proposal.follow", proposal)
    if follow:
        _follow(user, proposal)
    else:
        db.session.execute(
            delete(ProposalFollow).where(ProposalFollow.proposal_id == proposal.id, ProposalFollow.user_id == user.id)
        )
    commit()


# --- trending --------------------------------------------------------------------------------


def trending_weight(age_days):
    """How much a day's supports count `age_days` days later (one today counts 1)."""
    return math.pow(0.5, age_days / TRENDING_HALF_LIFE_DAYS)


def refresh_trending(now=None):
    """Score every proposal by its supports of the last TRENDING_WINDOW_DAYS days, each day's
    weighing half as much every TRENDING_HALF_LIFE_DAYS (run by the periodic task): one read of
    the per-day table and of the scores kept, then one bulk UPDATE of the scores that changed
    (supports per day: between two runs only the proposals supported meanwhile change, and every
    score once a day). Returns how many changed."""
    today = (now or clock.now()).astimezone(UTC).date()
    since = today - timedelta(days=TRENDING_WINDOW_DAYS)
    scores = {}
    for proposal_id, day, count in db.session.execute(
        select(SupportDay.proposal_id, SupportDay.day, SupportDay.count).where(SupportDay.day > since)
    ):
        scores[proposal_id] = scores.get(proposal_id, 0.0) + count * trending_weight((today - day).days)
    kept = dict(
        db.session.execute(select(Proposal.id, Proposal.trending_score).where(Proposal.trending_score != 0)).all()
    )
    changed = [
        {"id": proposal_id, "trending_score": score}
        for proposal_id, score in ((pid, round(scores.get(pid, 0.0), 4)) for pid in set(scores) | set(kept))
        if score != kept.get(proposal_id, 0.0)
    ]
    if changed:
        db.session.execute(update(Proposal), changed)
    commit()
    return len(changed)


def rebuild_support_days(proposal_id):
    """Count a proposal's supports per day again from the supports (after a merge)."""
    db.session.execute(delete(SupportDay).where(SupportDay.proposal_id == proposal_id))
    if db.session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone("UTC", Support.created_at))
    else:
        day = func.date(Support.created_at)
    rows = db.session.execute(select(day, func.count()).where(Support.proposal_id == proposal_id).group_by(day)).all()
    if rows:
        db.session.execute(
            SupportDay.__table__.insert(),
            [
                {
                    "proposal_id": proposal_id,
                    "day": d if isinstance(d, date_type) else date_type.fromisoformat(d),
                    "count": n,
                }
                for d, n in rows
            ],
        )
