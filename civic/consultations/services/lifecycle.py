"""A consultation's life: finding and listing them, drafting, publishing, corrections, closing
early, deleting a draft, the public timeline and the outcome with its "you said / we did" points.
The phase is derived from publication and dates (Consultation.phase), so a consultation opens
and closes on time without anyone pressing a button."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit
from civic.common.markdown import render_markdown
from civic.common.pagination import paginate
from civic.common.validation import FieldErrors, clean_text, raise_first
from civic.consultations.models import (
    BODY_MAX_LENGTH,
    CHANGEABLE,
    CLOSABLE_EARLY,
    CONTACT_MAX_LENGTH,
    DELETABLE,
    FREELY_EDITABLE,
    LABEL_MAX_LENGTH,
    OUTCOME_ALLOWED,
    OUTCOME_ITEM_MAX_LENGTH,
    PUBLISHABLE,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Consultation,
    Correction,
    OutcomeItem,
    Phase,
    TimelinePhase,
)
from civic.consultations.services._shared import clean_correction_note, too_long
from civic.consultations.services.documents import remove_files
from civic.consultations.services.draft_text import remove_draft_text
from civic.consultations.services.follows import record_outcome_news
from civic.discussions.contexts import DiscussionContext
from civic.discussions.services.discussions import create_attached_discussion
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.notifications import services as notifications
from civic.permissions import ensure_can

EDITABLE_FIELDS = (
    "title",
    "summary",
    "body_markdown",
    "topic",
    "area",
    "contact",
    "opens_at",
    "closes_at",
    "anonymous_responses",
)
LIST_FILTERS = ("open", "upcoming", "closed", "outcome")
MAX_TIMELINE_PHASES = 8
OUTCOME_MAX_LENGTH = 50_000
CLOSING_REASON_MAX_LENGTH = 500


def get_consultation(consultation_id, viewer, action="consultation.view"):
    """The consultation, if it exists and `viewer` may see it and do `action` with it."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    ensure_can(viewer, "consultation.view", consultation)
    if action != "consultation.view":
        ensure_can(viewer, action, consultation)
    return consultation


def load_consultation(consultation_id):
    """For the socket layer: the consultation or None, without permission checks."""
    return db.session.get(Consultation, consultation_id)


def consultation_context(consultation_id):
    """What a consultation's own discussion is about: the consultation, with a link to it."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    return DiscussionContext(
        summary=_("This discussion is about the consultation:"),
        link_text=consultation.title,
        endpoint="consultations.show",
        values={"consultation_id": consultation.id},
        owner=consultation,
        view_action="consultation.view",
    )


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


_LIST_ORDER = {
    "open": (Consultation.closes_at.asc(),),
    "upcoming": (Consultation.opens_at.asc(),),
    "closed": (Consultation.closes_at.desc(),),
    "outcome": (Consultation.outcome_published_at.desc(),),
    "draft": (Consultation.updated_at.desc(),),
}


def list_consultations(kind="open", *, topic=None, area=None, page=1, per_page=20, now=None):
    now = now or clock.now()
    if kind not in LIST_FILTERS + ("draft",):
        kind = "open"
    query = select(Consultation).where(_visible_filter(kind, now))
    if topic:
        query = query.where(Consultation.topic == topic)
    if area:
        query = query.where(Consultation.area == area)
    query = query.order_by(*_LIST_ORDER[kind], Consultation.id.desc()).options(selectinload(Consultation.documents))
    return paginate(query, page=page, per_page=per_page)


def open_consultations(limit=5, *, now=None):
    """The first open consultations in the list's order, without counting them all (the home page)."""
    now = now or clock.now()
    query = select(Consultation).where(_visible_filter("open", now))
    query = query.order_by(*_LIST_ORDER["open"], Consultation.id.desc()).limit(limit)
    return list(db.session.scalars(query.options(selectinload(Consultation.documents))))  # cards show covers


def response_total():
    """Responses to published consultations, from their kept counters (the home page's figures)."""
    published = Consultation.published_at.isnot(None)
    return db.session.scalar(select(func.coalesce(func.sum(Consultation.response_count), 0)).where(published))


def filter_values():
    """Topics and areas used by publicly visible consultations, for the list's filters."""
    published = Consultation.published_at.isnot(None)
    topics = db.session.scalars(
        select(Consultation.topic).distinct().where(published, Consultation.topic != "").order_by(Consultation.topic)
    )
    areas = db.session.scalars(
        select(Consultation.area).distinct().where(published, Consultation.area != "").order_by(Consultation.area)
    )
    return list(topics), list(areas)


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
    anonymous_responses: bool = False


