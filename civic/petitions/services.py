"""Petition services: drafting and sponsors, moderation, signing with email confirmation,
counting (each mailbox once), thresholds, closing on time, official responses and debates,
fraud handling, and mailings to signers.

States move only here, through `_move`, which checks the transition table in models and
changes the row only if nobody changed it meanwhile. Counts change with conditional updates,
so that a signature is counted exactly once however many requests race."""
import calendar
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.emails import mailbox_key
from civic.common.markdown import render_markdown
from civic.common.ratelimit import seconds_until_allowed
from civic.errors import Conflict, InvalidInput, NotFound, ParticipationClosed, RateLimited, TokenInvalid
from civic.extensions import db
from civic.permissions import ensure_can
from civic.petitions.models import (
    BACKGROUND_MAX_LENGTH, COMMENT_MAX_LENGTH, DETAILS_MAX_LENGTH, HIDING_REASONS, MODERATABLE, NAME_MAX_LENGTH,
    PUBLIC, PUBLISHED, RESPONDABLE, RESPONSE_DETAILS_MAX_LENGTH, RESPONSE_SUMMARY_MAX_LENGTH, SIGNABLE,
    SIMILAR_CANDIDATES, SPONSORABLE, TITLE_MAX_LENGTH, TRANSITIONS, URL_MAX_LENGTH, AreaTally, HourTally,
    Invalidation, Mailing,
    MailingKind, Petition, PetitionState, RejectionReason, Signature,
)
from civic.realtime import publish_tally

S = PetitionState
SIGNATURE_LINK_PURPOSE = "petition-signature"
WITHDRAW_LINK_PURPOSE = "petition-withdraw"
SIGNATURE_LINK_MAX_AGE = 14 * 24 * 3600
WITHDRAW_LINK_MAX_AGE = 3 * 366 * 24 * 3600  # as long as a petition and its response may take
TOPIC_MAX_LENGTH = 80
LIST_VIEWS = ("open", "awaiting_response", "with_response", "debated", "closed", "rejected")
OPEN_SORTS = ("popular", "newest", "closing")
URL_ONLY = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _config(name):
    return current_app.config[name]


# --- reading ---------------------------------------------------------------------------------

def state_of(petition, now=None):
    """The petition's state; an open petition past its closing time reads as closed (the
    periodic task writes that down, but nobody has to wait for it)."""
    state = S(petition.state)
    if state is S.OPEN and petition.closes_at is not None and petition.closes_at <= (now or clock.now()):
        return S.CLOSED
    return state


def load_petition(petition_id):
    petition = db.session.get(Petition, petition_id) if isinstance(petition_id, int) else None
    if petition is None:
        raise NotFound(_("There is no such petition."))
    return petition


def get_petition(petition_id, viewer, *, sponsor_token=None):
    """A petition this viewer may see; a draft also opens with its sponsor link."""
    petition = load_petition(petition_id)
    if _sponsoring(petition, sponsor_token):
        return petition
    ensure_can(viewer, "petition.view", petition)
    return petition


def sponsors_needed():
    return _config("CIVIC_PETITION_SPONSORS")


def thresholds():
    return _config("CIVIC_PETITION_RESPONSE_THRESHOLD"), _config("CIVIC_PETITION_DEBATE_THRESHOLD")


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
    return _config("CIVIC_PETITION_AREAS")


def _counted():
    return and_(Signature.validated_at.isnot(None), Signature.invalidated_at.is_(None))


def counts_by_area(petition):
    """[(area, count)] in the site's order of areas, then any others (an area since removed)."""
    rows = dict(db.session.execute(select(AreaTally.area, AreaTally.count).where(
        AreaTally.petition_id == petition.id)).all())
    ordered = [(area, rows.pop(area, 0)) for area in areas()]
    return ordered + sorted((area, count) for area, count in rows.items() if count)


def signatures_per_day(petition):
    """[(date, count)] of counted signatures by the day they were confirmed, on the site's
    calendar (summer time included), gaps filled; from the hourly tallies."""
    from collections import Counter

    from civic.insights.questionnaire_results import per_day

    zone, days = clock.site_zone(), Counter()
    for hour, count in db.session.execute(select(HourTally.hour, HourTally.count).where(
            HourTally.petition_id == petition.id, HourTally.count > 0)):
        days[hour.astimezone(zone).date()] += count
    filled = dict(per_day(list(days)))
    return [(day, days.get(day, 0)) for day in filled]


# --- tallies: counts per area and per hour, kept with each signature --------------------------

