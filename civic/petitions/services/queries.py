"""Reading petitions: one petition for a viewer, the lists, the moderation queue, thresholds and
progress, the kept tallies per area and per hour, similar petitions, and what a petition's
discussion is about."""

from collections import Counter
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from civic.common import clock
from civic.common.pagination import paginate
from civic.common.tokens import read_token, same_secret
from civic.discussions.contexts import DiscussionContext
from civic.errors import NotFound, TokenInvalid
from civic.extensions import db
from civic.insights.questionnaire_results import per_day
from civic.insights.similarity import most_similar
from civic.permissions import can, ensure_can
from civic.petitions.models import (
    MODERATABLE,
    PUBLIC,
    PUBLISHED,
    SIMILAR_CANDIDATES,
    AreaTally,
    HourTally,
    Petition,
    PetitionState,
    Signature,
)

S = PetitionState
SIGNATURE_LINK_PURPOSE = "petition-signature"
WITHDRAW_LINK_PURPOSE = "petition-withdraw"
SIGNATURE_LINK_MAX_AGE = 14 * 24 * 3600
WITHDRAW_LINK_MAX_AGE = 3 * 366 * 24 * 3600  # as long as a petition and its response may take
LINK_MAX_AGES = {SIGNATURE_LINK_PURPOSE: SIGNATURE_LINK_MAX_AGE, WITHDRAW_LINK_PURPOSE: WITHDRAW_LINK_MAX_AGE}
LIST_VIEWS = ("open", "awaiting_response", "with_response", "debated", "closed", "rejected")
OPEN_SORTS = ("popular", "newest", "closing")


# --- one petition ----------------------------------------------------------------------------


def load_petition(petition_id):
    petition = db.session.get(Petition, petition_id) if isinstance(petition_id, int) else None
    if petition is None:
        raise NotFound(_("There is no such petition."))
    return petition


def petition_for_page(petition_id, viewer):
    """(the petition, whether its page shows `viewer` only the notice that readers' reports hid it,
    with the reason), loaded once; otherwise get_petition's checks and errors."""
    petition = load_petition(petition_id)  # held here, get_petition finds it in the session
    if petition.is_hidden_pending_review and not can(viewer, "petition.view", petition):
        return petition, True
    return get_petition(petition_id, viewer), False


def sponsoring(petition, sponsor_token, person=None):
    """Reached through its sponsor link while it takes sponsors (the link is what lets someone
    without an account see and support a draft)."""
    return (
        bool(sponsor_token)
        and same_secret(sponsor_token, petition.sponsor_token)
        and can(person, "petition.sponsor", petition)
    )


def signature_from_link(petition, purpose, token):
    """The signature of this petition that an emailed link (`purpose`: confirm or withdraw) is for,
    or TokenInvalid."""
    payload = read_token(purpose, token, LINK_MAX_AGES[purpose])
    signature = db.session.get(Signature, payload.get("s")) if isinstance(payload, dict) else None
    if (
        signature is None
        or signature.petition_id != petition.id
        or not same_secret(payload.get("t", ""), signature.token)
    ):
        raise TokenInvalid(
            _("This link is not valid any more: the signature was withdrawn, or the link was copied incompletely.")
        )
    return signature


def get_petition(petition_id, viewer, action="petition.view", *, sponsor_token=None, signature_link=None):
    """A petition this viewer may see and on which they may do `action`; otherwise the error that
    says why (404, 401, 403). Two links open a petition nobody else may see: a draft's sponsor link
    (`sponsor_token`), and the links in a signer's emails (`signature_link`: purpose and token),
    which lead to what they signed; a link that is not valid gets TokenInvalid, never the title."""
    petition = load_petition(petition_id)
    if not (sponsoring(petition, sponsor_token, viewer) or can(viewer, "petition.view", petition)):
        if signature_link is not None:
            signature_from_link(petition, *signature_link)
        else:
            ensure_can(viewer, "petition.view", petition)
    if action != "petition.view":
        ensure_can(viewer, action, petition)
    return petition


# --- thresholds and progress -----------------------------------------------------------------


def sponsors_needed():
    return current_app.config["CIVIC_PETITION_SPONSORS"]


def thresholds():
    """(signatures for a response, signatures for a debate)."""
    config = current_app.config
    return config["CIVIC_PETITION_RESPONSE_THRESHOLD"], config["CIVIC_PETITION_DEBATE_THRESHOLD"]


