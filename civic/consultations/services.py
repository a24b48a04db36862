"""Consultation services: drafting, scheduling, publishing, corrections, closing early, the
timeline and the outcome. The phase is derived from publication and dates (phase_of), so a
consultation opens and closes on time without anyone pressing a button."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, select

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.markdown import render_markdown
from civic.consultations.models import (
    BODY_MAX_LENGTH, CLOSABLE_EARLY, CONTACT_MAX_LENGTH, DELETABLE, FREELY_EDITABLE, LABEL_MAX_LENGTH,
    OUTCOME_ALLOWED, PUBLICLY_VISIBLE, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Consultation, Correction, Phase,
    TimelinePhase,
)
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import ensure_can

EDITABLE_FIELDS = ("title", "summary", "body_markdown", "topic", "area", "contact", "opens_at", "closes_at")
LIST_FILTERS = ("open", "upcoming", "closed", "outcome")
MAX_TIMELINE_PHASES = 8
OUTCOME_MAX_LENGTH = 50_000


def phase_of(consultation, now=None):
    now = now or clock.now()
    if consultation.published_at is None:
        return Phase.DRAFT
    if consultation.outcome_published_at is not None:
        return Phase.OUTCOME_PUBLISHED
    if consultation.opens_at and now < consultation.opens_at:
        return Phase.SCHEDULED
    if consultation.closes_at and now >= consultation.closes_at:
        return Phase.CLOSED
    return Phase.OPEN


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def get_consultation(consultation_id, viewer):
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    ensure_can(viewer, "consultation.view", consultation)
    return consultation


# --- reading -------------------------------------------------------------------------------

def _visible_filter(kind, now):
    published = Consultation.published_at.isnot(None)
    no_outcome = Consultation.outcome_published_at.is_(None)
    return {
        "open": and_(published, no_outcome, Consultation.opens_at <= now, Consultation.closes_at > now),
        "upcoming": and_(published, no_outcome, Consultation.opens_at > now),
        "closed": and_(published, no_outcome, Consultation.closes_at <= now),
        "outcome": Consultation.outcome_published_at.isnot(None),
        "draft": Consultation.published_at.is_(None),
    }[kind]


def list_consultations(kind="open", *, topic=None, area=None, page=1, per_page=20, now=None):
    now = now or clock.now()
    if kind not in LIST_FILTERS + ("draft",):
        kind = "open"
    query = select(Consultation).where(_visible_filter(kind, now))
    if topic:
        query = query.where(Consultation.topic == topic)
    if area:
        query = query.where(Consultation.area == area)
    order = {
        "open": (Consultation.closes_at.asc(),),
        "upcoming": (Consultation.opens_at.asc(),),
        "closed": (Consultation.closes_at.desc(),),
        "outcome": (Consultation.outcome_published_at.desc(),),
        "draft": (Consultation.updated_at.desc(),),
    }[kind]
    return db.paginate(query.order_by(*order, Consultation.id.desc()), page=page, per_page=per_page,
                       error_out=False)


def open_consultations(limit=5):
    return list_consultations("open", per_page=limit).items


def filter_values():
    """Topics and areas used by publicly visible consultations, for the list's filters."""
    published = Consultation.published_at.isnot(None)
    topics = db.session.scalars(select(Consultation.topic).distinct().where(published, Consultation.topic != "")
                                .order_by(Consultation.topic))
    areas = db.session.scalars(select(Consultation.area).distinct().where(published, Consultation.area != "")
                               .order_by(Consultation.area))
    return list(topics), list(areas)