def _hour_of(moment):
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _add_to(model, keys, delta):
    """INSERT ... ON CONFLICT DO UPDATE count = count + delta (PostgreSQL and SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model).values(**keys, count=delta)
    db.session.execute(statement.on_conflict_do_update(index_elements=list(keys),
                                                       set_={"count": model.__table__.c.count + delta}))


def _tally(signature, delta):
    _add_to(AreaTally, {"petition_id": signature.petition_id, "area": signature.area}, delta)
    _add_to(HourTally, {"petition_id": signature.petition_id, "hour": _hour_of(signature.validated_at)}, delta)


def rebuild_tallies(petition_id):
    """Count a petition's areas and hours again from its signatures (after an invalidation, or
    signatures written in bulk)."""
    from collections import Counter

    db.session.execute(AreaTally.__table__.delete().where(AreaTally.petition_id == petition_id))
    db.session.execute(HourTally.__table__.delete().where(HourTally.petition_id == petition_id))
    counted = (Signature.petition_id == petition_id, _counted())
    by_area = db.session.execute(select(Signature.area, func.count()).where(*counted).group_by(Signature.area)).all()
    if by_area:
        db.session.execute(AreaTally.__table__.insert(), [{"petition_id": petition_id, "area": area, "count": n}
                                                          for area, n in by_area])
    if db.session.get_bind().dialect.name == "postgresql":
        hour = func.date_trunc("hour", func.timezone("UTC", Signature.validated_at))
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", Signature.validated_at)
    hours = Counter()
    for moment, n in db.session.execute(select(hour, func.count()).where(*counted).group_by(hour)):
        moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        hours[moment.replace(tzinfo=timezone.utc)] += n
    if hours:
        db.session.execute(HourTally.__table__.insert(), [{"petition_id": petition_id, "hour": hour, "count": n}
                                                          for hour, n in hours.items()])


def _visible_views(view, now):
    published = Petition.state.in_([s.value for s in PUBLISHED])
    still_open = and_(Petition.state == S.OPEN.value, Petition.closes_at > now)
    return {
        "open": still_open,
        "awaiting_response": and_(published, Petition.response_threshold_reached_at.isnot(None),
                                  Petition.responded_at.is_(None)),
        "with_response": and_(published, Petition.responded_at.isnot(None)),
        "debated": and_(published, Petition.debated_on.isnot(None)),
        "closed": or_(Petition.state == S.CLOSED.value,
                      and_(Petition.state == S.OPEN.value, Petition.closes_at <= now)),
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
        query = query.where(or_(func.lower(Petition.title).like(pattern), func.lower(Petition.background).like(pattern)))
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
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False)


def topics():
    return list(db.session.scalars(select(Petition.topic).where(
        Petition.topic != "", Petition.state.in_([s.value for s in PUBLIC])).distinct().order_by(Petition.topic)))


def similar_petitions(title, background="", *, exclude_id=None, limit=5):
    """Public petitions (open, closed, rejected) that look like this one, most similar first."""
    from civic.insights.similarity import most_similar

    if len((title or "").strip()) < 3:
        return []
    rows = db.session.execute(select(Petition.id, Petition.title, Petition.background).where(
        Petition.state.in_([s.value for s in SIMILAR_CANDIDATES]))).all()
    candidates = [(row.id, f"{row.title}. {row.title}. {row.background}") for row in rows if row.id != exclude_id]
    ranked = most_similar(f"{title}. {title}. {background or ''}", candidates, limit=limit)
    if not ranked:
        return []
    by_id = {p.id: p for p in db.session.scalars(select(Petition).where(Petition.id.in_([i for i, _s in ranked])))}
    return [by_id[i] for i, _score in ranked if i in by_id]


def moderation_queue():
    return list(db.session.scalars(select(Petition).where(Petition.state.in_([s.value for s in MODERATABLE]))
                                   .order_by(Petition.moderation_requested_at, Petition.id)))


def my_petitions(user):
    return list(db.session.scalars(select(Petition).where(Petition.creator_id == user.id)
                                   .order_by(Petition.created_at.desc())))


# --- state changes ---------------------------------------------------------------------------

def _move(petition, target, **values):
    """Move to `target` if the table allows it from the current state, and only if nobody moved
    the petition meanwhile; otherwise raise and change nothing."""
    current = state_of(petition)
    if target not in TRANSITIONS[current]:
        raise Conflict(_("A petition that is “%(current)s” cannot become “%(target)s”.",
                         current=_state_label(current), target=_state_label(target)))
    changed = db.session.execute(update(Petition).where(Petition.id == petition.id,
                                                        Petition.state == petition.state)
                                 .values(state=target.value, **values)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("Someone changed this petition a moment ago. Reload the page and look again."))
    db.session.refresh(petition)


def _state_label(state):
    from civic.petitions.models import STATE_LABELS

    return str(STATE_LABELS[state.value])


# --- drafting and sponsors -------------------------------------------------------------------

@dataclass
class PetitionFields:
    title: str = ""
    background: str = ""
    details: str = ""
    topic: str = ""
    anonymous: bool = False
    area: str = ""  # where the creator lives, for their own signature


def _words(value, field, max_length, *, required=None, multiline=False):
    value = (value or "").replace("\r\n", "\n").strip()
    if not multiline:
        value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(required, field=field)
    if len(value) > max_length:
        raise InvalidInput(_("Use at most %(max)d characters; this has %(length)d.", max=max_length,
                             length=len(value)), field=field)
    return value


def _clean_petition(fields):
    errors, cleaned = {}, {}
    for name, max_length, required, multiline in (
            ("title", TITLE_MAX_LENGTH, _("Say what the council should do."), False),
            ("background", BACKGROUND_MAX_LENGTH, _("Say why: the background to your petition."), True),
            ("details", DETAILS_MAX_LENGTH, None, True),
            ("topic", TOPIC_MAX_LENGTH, None, False)):
        try:
            cleaned[name] = _words(getattr(fields, name), name, max_length, required=required, multiline=multiline)
        except InvalidInput as error:
            errors[name] = [error.message]
    for name in ("title", "background"):
        if name not in errors and cleaned[name] and not URL_ONLY.sub("", cleaned[name]).strip(" .,;:-\n"):
            errors[name] = [_("Say it in words: a petition cannot be only a link.")]
    if fields.area not in areas():
        errors["area"] = [_("Choose where you live from the list.")]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    return cleaned


def create_petition(actor, fields):
    """A citizen drafts a petition; their own signature counts from the start. It then needs
    sponsors (CIVIC_PETITION_SPONSORS) before a moderator looks at it."""
    ensure_can(actor, "petition.create")
    cleaned = _clean_petition(fields)
    wait = seconds_until_allowed("petition-create", actor.id, _config("CIVIC_LIMIT_PETITION_CREATE"))
    if wait:
        raise RateLimited(_("You have started several petitions recently. Please wait %(minutes)d minutes.",
                            minutes=max(1, round(wait / 60))), retry_after=wait)
    now = clock.now()
    petition = Petition(creator_id=actor.id, creator_name=actor.display_name, creator_anonymous=bool(fields.anonymous),
                        sponsor_token=secrets.token_urlsafe(16), state=S.DRAFT.value, **cleaned)
    db.session.add(petition)
    db.session.flush()
    key = mailbox_key(actor.email)
    own = Signature(petition_id=petition.id, user_id=actor.id, name=actor.display_name, email=actor.email,
                    email_key=key, email_domain=key.rsplit("@", 1)[-1], area=fields.area, notify=True,
                    token=secrets.token_hex(16), created_at=now, validated_at=now)
    db.session.add(own)
    db.session.flush()
    _tally(own, 1)
    petition.signature_count, petition.last_signed_at = 1, now
    _commit()
    if sponsors_needed() <= 0:
        _ask_for_moderation(petition)
    return petition


def update_draft(actor, petition, fields):
    """The creator may change the text until moderators start looking at it."""
    ensure_can(actor, "petition.edit_draft", petition)
    if state_of(petition) is not S.DRAFT:
        raise Conflict(_("The petition is with the moderators now, so its text can no longer change."))
    fields.area = fields.area or areas()[0]
    cleaned = _clean_petition(fields)
    for name, value in cleaned.items():
        setattr(petition, name, value)
    petition.creator_anonymous = bool(fields.anonymous)
    _commit()
    return petition


def sponsor_url(petition):
    from civic.common.urls import external_url

    return external_url("petitions.sponsor", petition_id=petition.id, token=petition.sponsor_token)


def _ask_for_moderation(petition):
    if state_of(petition) is S.DRAFT:
        try:
            _move(petition, S.PENDING, moderation_requested_at=clock.now())
        except Conflict:
            return  # another sponsor's confirmation did it a moment ago
        _commit()
        _tell_creator(petition, "petition_sponsored", lambda: _("Your petition is with the moderators"))


# --- moderation ------------------------------------------------------------------------------

def _add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def closing_time(opened_at):
    """The end of the local day, CIVIC_PETITION_OPEN_MONTHS after opening."""
    local_day = _add_months(clock.utc_to_local(opened_at).date(), _config("CIVIC_PETITION_OPEN_MONTHS"))
    return clock.local_to_utc(datetime.combine(local_day, time(23, 59, 59)))


def approve_petition(actor, petition):
    from civic.discussions.services import create_attached_discussion

    ensure_can(actor, "petition.moderate", petition)
    now = clock.now()
    _move(petition, S.OPEN, moderated_at=now, moderated_by_id=actor.id, opened_at=now, closes_at=closing_time(now))
    if petition.discussion_id is None:
        petition.discussion_id = create_attached_discussion("petition", petition.id, petition.title).id
    record_staff_action(actor, "petition.approve", "petition", petition.id, petition.title)
    _commit()
    _tell_creator(petition, "petition_opened", lambda: _("Your petition is open for signatures"))
    return petition


def reject_petition(actor, petition, reason, comment="", *, duplicate_of_id=None):
    """Rejected with a standard reason and an optional comment; petitions rejected for being
    offensive or containing personal data are hidden, the others stay visible with the reason."""
    ensure_can(actor, "petition.moderate", petition)
    errors = {}
    try:
        reason = RejectionReason(reason)
    except ValueError:
        errors["reason"] = [_("Choose a reason.")]
    try:
        comment = _words(comment, "comment", COMMENT_MAX_LENGTH, multiline=True)
    except InvalidInput as error:
        errors["comment"] = [error.message]
    duplicate = None
    if reason is RejectionReason.DUPLICATE:
        try:
            duplicate = db.session.get(Petition, int(duplicate_of_id)) if duplicate_of_id not in (None, "") else None
        except (TypeError, ValueError):
            duplicate = None
        if duplicate is None or duplicate.id == petition.id or state_of(duplicate) not in PUBLIC:
            errors["duplicate_of_id"] = [_("Give the number of the published petition this one duplicates.")]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    target = S.HIDDEN if reason in HIDING_REASONS else S.REJECTED
    _move(petition, target, moderated_at=clock.now(), moderated_by_id=actor.id, rejection_reason=reason.value,
          rejection_comment=comment, duplicate_of_id=duplicate.id if duplicate else None)
    record_staff_action(actor, "petition.reject", "petition", petition.id, petition.title, comment,
                        {"reason": reason.value, "hidden": target is S.HIDDEN,
                         "duplicate_of": duplicate.id if duplicate else None})
    _commit()
    _tell_creator(petition, "petition_rejected", lambda: _("Your petition was not accepted"))
    return petition


def flag_petition(actor, petition, note):
    """Ask another moderator for a second opinion."""
    ensure_can(actor, "petition.moderate", petition)
    note = _words(note, "note", COMMENT_MAX_LENGTH, required=_("Say what the second moderator should look at."),
                  multiline=True)
    _move(petition, S.FLAGGED, flag_note=note)
    record_staff_action(actor, "petition.flag", "petition", petition.id, petition.title, note)
    _commit()
    return petition


def close_due_petitions(now=None):
    """Write down that open petitions past their closing time are closed (`flask civic tick`)."""
    now = now or clock.now()
    due = list(db.session.scalars(select(Petition).where(Petition.state == S.OPEN.value, Petition.closes_at <= now)))
    for petition in due:
        db.session.execute(update(Petition).where(Petition.id == petition.id, Petition.state == S.OPEN.value)
                           .values(state=S.CLOSED.value, closed_at=petition.closes_at))
    _commit()
    for petition in due:
        db.session.refresh(petition)
        _tell_creator(petition, "petition_closed", lambda: _("Your petition has closed"))
    return len(due)


def _tell_creator(petition, template, subject):
    from civic.common.urls import external_url
    from civic.errors import ServiceUnavailable
    from civic.mail.services import send_mail

    creator = petition.creator
    if creator is None or creator.disabled_at is not None:
        return
    try:
        send_mail(creator.email, subject, template, language=creator.language, user=creator, petition=petition,
                  url=external_url("petitions.show", petition_id=petition.id), sponsor_url=sponsor_url(petition))
    except ServiceUnavailable:
        current_app.logger.warning("mail %s about petition %s not sent", template, petition.id)


# --- signing ---------------------------------------------------------------------------------

@dataclass
class SignatureFields:
    name: str = ""
    email: str = ""
    area: str = ""
    consent: bool = False
    notify: bool = False


@dataclass
class SignOutcome:
    """What happened, for the page: "counted" (it counts now), "check_email" (a link was sent;
    also said when the address had signed already, which only the email reveals), or
    "already_signed" (the signed-in person's own signature)."""

    status: str
    signature: Signature | None = None


def _sponsoring(petition, sponsor_token):
    """Signing through the sponsor link, while the petition still gathers its sponsors."""
    return bool(sponsor_token) and secrets.compare_digest(sponsor_token, petition.sponsor_token) \
        and state_of(petition) in SPONSORABLE


def takes_signatures(petition, sponsor_token=None):
    """Open for signatures, or gathering sponsors and reached through its sponsor link."""
    return state_of(petition) in SIGNABLE or _sponsoring(petition, sponsor_token)


def _refuse_signing(petition, state):
    if state is S.CLOSED:
        return ParticipationClosed(_("This petition closed on %(date)s, so it cannot be signed any more.",
                                     date=format_datetime(petition.closes_at)))
    if state in (S.REJECTED, S.HIDDEN):
        return ParticipationClosed(_("This petition was rejected, so it cannot be signed."))
    return ParticipationClosed(_("This petition is not open for signatures yet."))


def _clean_signature(fields, user):
    from civic.accounts.services import normalize_email

    errors = {}
    name = " ".join((fields.name or "").split())
    if not name:
        errors["name"] = [_("Enter your name.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("Use at most %(max)d characters; this has %(length)d.", max=NAME_MAX_LENGTH,
                            length=len(name))]
    typed = key = None
    try:
        typed, lower = normalize_email(fields.email)
        key = mailbox_key(lower)
    except InvalidInput as error:
        errors["email"] = [error.message]
    if fields.area not in areas():
        errors["area"] = [_("Choose where you live from the list.")]
    if not fields.consent:
        errors["consent"] = [_("Say that you have read the privacy notice: we need your name and email to count "
                               "your signature once.")]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    return name, typed, key


def network_of(address):
    """The range an address belongs to for rate limits: /24 for IPv4, /48 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def _check_limits(petition, key, client):
    domain = key.rsplit("@", 1)[-1]
    checks = [("petition-sign-network", network_of(client), "CIVIC_LIMIT_SIGN",
               _("Many signatures have come from your network in a short time. Please try again in %(minutes)d "
                 "minutes."))]
    if domain not in _config("CIVIC_PETITION_COMMON_DOMAINS"):
        checks.append(("petition-sign-domain", domain, "CIVIC_LIMIT_SIGN_DOMAIN",
                       _("Many signatures have come from addresses at %(domain)s in a short time. Please try again "
                         "in %(minutes)d minutes.")))
    checks.append(("petition-sign-email", f"{petition.id}|{key}", "CIVIC_LIMIT_SIGN_EMAIL",
                   _("We have sent several emails to this address already. Please wait %(minutes)d minutes, or use "
                     "the link in the last email.")))
    for scope, identity, setting, message in checks:
        wait = seconds_until_allowed(scope, identity, _config(setting))
        if wait:
            raise RateLimited(message % {"minutes": max(1, round(wait / 60)), "domain": domain}, retry_after=wait)


def sign_petition(petition, fields, *, user=None, client="", sponsor_token=None, language=None):
    """Sign (or sponsor, with the sponsor link). One signature per mailbox and petition, which the
    database enforces. A signed-in person whose verified address it is counts at once; anyone
    else counts when they follow the emailed link."""
    state = state_of(petition)
    sponsoring = _sponsoring(petition, sponsor_token)
    if not takes_signatures(petition, sponsor_token):
        raise _refuse_signing(petition, state)
    name, typed, key = _clean_signature(fields, user)
    trusted = bool(user is not None and getattr(user, "is_authenticated", False) and user.email_verified
                   and mailbox_key(user.email) == key)
    existing = _signature_by_key(petition, key)
    if trusted and existing is not None and existing.validated_at is not None:
        return SignOutcome("already_signed", existing)
    _check_limits(petition, key, client)
    if existing is None:
        try:
            with db.session.begin_nested():
                existing = Signature(petition_id=petition.id, user_id=user.id if trusted else None, name=name,
                                     email=typed, email_key=key, email_domain=key.rsplit("@", 1)[-1],
                                     area=fields.area, notify=bool(fields.notify), sponsor=sponsoring,
                                     ip_address=(client or "")[:45], token=secrets.token_hex(16),
                                     created_at=clock.now())
                db.session.add(existing)
        except IntegrityError:  # the same mailbox at the same moment: theirs is the one
            existing = _signature_by_key(petition, key)
            if existing is None:
                raise Conflict(_("Your signature was sent twice at once. Please try again.")) from None
            if existing.validated_at is not None:
                return _already(petition, existing, typed, language)
            # Theirs is not confirmed yet either: "already counts" would be untrue, so carry on
            # as for signing again before confirming (the link again, or counted if trusted).
    elif existing.validated_at is not None:
        return _already(petition, existing, typed, language)
    else:  # not confirmed yet: take the latest details and send the link again
        existing.name, existing.area, existing.notify = name, fields.area, bool(fields.notify)
        existing.sponsor = existing.sponsor or sponsoring
    _commit()
    if trusted:
        counted = _count(existing)
        return SignOutcome("counted" if counted else "already_signed", existing)
    _send_confirmation(petition, existing, typed, language)
    return SignOutcome("check_email", existing)


def _signature_by_key(petition, key):
    return db.session.scalar(select(Signature).where(Signature.petition_id == petition.id,
                                                     Signature.email_key == key))


def _already(petition, signature, typed, language):
    """Signing twice is answered politely: the email says the signature counts already."""
    from civic.common.urls import external_url
    from civic.mail.services import send_mail

    send_mail(typed, lambda: _("You have already signed “%(title)s”", title=petition.title), "signature_already",
              language=language, petition=petition,
              url=external_url("petitions.show", petition_id=petition.id),
              withdraw_url=withdraw_url(signature))
    return SignOutcome("check_email", signature)


def _send_confirmation(petition, signature, typed, language):
    from civic.common.tokens import make_token
    from civic.common.urls import external_url
    from civic.mail.services import send_mail

    token = make_token(SIGNATURE_LINK_PURPOSE, {"s": signature.id, "t": signature.token})
    send_mail(typed, lambda: _("Please confirm your signature: “%(title)s”", title=petition.title),
              "signature_confirm", language=language, petition=petition, sponsoring=signature.sponsor,
              url=external_url("petitions.confirm_signature", petition_id=petition.id, token=token),
              days=SIGNATURE_LINK_MAX_AGE // 86400, withdraw_url=withdraw_url(signature))


def withdraw_url(signature):
    from civic.common.tokens import make_token
    from civic.common.urls import external_url

    token = make_token(WITHDRAW_LINK_PURPOSE, {"s": signature.id, "t": signature.token})
    return external_url("petitions.withdraw", petition_id=signature.petition_id, token=token)


def _read_signature_token(purpose, token, max_age, petition):
    from civic.common.tokens import read_token

    payload = read_token(purpose, token, max_age)
    signature = db.session.get(Signature, payload.get("s")) if isinstance(payload, dict) else None
    if signature is None or signature.petition_id != petition.id or \
            not secrets.compare_digest(str(payload.get("t", "")), signature.token):
        raise TokenInvalid(_("This link is not valid any more: the signature was withdrawn, or the link was "
                             "copied incompletely."))
    return signature


def confirm_signature(petition, token):
    """The emailed link: the signature counts from now on, once however often it is used.
    Returns (signature, counted_now)."""
    signature = _read_signature_token(SIGNATURE_LINK_PURPOSE, token, SIGNATURE_LINK_MAX_AGE, petition)
    if signature.invalidated_at is not None:
        raise InvalidInput(_("This signature was not counted: it matched signatures we judged fraudulent. If you "
                             "signed in good faith, contact us."))
    if signature.validated_at is not None:
        return signature, False
    state = state_of(petition)
    if state not in SIGNABLE and not (signature.sponsor and state in SPONSORABLE):
        raise _refuse_signing(petition, state)
    return signature, _count(signature)


def _count(signature):
    """Validate and count one signature: only the update that finds it unvalidated counts it,
    so racing confirmations count it once. Thresholds are stamped the moment they are reached."""
    now = clock.now()
    won = db.session.execute(update(Signature).where(Signature.id == signature.id,
                                                     Signature.validated_at.is_(None),
                                                     Signature.invalidated_at.is_(None))
                             .values(validated_at=now)).rowcount == 1
    if not won:
        db.session.rollback()
        return False
    values = {"signature_count": Petition.signature_count + 1, "last_signed_at": now}
    if signature.sponsor:
        values["sponsor_count"] = Petition.sponsor_count + 1
    db.session.execute(update(Petition).where(Petition.id == signature.petition_id).values(**values))
    signature.validated_at = now
    _tally(signature, 1)
    _stamp_thresholds(signature.petition_id, now)
    _commit()
    petition = db.session.get(Petition, signature.petition_id)
    db.session.refresh(petition)
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    if signature.sponsor and petition.sponsor_count >= sponsors_needed():
        _ask_for_moderation(petition)
    return True


def _stamp_thresholds(petition_id, now):
    response, debate = thresholds()
    for column, threshold in ((Petition.response_threshold_reached_at, response),
                              (Petition.debate_threshold_reached_at, debate)):
        db.session.execute(update(Petition).where(Petition.id == petition_id, column.is_(None),
                                                  Petition.signature_count >= threshold)
                           .values({column.key: now}))


def withdraw_signature(petition, token):
    """The link in a signer's email: their signature stops counting and their details are deleted."""
    signature = _read_signature_token(WITHDRAW_LINK_PURPOSE, token, WITHDRAW_LINK_MAX_AGE, petition)
    if signature.user_id is not None and signature.user_id == petition.creator_id:
        raise Conflict(_("The person who started a petition cannot withdraw their own signature."))
    counted = signature.validated_at is not None and signature.invalidated_at is None
    deleted = db.session.execute(Signature.__table__.delete().where(Signature.id == signature.id)).rowcount == 1
    if deleted and counted:
        values = {"signature_count": Petition.signature_count - 1}
        if signature.sponsor:
            values["sponsor_count"] = Petition.sponsor_count - 1
        db.session.execute(update(Petition).where(Petition.id == petition.id).values(**values))
        _tally(signature, -1)
    _commit()
    db.session.expire_all()
    petition = db.session.get(Petition, petition.id)
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return petition


# --- the official response and the debate ----------------------------------------------------

def publish_response(actor, petition, summary, details):
    """The council's response; signers who asked for news are emailed (the first time)."""
    ensure_can(actor, "petition.respond", petition)
    if state_of(petition) not in RESPONDABLE:
        raise Conflict(_("Only an open or closed petition can be answered."))
    errors = {}
    try:
        summary = _words(summary, "summary", RESPONSE_SUMMARY_MAX_LENGTH, required=_("Write a short summary."),
                         multiline=True)
    except InvalidInput as error:
        errors["summary"] = [error.message]
    try:
        details = _words(details, "details", RESPONSE_DETAILS_MAX_LENGTH, multiline=True)
    except InvalidInput as error:
        errors["details"] = [error.message]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    first = petition.responded_at is None
    petition.response_summary, petition.response_details_markdown = summary, details
    petition.response_details_html = render_markdown(details)
    petition.responded_at = petition.responded_at or clock.now()
    petition.responded_by_id = actor.id
    record_staff_action(actor, "petition.respond" if first else "petition.respond_update", "petition", petition.id,
                        petition.title)
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.RESPONSE.value))
    _commit()
    return petition