def progress(petition):
    """The next threshold and how far the count has got towards it (for the progress bar)."""
    response, debate = thresholds()
    count = petition.signature_count
    if count < response:
        target, kind = response, "response"
    elif count < debate:
        target, kind = debate, "debate"
    else:
        return {"count": count, "target": None, "kind": None, "percent": 100}
    return {"count": count, "target": target, "kind": kind, "percent": min(100, int(100 * count / target))}


def areas():
    return current_app.config["CIVIC_PETITION_AREAS"]


# --- tallies: counts per area and per hour, kept with each signature --------------------------


def counts_by_area(petition):
    """[(area, count)] in the site's order of areas, then any others (an area since removed)."""
    rows = dict(
        db.session.execute(select(AreaTally.area, AreaTally.count).where(AreaTally.petition_id == petition.id)).all()
    )
    ordered = [(area, rows.pop(area, 0)) for area in areas()]
    return ordered + sorted((area, count) for area, count in rows.items() if count)


def signatures_per_day(petition):
    """[(date, count)] of counted signatures by the day they were confirmed, on the site's
    calendar (summer time included), gaps filled; from the hourly tallies."""
    zone, days = clock.site_zone(), Counter()
    counted = (HourTally.petition_id == petition.id, HourTally.count > 0)
    if db.session.get_bind().dialect.name == "postgresql":  # one GROUP BY on the site's calendar day
        day = func.date(func.timezone(zone.key, HourTally.hour))
        for date, count in db.session.execute(select(day, func.sum(HourTally.count)).where(*counted).group_by(day)):
            days[date] = int(count)
    else:  # SQLite knows no time zones: each hour is converted here
        for hour, count in db.session.execute(select(HourTally.hour, HourTally.count).where(*counted)):
            days[hour.astimezone(zone).date()] += count
    filled = dict(per_day(list(days)))
    return [(day, days.get(day, 0)) for day in filled]


def _hour_of(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _add_to(model, keys, delta):
    """INSERT ... ON CONFLICT DO UPDATE count = count + delta (PostgreSQL and SQLite)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**keys, count=delta)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=list(keys), set_={"count": model.__table__.c.count + delta})
    )


def add_to_tallies(signature, delta):
    """Move the area and hour tallies with one counted (or uncounted) signature; always after the
    petition's row, in the same transaction."""
    _add_to(AreaTally, {"petition_id": signature.petition_id, "area": signature.area}, delta)
    _add_to(HourTally, {"petition_id": signature.petition_id, "hour": _hour_of(signature.validated_at)}, delta)


def rebuild_tallies(petition_id):
    """Count a petition's areas and hours again from its signatures (after an invalidation, or
    signatures written in bulk)."""
    db.session.execute(AreaTally.__table__.delete().where(AreaTally.petition_id == petition_id))
    db.session.execute(HourTally.__table__.delete().where(HourTally.petition_id == petition_id))
    counted = (Signature.petition_id == petition_id, Signature.counts)
    by_area = db.session.execute(select(Signature.area, func.count()).where(*counted).group_by(Signature.area)).all()
    if by_area:
        db.session.execute(
            AreaTally.__table__.insert(),
            [{"petition_id": petition_id, "area": area, "count": n} for area, n in by_area],
        )
    if db.session.get_bind().dialect.name == "postgresql":
        hour = func.date_trunc("hour", func.timezone("UTC", Signature.validated_at))
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", Signature.validated_at)
    hours = Counter()
    for moment, n in db.session.execute(select(hour, func.count()).where(*counted).group_by(hour)):
        moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        hours[moment.replace(tzinfo=UTC)] += n
    if hours:
        db.session.execute(
            HourTally.__table__.insert(),
            [{"petition_id": petition_id, "hour": hour, "count": n} for hour, n in hours.items()],
        )


# --- lists -----------------------------------------------------------------------------------


def _visible_views(view, now):
    published = Petition.state.in_([s.value for s in PUBLISHED])
    still_open = and_(Petition.state == S.OPEN.value, Petition.closes_at > now)
    return {
        "open": still_open,
        "awaiting_response": and_(
            published, Petition.response_threshold_reached_at.isnot(None), Petition.responded_at.is_(None)
        ),
        "with_response": and_(published, Petition.responded_at.isnot(None)),
        "debated": and_(published, Petition.debated_on.isnot(None)),
        "closed": or_(
            Petition.state == S.CLOSED.value, and_(Petition.state == S.OPEN.value, Petition.closes_at <= now)
        ),
        "rejected": Petition.state == S.REJECTED.value,
    }[view]


def list_petitions(view="open", *, sort="popular", q="", topic=None, page=1, per_page=20, now=None):
    """A page of public petitions; `q` matches words of the title and background (every word)."""
    now = now or clock.now()
    view = view if view in LIST_VIEWS else "open"
    query = select(Petition).where(_visible_views(view, now))
    if topic:
        query = query.where(Petition.topic == topic)
    for word in (q or "").split()[:8]:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(func.lower(Petition.title).like(pattern), func.lower(Petition.background).like(pattern))
        )
    if view == "open" and sort == "newest":
        query = query.order_by(Petition.opened_at.desc(), Petition.id.desc())
    elif view == "open" and sort == "closing":
        query = query.order_by(Petition.closes_at.asc(), Petition.id)
    elif view == "with_response":
        query = query.order_by(Petition.responded_at.desc(), Petition.id.desc())
    elif view == "debated":
        query = query.order_by(Petition.debated_on.desc(), Petition.id.desc())
    elif view == "rejected":
        query = query.order_by(Petition.moderated_at.desc(), Petition.id.desc())
    else:
        query = query.order_by(Petition.signature_count.desc(), Petition.id.desc())
    return paginate(query, page=page, per_page=per_page)