def days_left(consultation, now=None):
    now = now or clock.now()
    if phase_of(consultation, now) is not Phase.OPEN:
        return None
    seconds = (consultation.closes_at - now).total_seconds()
    return max(0, int(-(-seconds // 86400)))


# --- drafting and editing ------------------------------------------------------------------

@dataclass
class ConsultationFields:
    """What an official types; dates are naive wall-clock times in the site's time zone."""

    title: str = ""
    summary: str = ""
    body_markdown: str = ""
    topic: str = ""
    area: str = ""
    contact: str = ""
    opens_local: object = None
    closes_local: object = None


def _text(value, field, max_length, *, required_message=None):
    value = (value or "").replace("\r\n", "\n").strip()
    if required_message and not value:
        raise InvalidInput(required_message, field=field)
    if len(value) > max_length:
        raise InvalidInput(_("Use at most %(max)d characters.", max=max_length), field=field)
    return value


def _clean(fields):
    errors = {}
    cleaned = {}
    checks = [
        ("title", TITLE_MAX_LENGTH, _("Give the consultation a title.")),
        ("summary", SUMMARY_MAX_LENGTH, None),
        ("body_markdown", BODY_MAX_LENGTH, None),
        ("topic", LABEL_MAX_LENGTH, None),
        ("area", LABEL_MAX_LENGTH, None),
        ("contact", CONTACT_MAX_LENGTH, None),
    ]
    for name, max_length, required in checks:
        try:
            cleaned[name] = _text(getattr(fields, name), name, max_length, required_message=required)
        except InvalidInput as error:
            errors[name] = [error.message]
    for name, local in (("opens_at", fields.opens_local), ("closes_at", fields.closes_local)):
        if local is None:
            cleaned[name] = None
            continue
        moment = clock.local_to_utc(local)
        if moment is None:
            errors[name.replace("_at", "_local")] = [
                _("That time does not exist in this time zone (the clocks go forward then). Choose another.")]
        cleaned[name] = moment
    if not errors and cleaned["opens_at"] and cleaned["closes_at"] and cleaned["closes_at"] <= cleaned["opens_at"]:
        errors["closes_local"] = [_("The closing time must be after the opening time.")]
    if errors:
        first_field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=first_field, errors=errors)
    cleaned["topic"] = " ".join(cleaned["topic"].split())
    cleaned["area"] = " ".join(cleaned["area"].split())
    return cleaned


def create_consultation(actor, fields):
    ensure_can(actor, "consultation.manage")
    cleaned = _clean(fields)
    consultation = Consultation(created_by_id=actor.id, body_html=render_markdown(cleaned["body_markdown"]),
                                **cleaned)
    db.session.add(consultation)
    db.session.flush()
    record_staff_action(actor, "consultation.create", "consultation", consultation.id, consultation.title)
    _commit()
    return consultation


def update_consultation(actor, consultation, fields, *, correction_note=""):
    """Drafts change freely. A published consultation changes only with a note saying what was
    corrected, which is listed publicly with its date."""
    ensure_can(actor, "consultation.manage", consultation)
    phase = phase_of(consultation)
    if phase is Phase.OUTCOME_PUBLISHED:
        raise Conflict(_("The outcome is published; the consultation can no longer change."))
    cleaned = _clean(fields)
    changed = [name for name in EDITABLE_FIELDS if getattr(consultation, name) != cleaned[name]]
    if not changed:
        return consultation
    if phase not in FREELY_EDITABLE:
        note = (correction_note or "").strip()
        if not note:
            raise InvalidInput(_("Say what you corrected: the note is shown publicly with the date."),
                               field="correction_note")
        if len(note) > 500:
            raise InvalidInput(_("Use at most %(max)d characters.", max=500), field="correction_note")
        if ("opens_at" in changed and phase is not Phase.SCHEDULED) or \
                ("closes_at" in changed and cleaned["closes_at"] <= clock.now()):
            raise InvalidInput(_("An opening that has passed cannot move, and the closing time must stay "
                                 "in the future. To end now, close the consultation early."),
                               field="opens_local" if "opens_at" in changed else "closes_local")
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id, note=note,
                                  fields=",".join(changed)))
    for name in changed:
        setattr(consultation, name, cleaned[name])
    consultation.body_html = render_markdown(consultation.body_markdown)
    record_staff_action(actor, "consultation.update", "consultation", consultation.id, consultation.title,
                        correction_note, {"fields": changed})
    _commit()
    return consultation