def _clean(fields):
    problems = FieldErrors()
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
        cleaned[name] = problems.check(
            clean_text,
            getattr(fields, name),
            field=name,
            max_length=max_length,
            required=required,
            too_long=too_long(max_length),
        )
    # A draft has its dates from the start (issue 12: a draft saved without them, and only
    # Publish said so); the closing time may still be in the past until it is published.
    missing_date = {
        "opens_at": _("Choose when the consultation opens."),
        "closes_at": _("Choose when the consultation closes."),
    }
    for name, local in (("opens_at", fields.opens_local), ("closes_at", fields.closes_local)):
        if local is None:
            problems.add(name.replace("_at", "_local"), missing_date[name])
            cleaned[name] = None
            continue
        moment = clock.local_to_utc(local)
        if moment is None:
            problems.add(
                name.replace("_at", "_local"),
                _("That time does not exist in this time zone (the clocks go forward then). Choose another."),
            )
        cleaned[name] = moment
    if not problems and cleaned["opens_at"] and cleaned["closes_at"] and cleaned["closes_at"] <= cleaned["opens_at"]:
        problems.add("closes_local", _("The closing time must be after the opening time."))
    problems.raise_if_any()
    cleaned["topic"] = " ".join(cleaned["topic"].split())
    cleaned["anonymous_responses"] = bool(fields.anonymous_responses)
    cleaned["area"] = " ".join(cleaned["area"].split())
    return cleaned


def create_consultation(actor, fields):
    ensure_can(actor, "consultation.manage")
    cleaned = _clean(fields)
    consultation = Consultation(created_by_id=actor.id, body_html=render_markdown(cleaned["body_markdown"]), **cleaned)
    db.session.add(consultation)
    db.session.flush()
    record_staff_action(actor, "consultation.create", "consultation", consultation.id, consultation.title)
    commit()
    return consultation


def update_consultation(actor, consultation, fields, *, correction_note=""):
    """Drafts change freely. A published consultation changes only with a note saying what was
    corrected, which is listed publicly with its date."""
    ensure_can(actor, "consultation.manage", consultation)
    phase = consultation.phase
    if phase not in CHANGEABLE:
        raise Conflict(_("The outcome is published; the consultation can no longer change."))
    cleaned = _clean(fields)
    changed = [name for name in EDITABLE_FIELDS if getattr(consultation, name) != cleaned[name]]
    if not changed:
        return consultation
    if phase not in FREELY_EDITABLE:
        note = clean_correction_note(correction_note)
        if ("opens_at" in changed and phase is not Phase.SCHEDULED) or (
            "closes_at" in changed and cleaned["closes_at"] <= clock.now()
        ):
            raise InvalidInput(
                _(
                    "An opening that has passed cannot move, and the closing time must stay "
                    "in the future. To end now, close the consultation early."
                ),
                field="opens_local" if "opens_at" in changed else "closes_local",
            )
        db.session.add(
            Correction(consultation_id=consultation.id, author_id=actor.id, note=note, fields=",".join(changed))
        )
    for name in changed:
        setattr(consultation, name, cleaned[name])
    consultation.body_html = render_markdown(consultation.body_markdown)
    record_staff_action(
        actor,
        "consultation.update",
        "consultation",
        consultation.id,
        consultation.title,
        correction_note,
        {"fields": changed},
    )
    commit()
    return consultation


def publish_consultation(actor, consultation):
    """A complete draft becomes public: scheduled until it opens, then open until it closes."""
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in PUBLISHABLE:
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
        # One message that lists everything missing, and each problem beside its field.
        raise InvalidInput(
            _("This draft is not ready to publish:") + " " + " ".join(m for ms in missing.values() for m in ms),
            field=next(iter(missing)),
            errors=missing,
        )
    consultation.published_at = clock.now()
    if consultation.discussion_id is None:
        consultation.discussion_id = create_attached_discussion("consultation", consultation.id, consultation.title).id
    record_staff_action(actor, "consultation.publish", "consultation", consultation.id, consultation.title)
    commit()
    return consultation


def close_early(actor, consultation, reason):
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in CLOSABLE_EARLY:
        raise Conflict(_("Only an open consultation can be closed early."))
    reason = clean_text(
        reason,
        field="reason",
        max_length=CLOSING_REASON_MAX_LENGTH,
        required=_("Say why it closes early: the reason is shown publicly."),
        too_long=too_long(CLOSING_REASON_MAX_LENGTH),
    )
    consultation.closed_early_at = consultation.closes_at = clock.now()
    consultation.closed_early_reason = reason
    record_staff_action(actor, "consultation.close_early", "consultation", consultation.id, consultation.title, reason)
    commit()
    return consultation