def signature_total():
    """Counted signatures of published petitions, from their kept counts (the home page's figures)."""
    published = Petition.state.in_([s.value for s in PUBLISHED])
    return db.session.scalar(select(func.coalesce(func.sum(Petition.signature_count), 0)).where(published))


def popular_open_petitions(limit=5, *, now=None):
    """The open petitions with the most signatures (the home page), in one query."""
    query = (
        select(Petition)
        .where(_visible_views("open", now or clock.now()))
        .order_by(Petition.signature_count.desc(), Petition.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def topics():
    return list(
        db.session.scalars(
            select(Petition.topic)
            .where(Petition.topic != "", Petition.state.in_([s.value for s in PUBLIC]))
            .distinct()
            .order_by(Petition.topic)
        )
    )


def similar_petitions(title, background="", *, exclude_id=None, limit=5):
    """Public petitions (open, closed, rejected) that look like this one, most similar first."""
    if len((title or "").strip()) < 3:
        return []
    rows = db.session.execute(
        select(Petition.id, Petition.title, Petition.background).where(
            Petition.state.in_([s.value for s in SIMILAR_CANDIDATES])
        )
    ).all()
    candidates = [(row.id, f"{row.title}. {row.title}. {row.background}") for row in rows if row.id != exclude_id]
    ranked = most_similar(f"{title}. {title}. {background or ''}", candidates, limit=limit)
    if not ranked:
        return []
    by_id = {p.id: p for p in db.session.scalars(select(Petition).where(Petition.id.in_([i for i, _s in ranked])))}
    return [by_id[i] for i, _score in ranked if i in by_id]


def count_moderation_queue():
    return db.session.scalar(
        select(func.count()).select_from(Petition).where(Petition.state.in_([s.value for s in MODERATABLE]))
    )


def moderation_queue():
    return list(
        db.session.scalars(
            select(Petition)
            .where(Petition.state.in_([s.value for s in MODERATABLE]))
            .order_by(Petition.moderation_requested_at, Petition.id)
        )
    )


def my_petitions(user):
    return list(
        db.session.scalars(select(Petition).where(Petition.creator_id == user.id).order_by(Petition.created_at.desc()))
    )


# --- the petition's discussion -----------------------------------------------------------------


def petition_context(petition_id):
    """What a petition's discussion is about: the petition, with a link to it. Readable where the
    petition is; it takes comments while the petition takes signatures."""
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        return None
    open_now = petition.is_signable
    return DiscussionContext(
        summary=_("This discussion is about the petition:"),
        link_text=petition.title,
        endpoint="petitions.show",
        values={"petition_id": petition.id},
        owner=petition,
        view_action="petition.view",
        accepts_comments=open_now,
        closed_message="" if open_now else _("The petition is closed, so its discussion takes no new comments."),
    )