def publish_consultation(actor, consultation):
    """A complete draft becomes public: scheduled until it opens, then open until it closes."""
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) is not Phase.DRAFT:
        raise Conflict(_("This consultation is published already."))
    missing = {}
    if not consultation.summary:
        missing["summary"] = [_("Write a short summary before publishing.")]
    if consultation.opens_at is None:
        missing["opens_local"] = [_("Choose when the consultation opens.")]
    if consultation.closes_at is None:
        missing["closes_local"] = [_("Choose when the consultation closes.")]
    elif consultation.closes_at <= clock.now():
        missing["closes_local"] = [_("The closing time has passed. Choose a later one.")]
    if missing:
        field, messages = next(iter(missing.items()))
        raise InvalidInput(_("This draft is not ready to publish:") + " " +
                           " ".join(m for ms in missing.values() for m in ms), field=field, errors=missing)
    from civic.discussions.services import create_attached_discussion

    consultation.published_at = clock.now()
    if consultation.discussion_id is None:
        consultation.discussion_id = create_attached_discussion("consultation", consultation.id,
                                                                consultation.title).id
    record_staff_action(actor, "consultation.publish", "consultation", consultation.id, consultation.title)
    _commit()
    return consultation


def close_early(actor, consultation, reason):
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) not in CLOSABLE_EARLY:
        raise Conflict(_("Only an open consultation can be closed early."))
    reason = _text(reason, "reason", 500, required_message=_("Say why it closes early: the reason is shown publicly."))
    consultation.closed_early_at = consultation.closes_at = clock.now()
    consultation.closed_early_reason = reason
    record_staff_action(actor, "consultation.close_early", "consultation", consultation.id, consultation.title,
                        reason)
    _commit()
    return consultation


def delete_consultation(actor, consultation):
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) not in DELETABLE:
        raise Conflict(_("Only drafts can be deleted. A published consultation stays on record."))
    record_staff_action(actor, "consultation.delete", "consultation", consultation.id, consultation.title)
    db.session.delete(consultation)
    _commit()


def publish_outcome(actor, consultation, text):
    """We asked, you said, we did: what was decided and why, after closing."""
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) not in OUTCOME_ALLOWED:
        raise Conflict(_("The outcome can be published once the consultation has closed."))
    text = _text(text, "outcome", OUTCOME_MAX_LENGTH,
                 required_message=_("Write what was decided and why."))
    first = consultation.outcome_published_at is None
    consultation.outcome_markdown, consultation.outcome_html = text, render_markdown(text)
    consultation.outcome_published_at = consultation.outcome_published_at or clock.now()
    if not first:
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id,
                                  note=_("The outcome was updated."), fields="outcome"))
    record_staff_action(actor, "consultation.outcome", "consultation", consultation.id, consultation.title)
    _commit()
    return consultation


# --- timeline -------------------------------------------------------------------------------

@dataclass
class TimelineRow:
    name: str = ""
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def set_timeline(actor, consultation, rows):
    """Replace the public timeline with the rows that have a name (blank rows are dropped)."""
    ensure_can(actor, "consultation.manage", consultation)
    kept = [row for row in rows if (row.name or "").strip()]
    if len(kept) > MAX_TIMELINE_PHASES:
        raise InvalidInput(_("A timeline has at most %(n)d phases.", n=MAX_TIMELINE_PHASES))
    errors = {}
    for index, row in enumerate(rows):
        if not (row.name or "").strip():
            if row.description or row.starts_on or row.ends_on:
                errors[f"phases-{index}-name"] = [_("Give this phase a name, or clear the row.")]
            continue
        if len(row.name.strip()) > LABEL_MAX_LENGTH or len((row.description or "").strip()) > SUMMARY_MAX_LENGTH:
            errors[f"phases-{index}-name"] = [_("Keep names under %(n)d characters and descriptions under %(m)d.",
                                                n=LABEL_MAX_LENGTH, m=SUMMARY_MAX_LENGTH)]
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            errors[f"phases-{index}-ends_on"] = [_("A phase cannot end before it starts.")]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    consultation.timeline.clear()
    db.session.flush()
    for position, row in enumerate(kept):
        consultation.timeline.append(TimelinePhase(position=position, name=row.name.strip(),
                                                   description=(row.description or "").strip(),
                                                   starts_on=row.starts_on, ends_on=row.ends_on))
    record_staff_action(actor, "consultation.timeline", "consultation", consultation.id, consultation.title)
    _commit()
    return consultation


def is_publicly_visible(consultation):
    return phase_of(consultation) in PUBLICLY_VISIBLE
