"""Reading proposals: one proposal for a viewer, the threshold and progress, the lists (sorted
and filtered from indexes), similar proposals, and what a proposal's discussion is about."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, or_, select

from civic.common import clock
from civic.common.pagination import paginate
from civic.discussions.contexts import DiscussionContext
from civic.errors import NotFound
from civic.extensions import db
from civic.insights.similarity import most_similar
from civic.permissions import can, ensure_can
from civic.proposals.models import ANSWERS, LISTED, SIMILAR_CANDIDATES, Proposal, ProposalState

S = ProposalState
SORTS = ("supported", "newest", "trending", "closing")
# What the list can be narrowed to; "listed" is every proposal but the withdrawn and merged ones.
STATUSES = ("listed", "open", "review", "answered", "accepted", "implemented", "expired", "withdrawn", "all")
PER_PAGE = 20
SIMILAR_POOL = 5_000  # the newest proposals a title is compared with


# --- one proposal ----------------------------------------------------------------------------


def load_proposal(proposal_id):
    proposal = db.session.get(Proposal, proposal_id) if isinstance(proposal_id, int) else None
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    return proposal


def get_proposal(proposal_id, viewer, action="proposal.view"):
    """A proposal on which this viewer may do `action`, or the error that says why."""
    proposal = load_proposal(proposal_id)
    ensure_can(viewer, "proposal.view", proposal)
    if action != "proposal.view":
        ensure_can(viewer, action, proposal)
    return proposal


def proposal_for_page(proposal_id, viewer):
    """(the proposal, whether its page shows `viewer` only the notice that moderation hid it, with the
    reason), loaded once; otherwise get_proposal's checks and errors."""
    proposal = load_proposal(proposal_id)  # held here, get_proposal finds it in the session
    if proposal.is_hidden and not can(viewer, "proposal.view", proposal):
        return proposal, True
    return get_proposal(proposal_id, viewer), False


# What the public sees: never a proposal moderation hid.
SHOWN = Proposal.hidden_at.is_(None)


def supports_needed():
    return current_app.config["CIVIC_PROPOSAL_SUPPORTS"]


def days_to_collect():
    return current_app.config["CIVIC_PROPOSAL_DAYS"]


def progress(proposal):
    """How far the supports have got towards the proposal's threshold (for the progress bar)."""
    target = max(1, proposal.supports_needed)
    count = proposal.total_supports
    return {"count": count, "target": target, "percent": min(100, int(100 * count / target))}


# --- lists -----------------------------------------------------------------------------------


def _values(states):
    return [s.value for s in states]


def _status_filter(status, now):
    """The WHERE of a status, with the time-derived states read as the proposal page reads them."""
    still_open = and_(Proposal.state == S.OPEN.value, Proposal.deadline > now)
    return {
        # Said as "not one of the few unlisted states", so that an index in the list's order serves it.
        "listed": Proposal.state.not_in(_values(set(S) - LISTED)),
        "open": still_open,
        "review": Proposal.state == S.UNDER_REVIEW.value,
        "answered": Proposal.state.in_(_values(ANSWERS | {S.IMPLEMENTED})),
        "accepted": Proposal.state == S.ACCEPTED.value,
        "implemented": Proposal.state == S.IMPLEMENTED.value,
        "expired": or_(
            Proposal.state == S.EXPIRED.value, and_(Proposal.state == S.OPEN.value, Proposal.deadline <= now)
        ),
        "withdrawn": Proposal.state.in_([S.WITHDRAWN.value, S.DUPLICATE.value]),
        "all": None,
    }[status]


def _order(sort, status):
    if sort == "newest":
        return (Proposal.published_at.desc(), Proposal.id.desc())
    if sort == "trending":
        return (Proposal.trending_score.desc(), Proposal.id.desc())
    if sort == "closing" and status == "open":
        return (Proposal.deadline.asc(), Proposal.id)
    return (Proposal.support_count.desc(), Proposal.id.desc())