def _clean_url(value, field):
    value = (value or "").strip()
    if value and (len(value) > URL_MAX_LENGTH or not re.match(r"https?://[^\s/]+\.[^\s]+$", value)):
        raise InvalidInput(_("Enter a full web address starting with https://."), field=field)
    return value


def schedule_debate(actor, petition, debate_on):
    ensure_can(actor, "petition.respond", petition)
    if state_of(petition) not in RESPONDABLE:
        raise Conflict(_("Only an open or closed petition can be debated."))
    if debate_on is None:
        raise InvalidInput(_("Choose the date of the debate."), field="debate_on")
    first = petition.debate_scheduled_on is None
    petition.debate_scheduled_on = debate_on
    record_staff_action(actor, "petition.schedule_debate", "petition", petition.id, petition.title,
                        details={"date": debate_on.isoformat()})
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.DEBATE_SCHEDULED.value))
    _commit()
    return petition


def publish_debate_outcome(actor, petition, debated_on, overview, transcript_url="", video_url=""):
    ensure_can(actor, "petition.respond", petition)
    if state_of(petition) not in RESPONDABLE:
        raise Conflict(_("Only an open or closed petition can be debated."))
    errors = {}
    if debated_on is None:
        errors["debated_on"] = [_("Choose the date of the debate.")]
    elif debated_on > clock.utc_to_local(clock.now()).date():
        errors["debated_on"] = [_("The debate's outcome can be published once it has taken place.")]
    try:
        overview = _words(overview, "overview", RESPONSE_DETAILS_MAX_LENGTH,
                          required=_("Say what was said and decided in the debate."), multiline=True)
    except InvalidInput as error:
        errors["overview"] = [error.message]
    links = {}
    for name, value in (("transcript_url", transcript_url), ("video_url", video_url)):
        try:
            links[name] = _clean_url(value, name)
        except InvalidInput as error:
            errors[name] = [error.message]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    first = petition.debated_on is None
    petition.debated_on = debated_on
    petition.debate_overview_markdown, petition.debate_overview_html = overview, render_markdown(overview)
    petition.debate_transcript_url, petition.debate_video_url = links["transcript_url"], links["video_url"]
    record_staff_action(actor, "petition.debate_outcome", "petition", petition.id, petition.title)
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.DEBATE_OUTCOME.value))
    _commit()
    return petition