def delete_consultation(actor, consultation):
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in DELETABLE:
        raise Conflict(_("Only drafts can be deleted. A published consultation stays on record."))
    record_staff_action(actor, "consultation.delete", "consultation", consultation.id, consultation.title)
    stored = [document.stored_name for document in consultation.documents]
    remove_draft_text(consultation)
    db.session.delete(consultation)
    commit()
    remove_files(stored)


# --- the outcome ----------------------------------------------------------------------------


@dataclass
class OutcomeItemRow:
    """One "you said / we did" point, about a question of the questionnaire or a named theme."""

    question_id: object = None
    theme: str = ""
    you_said: str = ""
    we_did: str = ""


MAX_OUTCOME_ITEMS = 20


def _clean_outcome_items(consultation, rows, problems):
    """Rows left blank are dropped; the others need both texts and a question or a theme.
    Problems are keyed items-<n>-<field>, like the form's fields."""
    questions = {question.id for question in consultation.questions}
    kept = []
    for index, row in enumerate(rows):
        theme = " ".join((row.theme or "").split())
        try:
            question_id = int(row.question_id) if row.question_id not in (None, "") else None
        except (TypeError, ValueError):
            question_id = -1
        if not (theme or (row.you_said or "").strip() or (row.we_did or "").strip() or question_id):
            continue
        prefix = f"items-{index}-"
        if question_id is not None and question_id not in questions:
            problems.add(prefix + "question_id", _("Choose one of this consultation's questions."))
        if question_id is None and not theme:
            problems.add(prefix + "theme", _("Choose the question this point is about, or name its theme."))
        if len(theme) > LABEL_MAX_LENGTH:
            problems.add(prefix + "theme", too_long(LABEL_MAX_LENGTH))
        said = problems.check(
            clean_text,
            row.you_said,
            field=prefix + "you_said",
            max_length=OUTCOME_ITEM_MAX_LENGTH,
            required=_("Say what people said about it."),
        )
        did = problems.check(
            clean_text,
            row.we_did,
            field=prefix + "we_did",
            max_length=OUTCOME_ITEM_MAX_LENGTH,
            required=_("Say what was decided about it."),
        )
        kept.append(OutcomeItem(question_id=question_id, theme=theme, you_said=said, we_did=did))
    if len(kept) > MAX_OUTCOME_ITEMS:
        problems.add("items", _("An outcome has at most %(n)d points.", n=MAX_OUTCOME_ITEMS))
    return kept


def publish_outcome(actor, consultation, text, items=None):
    """We asked, you said, we did: what was decided and why, after closing, with points that
    each answer a question of the questionnaire or a theme (`items`; None keeps the current ones)."""
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in OUTCOME_ALLOWED:
        raise Conflict(_("The outcome can be published once the consultation has closed."))
    problems = FieldErrors()
    text = problems.check(
        clean_text,
        text,
        field="outcome",
        max_length=OUTCOME_MAX_LENGTH,
        required=_("Write what was decided and why."),
        too_long=too_long(OUTCOME_MAX_LENGTH),
    )
    kept = _clean_outcome_items(consultation, items, problems) if items is not None else None
    problems.raise_if_any()
    first = consultation.outcome_published_at is None
    consultation.outcome_markdown, consultation.outcome_html = text, render_markdown(text)
    if kept is not None:
        consultation.outcome_items.clear()
        db.session.flush()
        for position, item in enumerate(kept):
            item.position = position
            consultation.outcome_items.append(item)
    consultation.outcome_published_at = consultation.outcome_published_at or clock.now()
    if not first:
        db.session.add(
            Correction(
                consultation_id=consultation.id,
                author_id=actor.id,
                note=_("The outcome was updated."),
                fields="outcome",
            )
        )
    record_staff_action(actor, "consultation.outcome", "consultation", consultation.id, consultation.title)
    told = record_outcome_news(consultation) if first else set()
    commit()
    notifications.push_unread_counts(told)
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
            errors[f"phases-{index}-name"] = [
                _(
                    "Keep names under %(n)d characters and descriptions under %(m)d.",
                    n=LABEL_MAX_LENGTH,
                    m=SUMMARY_MAX_LENGTH,
                )
            ]
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            errors[f"phases-{index}-ends_on"] = [_("A phase cannot end before it starts.")]
    raise_first(errors)
    consultation.timeline.clear()
    db.session.flush()
    for position, row in enumerate(kept):
        consultation.timeline.append(
            TimelinePhase(
                position=position,
                name=row.name.strip(),
                description=(row.description or "").strip(),
                starts_on=row.starts_on,
                ends_on=row.ends_on,
            )
        )
    record_staff_action(actor, "consultation.timeline", "consultation", consultation.id, consultation.title)
    commit()
    return consultation