def list_proposals(*, sort="supported", status="listed", topic=None, area=None, q="", page=1, per_page=PER_PAGE):
    """A page of proposals. "closing" (soonest deadline first) makes sense only among the open
    ones, so it narrows the list to them."""
    now = clock.now()
    sort = sort if sort in SORTS else "supported"
    status = status if status in STATUSES else "listed"
    if sort == "closing":
        status = "open"
    query = select(Proposal).where(SHOWN)
    condition = _status_filter(status, now)
    if condition is not None:
        query = query.where(condition)
    if topic:
        query = query.where(Proposal.topic == topic)
    if area:
        query = query.where(Proposal.area == area)
    for word in (q or "").split()[:8]:
        pattern = f"%{word.lower()}%"
        query = query.where(or_(func.lower(Proposal.title).like(pattern), func.lower(Proposal.summary).like(pattern)))
    return paginate(query.order_by(*_order(sort, status)), page=page, per_page=per_page), sort, status


def count_waiting_for_an_answer():
    """Proposals under review: what officials have to answer (the staff navigation's count)."""
    return db.session.scalar(select(func.count()).select_from(Proposal).where(_status_filter("review", clock.now())))


def topics():
    """The topics proposals have, in order."""
    return list(db.session.scalars(topics_query()))


def topics_query():
    """One step down the topic index per topic (a recursive query: each step the first topic after
    the last one found), where a DISTINCT read every proposal's entry (5 ms of the database on
    each list page with 50,000 proposals)."""
    found = select(literal("", Proposal.topic.type).label("topic")).cte("found", recursive=True)  # before any topic
    following = (
        select(Proposal.topic).where(Proposal.topic > found.c.topic).order_by(Proposal.topic).limit(1)
    ).scalar_subquery()
    found = found.union_all(select(following).where(found.c.topic.is_not(None)))
    return select(found.c.topic).where(found.c.topic.is_not(None), found.c.topic != "")


def areas():
    """The areas a proposal may be about: the site's list of areas (shared with petitions)."""
    return current_app.config["CIVIC_PETITION_AREAS"]


def popular_open_proposals(limit=5):
    query = (
        select(Proposal)
        .where(_status_filter("open", clock.now()), SHOWN)
        .order_by(Proposal.support_count.desc(), Proposal.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def my_proposals(user):
    return list(db.session.scalars(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id.desc())))


def similar_proposals(title, summary="", *, exclude_id=None, limit=5):
    """Proposals that look like this one (the newest SIMILAR_POOL of those still alive), most similar first."""
    if len((title or "").strip()) < 3:
        return []
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.summary)
        .where(Proposal.state.in_(_values(SIMILAR_CANDIDATES)), SHOWN)
        .order_by(Proposal.id.desc())
        .limit(SIMILAR_POOL)
    ).all()
    candidates = [(row.id, f"{row.title}. {row.title}. {row.summary}") for row in rows if row.id != exclude_id]
    ranked = most_similar(f"{title}. {title}. {summary or ''}", candidates, limit=limit)
    if not ranked:
        return []
    by_id = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_([i for i, _s in ranked])))}
    return [by_id[i] for i, _score in ranked if i in by_id]


# --- the proposal's discussion -----------------------------------------------------------------


def proposal_context(proposal_id):
    """What a proposal's discussion is about. It takes comments until the proposal is withdrawn
    or merged (an answered proposal may still be talked about)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        return None
    takes = proposal.current_state not in (S.WITHDRAWN, S.DUPLICATE)
    return DiscussionContext(
        summary=_("This discussion is about the proposal:"),
        link_text=proposal.title,
        endpoint="proposals.show",
        values={"proposal_id": proposal.id},
        owner=proposal,
        view_action="proposal.view",
        accepts_comments=takes,
        closed_message=""
        if takes
        else _("The proposal was withdrawn or merged, so its discussion takes no new comments."),
    )