MAILING_SUBJECTS = {
    "response": lambda p: _("The council responded to “%(title)s”", title=p.title),
    "debate_scheduled": lambda p: _("“%(title)s” will be debated", title=p.title),
    "debate_outcome": lambda p: _("“%(title)s” was debated", title=p.title),
}


def send_mailings(batch=200):
    """Email the next batch of each unfinished mailing (signers who asked for news); run by
    `flask civic tick`. Returns the number of emails sent."""
    from civic.common.urls import external_url
    from civic.errors import ServiceUnavailable
    from civic.mail.services import send_mail

    sent = 0
    for mailing in list(db.session.scalars(select(Mailing).where(Mailing.finished_at.is_(None)).order_by(Mailing.id))):
        petition = db.session.get(Petition, mailing.petition_id)
        signatures = list(db.session.scalars(select(Signature).where(
            Signature.petition_id == mailing.petition_id, Signature.id > mailing.last_signature_id,
            Signature.notify.is_(True), _counted()).order_by(Signature.id).limit(batch)))
        url = external_url("petitions.show", petition_id=petition.id)
        for signature in signatures:
            try:
                send_mail(signature.email, lambda: MAILING_SUBJECTS[mailing.kind](petition), f"petition_{mailing.kind}",
                          petition=petition, name=signature.name, url=url, withdraw_url=withdraw_url(signature))
            except ServiceUnavailable:
                break  # the mail server is down: carry on from here next time
            mailing.last_signature_id = signature.id
            mailing.sent_count += 1
            sent += 1
        else:
            if len(signatures) < batch:
                mailing.finished_at = clock.now()
        _commit()
    return sent


# --- fraud -----------------------------------------------------------------------------------

@dataclass
class InvalidationRule:
    ip_range: str = ""
    email_domain: str = ""
    signed_from: datetime | None = None
    signed_until: datetime | None = None


def _clean_rule(rule):
    errors = {}
    network = None
    ip_range = (rule.ip_range or "").strip()
    if ip_range:
        try:
            network = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            errors["ip_range"] = [_("Enter an address or a range like 203.0.113.0/24.")]
    domain = (rule.email_domain or "").strip().lower().lstrip("@")
    if domain and not re.match(r"^[a-z0-9.-]+\.[a-z]{2,}$", domain):
        errors["email_domain"] = [_("Enter a domain like example.org.")]
    if rule.signed_from and rule.signed_until and rule.signed_until <= rule.signed_from:
        errors["signed_until"] = [_("The end of the time window must be after its start.")]
    if not (ip_range or domain or rule.signed_from or rule.signed_until) and not errors:
        errors["ip_range"] = [_("Give at least one rule: an address range, a domain or a time window.")]
    return network, domain, errors


def matching_signatures(petition, rule):
    """Ids of this petition's signatures (counted or not) that match the rule and are not
    invalidated already."""
    network, domain, errors = _clean_rule(rule)
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    query = select(Signature.id, Signature.ip_address).where(Signature.petition_id == petition.id,
                                                             Signature.invalidated_at.is_(None))
    if domain:
        query = query.where(Signature.email_domain == domain)
    if rule.signed_from:
        query = query.where(Signature.created_at >= rule.signed_from)
    if rule.signed_until:
        query = query.where(Signature.created_at < rule.signed_until)
    ids = []
    for signature_id, ip in db.session.execute(query):
        if network is not None:
            try:
                if ipaddress.ip_address(ip) not in network:
                    continue
            except ValueError:
                continue
        ids.append(signature_id)
    return ids, network, domain


def invalidate_signatures(actor, petition, rule, reason):
    """Invalidate every signature matching the rule, with a reason and an audit entry; the count
    is recalculated. Reversible with revert_invalidation."""
    ensure_can(actor, "petition.investigate", petition)
    reason = _words(reason, "reason", COMMENT_MAX_LENGTH, required=_("Say why these signatures are invalid."),
                    multiline=True)
    ids, network, domain = matching_signatures(petition, rule)
    if not ids:
        raise InvalidInput(_("No signatures match this rule, so nothing was invalidated."), field="ip_range")
    now = clock.now()
    invalidation = Invalidation(petition_id=petition.id, ip_range=str(network) if network else "", email_domain=domain,
                                signed_from=rule.signed_from, signed_until=rule.signed_until, reason=reason,
                                matched_count=len(ids), created_by_id=actor.id, created_at=now)
    db.session.add(invalidation)
    db.session.flush()
    for start in range(0, len(ids), 500):
        db.session.execute(update(Signature).where(Signature.id.in_(ids[start:start + 500]),
                                                   Signature.invalidated_at.is_(None))
                           .values(invalidated_at=now, invalidation_id=invalidation.id))
    _recount(petition)
    record_staff_action(actor, "petition.invalidate", "petition", petition.id, petition.title, reason,
                        {"invalidation": invalidation.id, "signatures": len(ids), "ip_range": invalidation.ip_range,
                         "email_domain": domain})
    _commit()
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return invalidation


def revert_invalidation(actor, invalidation, reason):
    petition = db.session.get(Petition, invalidation.petition_id)
    ensure_can(actor, "petition.investigate", petition)
    if invalidation.reverted_at is not None:
        raise Conflict(_("This invalidation was reverted already."))
    reason = _words(reason, "reason", COMMENT_MAX_LENGTH, required=_("Say why the signatures count again."),
                    multiline=True)
    db.session.execute(update(Signature).where(Signature.invalidation_id == invalidation.id)
                       .values(invalidated_at=None, invalidation_id=None))
    invalidation.reverted_at, invalidation.reverted_by_id, invalidation.revert_reason = clock.now(), actor.id, reason
    _recount(petition)
    record_staff_action(actor, "petition.revert_invalidation", "petition", petition.id, petition.title, reason,
                        {"invalidation": invalidation.id})
    _commit()
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return invalidation


def _recount(petition):
    """The petition's counts from its signatures; the petition's row is written first, as every
    signature does, so that a recount and a signature never wait on each other in turn."""
    db.session.flush()
    counted = select(func.count()).select_from(Signature).where(Signature.petition_id == petition.id, _counted())
    db.session.execute(update(Petition).where(Petition.id == petition.id).values(
        signature_count=counted.scalar_subquery(),
        sponsor_count=counted.where(Signature.sponsor.is_(True)).scalar_subquery()))
    rebuild_tallies(petition.id)
    db.session.refresh(petition)


def invalidations(petition):
    return list(db.session.scalars(select(Invalidation).where(Invalidation.petition_id == petition.id)
                                   .order_by(Invalidation.created_at.desc())))


def get_invalidation(petition, invalidation_id):
    invalidation = db.session.get(Invalidation, invalidation_id)
    if invalidation is None or invalidation.petition_id != petition.id:
        raise NotFound(_("There is no such invalidation."))
    return invalidation


def suspicious_bursts(actor, petition, *, window=timedelta(minutes=10), min_count=None, since=None):
    """Many signatures from one network range or one email domain in a short time: for each
    range and domain, the busiest `window` of this petition's signatures, busiest first."""
    from civic.insights.bursts import busiest_windows

    ensure_can(actor, "petition.investigate", petition)
    query = select(Signature.ip_address, Signature.email_domain, Signature.created_at).where(
        Signature.petition_id == petition.id, Signature.invalidated_at.is_(None))
    if since is not None:
        query = query.where(Signature.created_at >= since)
    rows = db.session.execute(query).all()
    common = _config("CIVIC_PETITION_COMMON_DOMAINS")
    min_count = min_count or 10
    return {
        "networks": busiest_windows(((network_of(ip), at) for ip, _domain, at in rows), window, min_count),
        "domains": busiest_windows(((domain, at) for _ip, domain, at in rows if domain not in common),
                                   window, min_count),
    }


# --- exports ---------------------------------------------------------------------------------

def area_rows(actor, petition):
    ensure_can(actor, "petition.export", petition)
    return counts_by_area(petition)


def signer_rows(actor, petition, *, batch=1000):
    """Every counted signer (name, email, area, time): administrators only, audited."""
    ensure_can(actor, "petition.export_signers", petition)
    record_staff_action(actor, "petition.export_signers", "petition", petition.id, petition.title)
    _commit()
    last = 0
    while True:
        rows = db.session.execute(select(Signature.id, Signature.name, Signature.email, Signature.area,
                                         Signature.validated_at).where(
            Signature.petition_id == petition.id, _counted(), Signature.id > last)
            .order_by(Signature.id).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].id



# --- open data (JSON) ------------------------------------------------------------------------

def _iso(moment):
    return moment.isoformat() if moment else None


def petition_data(petition, *, with_areas=True):
    """What anyone may know about a public petition, as plain values (never a signer's details).
    A petition before moderation, or hidden, is not open data."""
    from civic.common.urls import external_url

    response, debate = thresholds()
    state = state_of(petition)
    if state not in PUBLIC:
        raise NotFound(_("There is no such petition."))
    data = {
        "id": petition.id,
        "url": external_url("petitions.show", petition_id=petition.id),
        "title": petition.title,
        "background": petition.background,
        "details": petition.details,
        "topic": petition.topic or None,
        "state": state.value,
        "creator_name": None if petition.creator_anonymous else petition.creator_name,
        "signature_count": petition.signature_count if state in PUBLISHED else None,
        "created_at": _iso(petition.created_at),
        "opened_at": _iso(petition.opened_at),
        "closes_at": _iso(petition.closes_at),
        "closed_at": _iso(petition.closed_at or (petition.closes_at if state is S.CLOSED else None)),
        "thresholds": {"response": response, "debate": debate},
        "response_threshold_reached_at": _iso(petition.response_threshold_reached_at),
        "debate_threshold_reached_at": _iso(petition.debate_threshold_reached_at),
        "rejection": None,
        "government_response": None,
        "debate": None,
    }
    if state is S.REJECTED:
        data["rejection"] = {"code": petition.rejection_reason, "details": petition.rejection_comment or None,
                             "duplicate_of": petition.duplicate_of_id, "rejected_at": _iso(petition.moderated_at)}
    if petition.responded_at:
        data["government_response"] = {"summary": petition.response_summary,
                                       "details": petition.response_details_markdown,
                                       "responded_at": _iso(petition.responded_at)}
    if petition.debate_scheduled_on or petition.debated_on:
        data["debate"] = {"scheduled_on": petition.debate_scheduled_on.isoformat()
                          if petition.debate_scheduled_on else None,
                          "debated_on": petition.debated_on.isoformat() if petition.debated_on else None,
                          "overview": petition.debate_overview_markdown or None,
                          "transcript_url": petition.debate_transcript_url or None,
                          "video_url": petition.debate_video_url or None}
    if with_areas and state in PUBLISHED:
        data["signatures_by_area"] = [{"area": area, "signature_count": count}
                                      for area, count in counts_by_area(petition)]
    return data


def petition_context(petition_id):
    """What a petition's discussion is about: the petition, with a link to it. Readable where the
    petition is; it takes comments while the petition is open."""
    from civic.discussions.services import DiscussionContext

    petition = db.session.get(Petition, petition_id)
    if petition is None:
        return None
    open_now = state_of(petition) in SIGNABLE
    return DiscussionContext(summary=_("This discussion is about the petition:"), link_text=petition.title,
                             endpoint="petitions.show", values={"petition_id": petition.id}, owner=petition,
                             view_action="petition.view", accepts_comments=open_now,
                             closed_message="" if open_now else _("The petition is closed, so its discussion takes "
                                                                  "no new comments."))
