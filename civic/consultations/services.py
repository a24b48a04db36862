"""Consultation services: drafting, scheduling, publishing, corrections, closing early, the
timeline and the outcome. The phase is derived from publication and dates (phase_of), so a
consultation opens and closes on time without anyone pressing a button."""
import hashlib
import os
import secrets
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import format_datetime
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.emails import mailbox_key
from civic.common.filesize import format_size
from civic.common.markdown import render_markdown
from civic.common.ratelimit import seconds_until_allowed
from civic.consultations import questionnaire, uploads
from civic.consultations.models import (
    ACCEPTING_RESPONSES, BODY_MAX_LENGTH, CLOSABLE_EARLY, CONTACT_MAX_LENGTH, DELETABLE, FREELY_EDITABLE, LABEL_MAX_LENGTH,
    OUTCOME_ALLOWED, OUTCOME_ITEM_MAX_LENGTH, SUMMARY_MAX_LENGTH, OutcomeItem, TITLE_MAX_LENGTH, Answer, Consultation,
    STATEMENT_MAX_LENGTH, ConsultationFollow, Correction, Phase, Statement, StatementStatus, StatementVote,
    StatementVoteEvent, VOTABLE_STATEMENTS,
    Question, Response, TimelinePhase,
)
from civic.consultations.models import ALT_TEXT_MAX_LENGTH, DOCUMENT_TITLE_MAX_LENGTH, Document, DocumentRole
from civic.consultations import drafttext
from civic.consultations.models import TEXT_COMMENTABLE, DraftSection
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound, ParticipationClosed, RateLimited, ServiceUnavailable
from civic.common.db import commit as _commit
from civic.extensions import db
from civic.permissions import can, ensure_can
from civic.realtime import publish_tally

EDITABLE_FIELDS = ("title", "summary", "body_markdown", "topic", "area", "contact", "opens_at", "closes_at",
                   "anonymous_responses")
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


def get_consultation(consultation_id, viewer):
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    ensure_can(viewer, "consultation.view", consultation)
    return consultation


def load_consultation(consultation_id):
    """For the socket layer: the consultation or None, without permission checks."""
    return db.session.get(Consultation, consultation_id)


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
    anonymous_responses: bool = False


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
    cleaned["anonymous_responses"] = bool(fields.anonymous_responses)
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
    stored = [document.stored_name for document in consultation.documents]
    _remove_draft_text(consultation)
    db.session.delete(consultation)
    _commit()
    _remove_files(stored)


@dataclass
class OutcomeItemRow:
    """One "you said / we did" point, about a question of the questionnaire or a named theme."""

    question_id: object = None
    theme: str = ""
    you_said: str = ""
    we_did: str = ""


MAX_OUTCOME_ITEMS = 20


def _clean_outcome_items(consultation, rows):
    """Rows left blank are dropped; the others need both texts and a question or a theme.
    Errors are keyed items-<n>-<field>, like the form's fields."""
    questions = {question.id for question in consultation.questions}
    kept, errors = [], {}
    for index, row in enumerate(rows):
        theme = " ".join((row.theme or "").split())
        said, did = _multiline(row.you_said), _multiline(row.we_did)
        try:
            question_id = int(row.question_id) if row.question_id not in (None, "") else None
        except (TypeError, ValueError):
            question_id = -1
        if not (theme or said or did or question_id):
            continue
        prefix = f"items-{index}-"
        if question_id is not None and question_id not in questions:
            errors[prefix + "question_id"] = [_("Choose one of this consultation's questions.")]
        if question_id is None and not theme:
            errors[prefix + "theme"] = [_("Choose the question this point is about, or name its theme.")]
        if len(theme) > LABEL_MAX_LENGTH:
            errors[prefix + "theme"] = [_("Use at most %(max)d characters.", max=LABEL_MAX_LENGTH)]
        for name, value, missing in (("you_said", said, _("Say what people said about it.")),
                                     ("we_did", did, _("Say what was decided about it."))):
            if not value:
                errors[prefix + name] = [missing]
            elif len(value) > OUTCOME_ITEM_MAX_LENGTH:
                errors[prefix + name] = [_("Use at most %(max)d characters; this has %(length)d.",
                                           max=OUTCOME_ITEM_MAX_LENGTH, length=len(value))]
        kept.append(OutcomeItem(question_id=question_id, theme=theme, you_said=said, we_did=did))
    if len(kept) > MAX_OUTCOME_ITEMS:
        errors.setdefault("items", [_("An outcome has at most %(n)d points.", n=MAX_OUTCOME_ITEMS)])
    return kept, errors


def _multiline(value):
    return (value or "").replace("\r\n", "\n").strip()


def publish_outcome(actor, consultation, text, items=None):
    """We asked, you said, we did: what was decided and why, after closing, with points that
    each answer a question of the questionnaire or a theme (`items`; None keeps the current ones)."""
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) not in OUTCOME_ALLOWED:
        raise Conflict(_("The outcome can be published once the consultation has closed."))
    errors = {}
    try:
        text = _text(text, "outcome", OUTCOME_MAX_LENGTH, required_message=_("Write what was decided and why."))
    except InvalidInput as error:
        errors["outcome"] = [error.message]
    kept, item_errors = _clean_outcome_items(consultation, items) if items is not None else (None, {})
    errors.update(item_errors)
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
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
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id,
                                  note=_("The outcome was updated."), fields="outcome"))
    record_staff_action(actor, "consultation.outcome", "consultation", consultation.id, consultation.title)
    _commit()
    if first:
        _notify_outcome(consultation)
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


# --- the questionnaire ---------------------------------------------------------------------

@dataclass
class QuestionData:
    kind: str = "short_text"
    prompt: str = ""
    help_text: str = ""
    section: str = ""
    required: bool = False
    options: tuple = ()
    allow_other: bool = False
    scale: str = "1-5"
    scale_min_label: str = ""
    scale_max_label: str = ""


WORDING_FIELDS = ("prompt", "help_text", "section", "scale_min_label", "scale_max_label")


def questionnaire_locked(consultation):
    """Questions cannot change (except their wording) once the first response is submitted."""
    return db.session.scalar(select(Response.id).where(Response.consultation_id == consultation.id,
                                                       Response.first_submitted_at.isnot(None)).limit(1)) is not None


def _clean_question(data):
    errors = {}
    if data.kind not in questionnaire.KINDS:
        errors["kind"] = [_("Choose one of the kinds of question offered.")]
    prompt = " ".join((data.prompt or "").split())
    if not prompt:
        errors["prompt"] = [_("Write the question.")]
    elif len(prompt) > 500:
        errors["prompt"] = [_("Use at most %(max)d characters.", max=500)]
    help_text = (data.help_text or "").strip()
    if len(help_text) > 1000:
        errors["help_text"] = [_("Use at most %(max)d characters.", max=1000)]
    section = " ".join((data.section or "").split())
    if len(section) > TITLE_MAX_LENGTH:
        errors["section"] = [_("Use at most %(max)d characters.", max=TITLE_MAX_LENGTH)]
    options = questionnaire.check_options(data.kind, data.options or ())
    if options is None:
        errors["options"] = [_("Give between 2 and 30 different options, one per line, each under 200 characters.")]
    try:
        low, high = (int(part) for part in (data.scale or "1-5").split("-"))
    except ValueError:
        low, high = None, None
    if data.kind == "scale" and (low, high) not in questionnaire.SCALES:
        errors["scale"] = [_("Choose a scale from 1 to 5 or from 0 to 10.")]
    labels = [(data.scale_min_label or "").strip(), (data.scale_max_label or "").strip()]
    if any(len(label) > LABEL_MAX_LENGTH for label in labels):
        errors["scale_min_label"] = [_("Use at most %(max)d characters.", max=LABEL_MAX_LENGTH)]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    scale = (low, high) if data.kind == "scale" else (1, 5)
    return {"kind": data.kind, "prompt": prompt, "help_text": help_text, "section": section,
            "required": bool(data.required), "options": options or [],
            "allow_other": bool(data.allow_other) and data.kind in ("single_choice", "multiple_choice"),
            "scale_min": scale[0], "scale_max": scale[1],
            "scale_min_label": labels[0] if data.kind == "scale" else "",
            "scale_max_label": labels[1] if data.kind == "scale" else ""}


def save_question(actor, consultation, data, question=None):
    """Add a question (question=None) or change one. After the first response only the wording
    may change, and each change is listed publicly."""
    ensure_can(actor, "consultation.manage", consultation)
    if phase_of(consultation) is Phase.OUTCOME_PUBLISHED:
        raise Conflict(_("The outcome is published; the questionnaire can no longer change."))
    cleaned = _clean_question(data)
    locked = questionnaire_locked(consultation)
    if question is None:
        if locked:
            raise Conflict(_("Responses have arrived: questions can no longer be added or removed."))
        position = max((q.position for q in consultation.questions), default=-1) + 1
        question = Question(consultation_id=consultation.id, position=position, **cleaned)
        db.session.add(question)
        action = "question.create"
    else:
        changed = [name for name, value in cleaned.items() if getattr(question, name) != value]
        if not changed:
            return question
        if locked:
            if set(changed) - set(WORDING_FIELDS):
                raise Conflict(_("Responses have arrived: only the wording of a question can change now."))
            db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id,
                                      note=_("Wording of the question “%(prompt)s” corrected.",
                                             prompt=cleaned["prompt"][:200]), fields="question"))
        for name in changed:
            setattr(question, name, cleaned[name])
        action = "question.update"
    db.session.flush()
    record_staff_action(actor, action, "consultation", consultation.id, consultation.title, "",
                        {"question": question.id})
    _commit()
    return question


def delete_question(actor, question):
    consultation = question.consultation
    ensure_can(actor, "consultation.manage", consultation)
    if questionnaire_locked(consultation):
        raise Conflict(_("Responses have arrived: questions can no longer be added or removed."))
    consultation.questions.remove(question)
    for position, remaining in enumerate(consultation.questions):
        remaining.position = position
    record_staff_action(actor, "question.delete", "consultation", consultation.id, consultation.title)
    _commit()


def move_question(actor, question, offset):
    consultation = question.consultation
    ensure_can(actor, "consultation.manage", consultation)
    questions = list(consultation.questions)
    index = questions.index(question)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(questions):
        return
    questions[index], questions[target] = questions[target], questions[index]
    for position, item in enumerate(questions):
        item.position = position
    _commit()


def get_question(consultation, question_id):
    question = db.session.get(Question, question_id)
    if question is None or question.consultation_id != consultation.id:
        raise NotFound(_("There is no such question in this consultation."))
    return question


# --- responses ------------------------------------------------------------------------------

DRAFT_TEXT_CAP = 20_000  # what a saved draft keeps of one answer; checks happen at review


def my_response(user, consultation):
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Response).where(Response.consultation_id == consultation.id,
                                                    Response.user_id == user.id))


def answers_by_question(response):
    return {a.question_id: a for a in response.answers} if response else {}


def _problem_message(checked):
    numbers = checked.numbers
    return {
        "required": _("Please answer this question."),
        "too_long": _("Use at most %(max)d characters; this answer has %(length)d.",
                      max=numbers.get("max", 0), length=numbers.get("length", 0)),
        "not_offered": _("Choose one of the options offered."),
        "one_choice": _("Choose only one option."),
        "other_empty": _("Say what your other answer is, or choose another option."),
        "out_of_range": _("Choose a number from %(min)d to %(max)d.", min=numbers.get("min", 0),
                          max=numbers.get("max", 0)),
        "rank_all": _("Give each of the %(n)d options a different position, from 1 to %(n)d.",
                      n=numbers.get("n", 0)),
    }[checked.problem]


def check_response(consultation, raw):
    """raw: {question_id: (value, other_text)} -> (cleaned {question_id: Checked}, problems {field: [msg]})."""
    cleaned, problems = {}, {}
    for question in consultation.questions:
        value, other = raw.get(question.id, (None, ""))
        checked = questionnaire.check_answer(question.spec(), value, other)
        if checked.problem:
            problems[f"q{question.id}"] = [_problem_message(checked)]
        else:
            cleaned[question.id] = checked
    return cleaned, problems


def _require_open(consultation):
    if phase_of(consultation) not in ACCEPTING_RESPONSES:
        if phase_of(consultation) is Phase.SCHEDULED:
            raise ParticipationClosed(_("This consultation is not open yet. It opens on %(date)s.",
                                        date=format_datetime(consultation.opens_at)))
        raise ParticipationClosed(_("This consultation closed on %(date)s, so it no longer takes responses.",
                                    date=format_datetime(consultation.closes_at)))


def _response_for(user, consultation):
    """This person's response row, created if needed. Two windows may create it at the same
    moment: the unique constraint lets one win, and the other uses the winner's row."""
    response = my_response(user, consultation) or _adopt_anonymous_response(user, consultation)
    if response is None:
        try:
            with db.session.begin_nested():
                response = Response(consultation_id=consultation.id, user_id=user.id)
                db.session.add(response)
        except IntegrityError:
            response = my_response(user, consultation)
    return response


def _adopt_anonymous_response(user, consultation):
    """Someone who responded without an account and later signs in with that address finds
    their response there, to change it; it was counted already and is not counted again."""
    if not getattr(user, "email_verified", False):
        return None
    key = mailbox_key(user.email)
    response = db.session.scalar(select(Response).where(Response.consultation_id == consultation.id,
                                                        Response.user_id.is_(None), Response.email == key))
    if response is not None:
        response.user_id = user.id
    return response


def _store(response, consultation, values):
    existing = answers_by_question(response)
    for question in consultation.questions:
        value, other = values.get(question.id, (None, ""))
        answer = existing.get(question.id)
        if answer is None:
            answer = Answer(question_id=question.id)
            response.answers.append(answer)
        answer.value, answer.other_text = value, (other or "")[:500]


def _cap(value):
    if isinstance(value, str):
        return value[:DRAFT_TEXT_CAP]
    if isinstance(value, list):
        return [item[:DRAFT_TEXT_CAP] for item in value[:50]]
    return value


def save_response(user, consultation, raw):
    """Keep what the person typed so far, without checking it, to come back to before closing."""
    ensure_can(user, "consultation.respond", consultation)
    _require_open(consultation)
    response = _response_for(user, consultation)
    _store(response, consultation, {qid: (_cap(value), other) for qid, (value, other) in raw.items()})
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was saved from another window. Reload the page.")) from exc
    return response


def submit_response(user, consultation, raw):
    """Check every answer and submit. One response per account, which can change until closing.
    Refused after closing (the caller shows the person their answers to keep)."""
    ensure_can(user, "consultation.respond", consultation)
    _require_open(consultation)
    cleaned, problems = check_response(consultation, raw)
    if problems:
        field, messages = next(iter(problems.items()))
        raise InvalidInput(messages[0], field=field, errors=problems)
    response = _response_for(user, consultation)
    _store(response, consultation, {qid: (checked.value, checked.other) for qid, checked in cleaned.items()})
    _count_submission(response, consultation)
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was submitted from another window. Reload the page.")) from exc
    db.session.refresh(consultation)
    _send_receipt(user, consultation, response)
    publish_tally("consultation", consultation.id, {"responses": consultation.response_count})
    return response


def _count_submission(response, consultation):
    now = clock.now()
    response.submitted_at = now
    db.session.flush()
    # Counted once even when two windows submit at the same moment: only the update that
    # finds first_submitted_at still empty counts (the row lock makes the other one wait and see it set).
    first = db.session.execute(update(Response).where(Response.id == response.id,
                                                      Response.first_submitted_at.is_(None))
                               .values(first_submitted_at=now)).rowcount == 1
    if first:
        db.session.execute(update(Consultation).where(Consultation.id == consultation.id)
                           .values(response_count=Consultation.response_count + 1))
    return first


def readable_answers(consultation, response):
    """(question, text) pairs for receipts and the review page."""
    by_question = answers_by_question(response)
    rows = []
    for question in consultation.questions:
        answer = by_question.get(question.id)
        value = answer.value if answer else None
        if isinstance(value, list):
            text = "; ".join(value) if question.kind != "ranking" else \
                "; ".join(f"{n}. {item}" for n, item in enumerate(value, start=1))
        elif value == questionnaire.OTHER:
            text = ""
        elif question.kind == "yes_no" and value in ("yes", "no"):
            text = _("Yes") if value == "yes" else _("No")
        else:
            text = "" if value is None else str(value)
        if answer and answer.other_text:
            text = f"{text}; {answer.other_text}" if text else answer.other_text
        rows.append((question, text))
    return rows


def _send_receipt(user, consultation, response):
    from civic.common.urls import external_url
    from civic.mail.services import send_mail

    try:
        send_mail(user.email, lambda: _("Your response to “%(title)s”", title=consultation.title),
                  "response_receipt", language=user.language, user=user, consultation=consultation,
                  answers=readable_answers(consultation, response), response=response,
                  url=external_url("consultations.show", consultation_id=consultation.id))
    except ServiceUnavailable:
        pass  # the response is stored; the receipt is a courtesy that must not undo it


# --- responses without an account ----------------------------------------------------------

ANONYMOUS_TOKEN_PURPOSE = "consultation-response"
ANONYMOUS_LINK_MAX_AGE = 3 * 24 * 3600  # seconds


def _send_or_say(to, subject, template, **context):
    from civic.mail.services import send_mail

    send_mail(to, subject, template, **context)  # ServiceUnavailable reaches the person: "try again"


def takes_anonymous_responses(consultation):
    return consultation.anonymous_responses and phase_of(consultation) in ACCEPTING_RESPONSES


def request_anonymous_response(consultation, email, raw, *, client="", language=None):
    """Someone without an account answers and gives an email address. Nothing counts until they
    follow the emailed link. The page says "check your email" whatever happened, so that it
    does not reveal who responded; the email says what happened:
    - a new or unconfirmed response from this mailbox: its answers are (re)placed and a link sent
      (an earlier link stops working);
    - a response from this mailbox already counts: it is not changed, and the email says so;
    - the address belongs to an account: nothing is stored; the email says to sign in.
    One response per mailbox (see common.emails.mailbox_key), enforced by the database."""
    from civic.accounts.models import User
    from civic.accounts.services import normalize_email
    from civic.common.tokens import make_token
    from civic.common.urls import external_url

    if not consultation.anonymous_responses:
        raise NotAllowed(_("This consultation takes responses from people with an account only."))
    _require_open(consultation)
    errors = {}
    typed = key = None
    try:
        typed, lower = normalize_email(email)
        key = mailbox_key(lower)
    except InvalidInput as error:
        errors["email"] = [error.message]
    cleaned, problems = check_response(consultation, raw)
    errors.update(problems)
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    # Limits count only complete answers: per network address, then per mailbox.
    wait = seconds_until_allowed("consultation-response-address", client,
                                 current_app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE"])
    if wait:
        raise RateLimited(_("Too many responses have come from your network. Please try again in %(minutes)d "
                            "minutes; your answers are below.", minutes=max(1, round(wait / 60))), retry_after=wait)
    wait = seconds_until_allowed("consultation-response-email", f"{consultation.id}|{key}",
                                 current_app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE_EMAIL"])
    if wait:
        raise RateLimited(_("We have sent several emails to this address already. Please wait %(minutes)d "
                            "minutes, or use the link in the last email.", minutes=max(1, round(wait / 60))),
                          retry_after=wait)
    url = external_url("consultations.show", consultation_id=consultation.id)
    subject = lambda: _("Your response to “%(title)s”", title=consultation.title)  # noqa: E731
    account = db.session.scalar(select(User).where(User.email_normalized.in_({lower, key})))
    if account is not None:
        _send_or_say(typed, subject, "response_has_account", language=account.language, consultation=consultation,
                     url=url)
        return None
    response = db.session.scalar(select(Response).where(Response.consultation_id == consultation.id,
                                                        Response.email == key))
    if response is not None and response.submitted_at is not None:
        _send_or_say(typed, subject, "response_counted_already", language=language, consultation=consultation,
                     response=response, url=url)
        return response
    if response is None:
        try:
            with db.session.begin_nested():
                response = Response(consultation_id=consultation.id, email=key)
                db.session.add(response)
        except IntegrityError:  # the same address at the same moment from another window
            response = db.session.scalar(select(Response).where(Response.consultation_id == consultation.id,
                                                                Response.email == key))
    _store(response, consultation, {qid: (checked.value, checked.other) for qid, checked in cleaned.items()})
    response.confirmation_nonce = secrets.token_hex(8)
    response.confirmation_sent_at = clock.now()
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was sent from another window a moment ago. Check your email.")) from exc
    token = make_token(ANONYMOUS_TOKEN_PURPOSE, {"r": response.id, "n": response.confirmation_nonce})
    _send_or_say(typed, subject, "response_confirm", language=language, consultation=consultation,
                 answers=readable_answers(consultation, response), hours=ANONYMOUS_LINK_MAX_AGE // 3600,
                 url=external_url("consultations.confirm_response", consultation_id=consultation.id, token=token))
    return response


def confirm_anonymous_response(consultation, token, *, language=None):
    """The emailed link: the response counts from now on (once, however often the link is used)."""
    from civic.common.tokens import read_token
    from civic.common.urls import external_url
    from civic.errors import TokenInvalid

    payload = read_token(ANONYMOUS_TOKEN_PURPOSE, token, ANONYMOUS_LINK_MAX_AGE)
    response = db.session.get(Response, payload.get("r")) if isinstance(payload, dict) else None
    if response is None or response.consultation_id != consultation.id or response.email is None:
        raise TokenInvalid(_("This link is not valid. Check that you copied all of it."))
    if response.submitted_at is not None:
        return response, False
    if response.confirmation_nonce != payload.get("n"):
        raise TokenInvalid(_("This link was replaced by a newer one: use the link in the last email we sent you."))
    _require_open(consultation)
    cleaned, problems = check_response(consultation, _stored_values(response))
    if problems:  # the questionnaire changed in between (only possible before the first response)
        raise InvalidInput(_("The questions changed after you answered. Please respond again."))
    _count_submission(response, consultation)
    response.confirmation_nonce = None
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was confirmed from another window.")) from exc
    db.session.refresh(consultation)
    publish_tally("consultation", consultation.id, {"responses": consultation.response_count})
    try:
        _send_or_say(response.email, lambda: _("Your response to “%(title)s”", title=consultation.title),
                     "response_receipt", language=language, user=None, consultation=consultation,
                     answers=readable_answers(consultation, response), response=response,
                     url=external_url("consultations.show", consultation_id=consultation.id))
    except ServiceUnavailable:
        pass  # it counts; the copy is a courtesy
    return response, True


def _stored_values(response):
    return {a.question_id: (a.value, a.other_text) for a in response.answers}


# --- results and exports (officials) --------------------------------------------------------

TEXT_KINDS = frozenset({"short_text", "long_text"})
EXPORT_BATCH = 500


def _submitted(consultation):
    return (Response.consultation_id == consultation.id) & Response.submitted_at.isnot(None)


def results(actor, consultation):
    """The dashboard: responses per day, and each question's counts and shares."""
    from civic.insights.questionnaire_results import per_day

    ensure_can(actor, "consultation.results", consultation)
    zone = clock.site_zone()
    days = [moment.astimezone(zone).date() for moment in db.session.scalars(
        select(Response.first_submitted_at).where(_submitted(consultation)))]
    questions = [(question, _question_summary(consultation, question)) for question in consultation.questions]
    return {"per_day": per_day(days), "questions": questions, "total": len(days)}


def _question_summary(consultation, question):
    """Counts and shares of one question's submitted answers (no answer text)."""
    from civic.insights.questionnaire_results import summarise

    values = list(db.session.scalars(select(Answer.value).join(Response).where(
        _submitted(consultation), Answer.question_id == question.id)))
    if question.kind in TEXT_KINDS:
        answered = sum(1 for value in values if value)
        return {"kind": question.kind, "answered": answered, "skipped": len(values) - answered}
    return summarise(question.kind, values, options=question.options, scale=(question.scale_min, question.scale_max))


def outcome_points(consultation):
    """The published "you said / we did" points, each with the results of its question (counts
    and shares only) for everyone to see: [(item, summary or None)]."""
    if consultation.outcome_published_at is None:
        return []
    return [(item, _question_summary(consultation, item.question) if item.question is not None else None)
            for item in consultation.outcome_items]


def text_answers(actor, consultation, question, *, contains="", page=1, per_page=20):
    """Free-text answers to read one by one, newest first, optionally filtered by a word."""
    ensure_can(actor, "consultation.results", consultation)
    query = (select(Answer, Response.submitted_at).join(Response)
             .where(_submitted(consultation), Answer.question_id == question.id)
             .order_by(Response.submitted_at.desc(), Answer.id.desc()))
    if question.kind in TEXT_KINDS:
        query = query.where(Answer.value.isnot(None))
    else:
        query = query.where(Answer.other_text != "")
    contains = (contains or "").strip()[:200]
    rows = [(answer, submitted_at) for answer, submitted_at in db.session.execute(query)
            if _answer_text(answer) and (not contains or contains.lower() in _answer_text(answer).lower())]
    total = len(rows)
    start = (max(1, page) - 1) * per_page
    return rows[start:start + per_page], total


def _answer_text(answer):
    if isinstance(answer.value, str) and answer.value != questionnaire.OTHER:
        return answer.value
    return answer.other_text or ""


def _cell(question, answer, other_label):
    if answer is None or answer.value in (None, "", []):
        return answer.other_text if answer else ""
    value = answer.value
    if isinstance(value, list):
        text = " | ".join(value)
    elif value == questionnaire.OTHER:
        text = ""
    else:
        text = str(value)
    if answer.other_text:
        other = f"{other_label}: {answer.other_text}"
        text = f"{text} | {other}" if text else other
    return text


def export_rows(actor, consultation, *, personal_data=False):
    """Rows of the export, header first, read in batches so that 50,000 responses never sit in
    memory at once. Personal data (names, emails) only when asked for; every export is audited."""
    from civic.accounts.models import User

    ensure_can(actor, "consultation.export", consultation)
    questions = list(consultation.questions)
    other_label = _("Other")  # translated now: the rows are produced while the response streams
    record_staff_action(actor, "consultation.export", "consultation", consultation.id, consultation.title, "",
                        {"personal_data": bool(personal_data)})
    _commit()
    header = ["response_id", "submitted_at"] + (["name", "email"] if personal_data else [])
    header += [f"q{q.id}: {q.prompt}" for q in questions]
    yield header
    last_id = 0
    while True:
        batch = list(db.session.execute(
            select(Response.id, Response.submitted_at, Response.user_id)
            .where(_submitted(consultation), Response.id > last_id).order_by(Response.id).limit(EXPORT_BATCH)))
        if not batch:
            break
        ids = [row.id for row in batch]
        # Plain rows, not ORM objects: the session's identity map does not grow with the export.
        answers = {}
        for answer in db.session.execute(select(Answer.response_id, Answer.question_id, Answer.value,
                                                Answer.other_text).where(Answer.response_id.in_(ids))):
            answers[(answer.response_id, answer.question_id)] = answer
        people = {}
        if personal_data:
            people = {u.id: u for u in db.session.execute(
                select(User.id, User.display_name, User.email)
                .where(User.id.in_([row.user_id for row in batch if row.user_id])))}
        for row in batch:
            cells = [row.id, row.submitted_at.isoformat()]
            if personal_data:
                person = people.get(row.user_id)
                cells += [person.display_name if person else "", person.email if person else ""]
            cells += [_cell(q, answers.get((row.id, q.id)), other_label) for q in questions]
            yield cells
        last_id = ids[-1]


# --- follows and notifications --------------------------------------------------------------

def is_following(user, consultation):
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(ConsultationFollow.id).where(
        ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id)) is not None


def follow_consultation(user, consultation, follow=True):
    ensure_can(user, "consultation.follow", consultation)
    if follow and not is_following(user, consultation):
        db.session.add(ConsultationFollow(consultation_id=consultation.id, user_id=user.id))
    elif not follow:
        db.session.execute(ConsultationFollow.__table__.delete().where(
            ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id))
    try:
        _commit()
    except IntegrityError:
        pass  # followed from another window a moment ago


def _people_to_tell(consultation):
    followers = set(db.session.scalars(select(ConsultationFollow.user_id).where(
        ConsultationFollow.consultation_id == consultation.id)))
    respondents = set(db.session.scalars(select(Response.user_id).where(
        _submitted(consultation), Response.user_id.isnot(None))))
    return followers | respondents


def notify_closed_consultations(now=None):
    """Tell followers and respondents of each consultation that has closed since the last run.
    Run every minute by `flask civic tick` (and by the development server itself)."""
    from civic.notifications import services as notifications

    now = now or clock.now()
    due = list(db.session.scalars(select(Consultation).where(
        Consultation.published_at.isnot(None), Consultation.closes_at <= now,
        Consultation.closed_notified_at.is_(None))))
    told = set()
    for consultation in due:
        for user_id in _people_to_tell(consultation):
            notifications.add(user_id, "consultation_closed", None, consultation=consultation)
            told.add(user_id)
        consultation.closed_notified_at = now
    _commit()
    notifications.push_unread_counts(told)
    return len(due)


def _notify_outcome(consultation):
    from civic.accounts.models import User
    from civic.common.urls import external_url
    from civic.mail.services import send_mail
    from civic.notifications import services as notifications

    people = _people_to_tell(consultation)
    for user_id in people:
        notifications.add(user_id, "consultation_outcome", None, consultation=consultation)
    _commit()
    notifications.push_unread_counts(people)
    url = external_url("consultations.show", consultation_id=consultation.id)
    for user in db.session.scalars(select(User).where(User.id.in_(people), User.disabled_at.is_(None))):
        try:
            send_mail(user.email, lambda: _("What was decided: “%(title)s”", title=consultation.title),
                      "consultation_outcome", language=user.language, user=user, consultation=consultation, url=url)
        except ServiceUnavailable:
            current_app.logger.warning("outcome mail to user %s not sent", user.id)
    for address in db.session.scalars(select(Response.email).where(
            _submitted(consultation), Response.user_id.is_(None), Response.email.isnot(None))):
        try:  # people who responded without an account
            send_mail(address, lambda: _("What was decided: “%(title)s”", title=consultation.title),
                      "consultation_outcome", user=None, consultation=consultation, url=url)
        except ServiceUnavailable:
            current_app.logger.warning("outcome mail to an anonymous respondent not sent")


# --- statements (Pol.is-style) --------------------------------------------------------------

VOTE_COLUMNS = {1: Statement.agree_count, -1: Statement.disagree_count, 0: Statement.pass_count}


def participant_key(user):
    return f"user:{user.id}"


def set_statement_options(actor, consultation, *, enabled, premoderated):
    ensure_can(actor, "consultation.manage", consultation)
    consultation.statements_enabled, consultation.statements_premoderated = bool(enabled), bool(premoderated)
    record_staff_action(actor, "consultation.statements", "consultation", consultation.id, consultation.title, "",
                        {"enabled": bool(enabled), "premoderated": bool(premoderated)})
    _commit()


def add_statement(actor, consultation, text):
    """Officials seed statements (shown at once); citizens' wait for a moderator when the
    consultation is pre-moderated."""
    seeding = can(actor, "consultation.manage", consultation)
    if not seeding:
        ensure_can(actor, "consultation.respond", consultation)
        if not consultation.statements_enabled:
            raise Conflict(_("This consultation does not take statements."))
        _require_open(consultation)
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput(_("Write your statement first."), field="text")
    if len(text) > STATEMENT_MAX_LENGTH:
        raise InvalidInput(_("A statement has at most %(max)d characters; yours has %(length)d.",
                             max=STATEMENT_MAX_LENGTH, length=len(text)), field="text")
    approved = seeding or not consultation.statements_premoderated
    statement = Statement(consultation_id=consultation.id, text=text, author_id=actor.id, seeded=seeding,
                          status=(StatementStatus.APPROVED if approved else StatementStatus.PENDING).value)
    db.session.add(statement)
    _commit()
    return statement


def moderate_statement(actor, statement, approve, reason=""):
    consultation = db.session.get(Consultation, statement.consultation_id)
    ensure_can(actor, "consultation.moderate_statements", consultation)
    statement.status = (StatementStatus.APPROVED if approve else StatementStatus.REJECTED).value
    record_staff_action(actor, "statement.approve" if approve else "statement.reject", "statement", statement.id,
                        statement.text[:200], reason)
    _commit()
    return statement


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
        _require_open(consultation)
        if StatementStatus(statement.status) not in VOTABLE_STATEMENTS:
            raise Conflict(_("This statement is not open for votes."))
        participant = participant_key(user)
    at = at or clock.now()
    db.session.add(StatementVoteEvent(statement_id=statement.id, participant=participant, value=value, voted_at=at))
    current = db.session.scalar(select(StatementVote).where(StatementVote.statement_id == statement.id,
                                                            StatementVote.participant == participant))
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
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your vote was counted from another window. Reload the page.")) from exc
    return statement


def next_statement(user, consultation):
    """An approved statement this person has not voted on yet (the least voted first), or None."""
    voted = select(StatementVote.statement_id).where(StatementVote.participant == participant_key(user))
    return db.session.scalar(
        select(Statement).where(Statement.consultation_id == consultation.id,
                                Statement.status == StatementStatus.APPROVED.value, Statement.id.not_in(voted))
        .order_by((Statement.agree_count + Statement.disagree_count + Statement.pass_count), Statement.id).limit(1))


def statements_of(consultation, *, status=None):
    query = select(Statement).where(Statement.consultation_id == consultation.id)
    if status:
        query = query.where(Statement.status == status)
    return list(db.session.scalars(query.order_by(Statement.id)))


# --- import of a Pol.is export ------------------------------------------------------------------

def import_polis(actor, folder):
    """Bring an earlier Pol.is conversation into Civic as a closed consultation with its
    statements and every vote. Returns (consultation, statements, votes)."""
    from civic.consultations.polis import read_polis_export

    ensure_can(actor, "consultation.manage")
    export = read_polis_export(folder)
    if not export.statements:
        raise InvalidInput(_("The folder has no comments.csv with statements."))
    first, last = export.first_time or clock.now(), export.last_time or clock.now()
    consultation = Consultation(
        title=(export.topic or _("Imported Pol.is conversation"))[:TITLE_MAX_LENGTH],
        summary=(export.description or "")[:SUMMARY_MAX_LENGTH], body_markdown=export.description or "",
        body_html=render_markdown(export.description or ""), created_by_id=getattr(actor, "id", None),
        published_at=clock.now(), opens_at=first, closes_at=max(last, first) + timedelta(seconds=1),
        statements_enabled=True, statements_premoderated=True, closed_notified_at=clock.now(),
        contact=export.url or "")
    db.session.add(consultation)
    db.session.flush()
    status_for = {1: StatementStatus.APPROVED, 0: StatementStatus.APPROVED, -1: StatementStatus.REJECTED}
    by_external = {}
    for row in export.statements:
        statement = Statement(consultation_id=consultation.id, text=row.text[:STATEMENT_MAX_LENGTH],
                              external_id=row.id, status=status_for.get(row.moderated, StatementStatus.APPROVED).value,
                              created_at=row.time or first)
        db.session.add(statement)
        by_external[row.id] = statement
    db.session.flush()
    events, current = [], {}
    for vote in export.votes:
        statement = by_external.get(vote.statement_id)
        if statement is None:
            continue
        key = (statement.id, f"polis:{vote.participant}")
        events.append({"statement_id": statement.id, "participant": key[1], "value": vote.value,
                       "voted_at": vote.time or last})
        current[key] = (vote.value, vote.time or last)  # votes come in time order: the last one counts
    if events:
        db.session.execute(StatementVoteEvent.__table__.insert(), events)
        db.session.execute(StatementVote.__table__.insert(), [
            {"statement_id": sid, "participant": participant, "value": value, "voted_at": at}
            for (sid, participant), (value, at) in current.items()])
    counts = {}
    for (sid, _participant), (value, _at) in current.items():
        counts.setdefault(sid, {1: 0, -1: 0, 0: 0})[value] += 1
    for statement in by_external.values():
        tally = counts.get(statement.id, {1: 0, -1: 0, 0: 0})
        statement.agree_count, statement.disagree_count, statement.pass_count = tally[1], tally[-1], tally[0]
    record_staff_action(actor, "consultation.import_polis", "consultation", consultation.id, consultation.title,
                        "", {"statements": len(by_external), "votes": len(events)})
    _commit()
    return consultation, len(by_external), len(events)


# --- documents and the cover image ----------------------------------------------------------

MAX_DOCUMENTS = 30


@dataclass
class Upload:
    """A file as sent: the name it had on the sender's computer, and a seekable binary stream."""

    filename: str
    stream: object


def _content_names():
    """What a file's content is, in words, for the messages that refuse it."""
    return {
        "pdf": _("a PDF"), "odt": _("an OpenDocument text (ODT)"), "docx": _("a Word document (DOCX)"),
        "csv": _("CSV text"), "png": _("a PNG image"), "jpeg": _("a JPEG image"), "webp": _("a WebP image"),
        "zip": _("a ZIP archive"), "opendocument": _("another kind of OpenDocument file"),
        "gif": _("a GIF image"), "svg": _("an SVG image"), "html": _("a web page (HTML)"),
        "program": _("a program"), "text": _("plain text that does not read as CSV"),
    }


SHORT_TYPE_NAMES = {"pdf": "PDF", "odt": "ODT", "docx": "DOCX", "csv": "CSV", "png": "PNG", "jpeg": "JPEG",
                    "webp": "WebP"}
_KIND_BY_CONTENT_TYPE = {kind.content_type: kind for kind in uploads.KINDS.values()}


def describe_document(document):
    """Its type and size, as listed beside it: "PDF, 1.2 MB"."""
    kind = _KIND_BY_CONTENT_TYPE.get(document.content_type)
    type_name = SHORT_TYPE_NAMES[kind.key] if kind else document.content_type
    return f"{type_name}, {format_size(document.size_bytes)}"


def _shown_name(filename):
    return uploads.shown_name(filename) or _("the file")


def _refusal_message(refusal, filename, allowed):
    values = refusal.values
    names = _content_names()
    images = allowed == uploads.IMAGE_KINDS
    if refusal.reason == "empty":
        return _("“%(name)s” is empty. Choose another file.", name=_shown_name(filename))
    if refusal.reason == "too_large":
        limit = format_size(values["limit"])
        return (_("This image is %(size)s; a cover image can be at most %(limit)s.", size=format_size(values["size"]),
                  limit=limit) if images else
                _("This file is %(size)s; a document can be at most %(limit)s.", size=format_size(values["size"]),
                  limit=limit))
    if refusal.reason == "wrong_type":
        return (_("The cover image must be a PNG, JPEG or WebP file (SVG and other kinds are not accepted).")
                if images else _("Documents must be PDF, ODT, DOCX or CSV files."))
    if refusal.reason == "image_too_big":
        return _("The image is %(width)d × %(height)d pixels; use one at most %(max)d pixels wide and high.",
                 width=values["width"], height=values["height"], max=uploads.MAX_IMAGE_SIDE)
    expected, found = names[values["expected"]], names.get(values.get("found"))
    if found:
        return _("The content of “%(name)s” does not match its name: it is %(found)s, not %(expected)s.",
                 name=_shown_name(filename), found=found, expected=expected)
    if values["expected"] == "csv":
        return _("The content of “%(name)s” does not match its name: it is not CSV text in UTF-8. Save it as "
                 "“CSV UTF-8” and try again.", name=_shown_name(filename))
    return _("The content of “%(name)s” does not match its name: it is not %(expected)s.",
             name=_shown_name(filename), expected=expected)


def _check_file(upload, allowed, limit, field):
    """Type and size, checked on the bytes before anything is written."""
    if upload is None or not (upload.filename or "").strip():
        raise InvalidInput(_("Choose an image file.") if allowed == uploads.IMAGE_KINDS else _("Choose a file."),
                           field=field)
    try:
        return uploads.check_upload(upload.stream, upload.filename, allowed, limit)
    except uploads.UploadRefused as refusal:
        raise InvalidInput(_refusal_message(refusal, upload.filename, allowed), field=field) from refusal


def uploads_folder():
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_temporary(upload):
    """Copy the checked upload beside its final place (same file system, so that moving it
    into place is atomic), computing its SHA-256 on the way."""
    digest = hashlib.sha256()
    handle, name = tempfile.mkstemp(dir=uploads_folder(), prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            upload.stream.seek(0)
            while chunk := upload.stream.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


@contextmanager
def _storing(upload, stored_name):
    """Copy the upload to a temporary file and give its SHA-256 to the caller, who adds the rows;
    then flush, move the file to its stored name and commit. If any step fails, neither the rows
    nor the file are left behind."""
    temporary, sha256 = _write_temporary(upload)
    final = uploads_folder() / stored_name
    try:
        yield sha256
        db.session.flush()
        os.replace(temporary, final)
        _commit()
    except BaseException:
        db.session.rollback()
        temporary.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise


def _remove_files(stored_names):
    """After the commit that removed their rows: a file that cannot be removed is only logged."""
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"])
    for name in stored_names:
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("could not remove uploaded file %s", name)


def _stored_name(kind):
    return f"{secrets.token_hex(16)}.{kind.extensions[0]}"


def _note_public_change(actor, consultation, note):
    """Documents of a published consultation are part of the public record: a change is listed."""
    if phase_of(consultation) not in FREELY_EDITABLE:
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id, note=note[:500],
                                  fields="documents"))


def documents_of(consultation):
    return [d for d in consultation.documents if d.role == DocumentRole.DOCUMENT.value]


def cover_of(consultation):
    return next((d for d in consultation.documents if d.role == DocumentRole.COVER.value), None)


def get_document(consultation, document_id):
    document = db.session.get(Document, document_id)
    if document is None or document.consultation_id != consultation.id:
        raise NotFound(_("There is no such document in this consultation."))
    return document


def add_document(actor, consultation, upload, title=""):
    """Attach a PDF, ODT, DOCX or CSV file. Nothing is stored unless every check passes."""
    ensure_can(actor, "consultation.manage", consultation)
    title = _text(title, "title", DOCUMENT_TITLE_MAX_LENGTH)
    documents = documents_of(consultation)
    if len(documents) >= MAX_DOCUMENTS:
        raise InvalidInput(_("A consultation has at most %(n)d documents. Remove one first.", n=MAX_DOCUMENTS),
                           field="file")
    checked = _check_file(upload, uploads.DOCUMENT_KINDS, current_app.config["CIVIC_DOCUMENT_MAX_BYTES"], "file")
    title = title or uploads.title_from_filename(upload.filename)[:DOCUMENT_TITLE_MAX_LENGTH] or _("Document")
    stored_name = _stored_name(checked.kind)
    with _storing(upload, stored_name) as sha256:
        document = Document(
            role=DocumentRole.DOCUMENT.value, position=max((d.position for d in documents), default=-1) + 1,
            title=title, filename=uploads.safe_download_name(upload.filename, checked.kind), stored_name=stored_name,
            content_type=checked.kind.content_type, size_bytes=checked.size, sha256=sha256, uploaded_by_id=actor.id)
        consultation.documents.append(document)
        _note_public_change(actor, consultation, _("Document added: %(title)s", title=title))
        record_staff_action(actor, "consultation.add_document", "consultation", consultation.id, consultation.title,
                            "", {"title": title, "type": checked.kind.key, "size": checked.size, "sha256": sha256})
    return document


def set_cover_image(actor, consultation, upload, alt_text="", *, decorative=False):
    """Add or replace the cover image (PNG, JPEG or WebP), or, without a file, change its
    description. The description is required unless the image is marked as decorative (then
    it is shown with an empty alt text, and screen readers skip it)."""
    ensure_can(actor, "consultation.manage", consultation)
    errors = {}
    current = cover_of(consultation)
    checked = None
    if upload is not None and (upload.filename or "").strip() or current is None:
        try:
            checked = _check_file(upload, uploads.IMAGE_KINDS, current_app.config["CIVIC_IMAGE_MAX_BYTES"],
                                  "image")
        except InvalidInput as error:
            errors["image"] = [error.message]
    try:
        alt_text = "" if decorative else _text(
            alt_text, "alt_text", ALT_TEXT_MAX_LENGTH,
            required_message=_("Describe the image for people who cannot see it, or mark it as decorative."))
    except InvalidInput as error:
        errors["alt_text"] = [error.message]
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(messages[0], field=field, errors=errors)
    if checked is None:
        if current.alt_text != alt_text:
            current.alt_text = alt_text
            _note_public_change(actor, consultation, _("The cover image's description was changed."))
            record_staff_action(actor, "consultation.cover_alt_text", "consultation", consultation.id,
                                consultation.title, "", {"alt_text": alt_text})
            _commit()
        return current
    replaced = current.stored_name if current else None
    stored_name = _stored_name(checked.kind)
    with _storing(upload, stored_name) as sha256:
        cover = Document(
            role=DocumentRole.COVER.value, position=0, alt_text=alt_text,
            filename=uploads.safe_download_name(upload.filename, checked.kind, fallback="cover"),
            stored_name=stored_name, content_type=checked.kind.content_type, size_bytes=checked.size, sha256=sha256,
            uploaded_by_id=actor.id)
        if current is not None:
            consultation.documents.remove(current)
        consultation.documents.append(cover)
        _note_public_change(actor, consultation, _("Cover image replaced.") if replaced else _("Cover image added."))
        record_staff_action(actor, "consultation.set_cover", "consultation", consultation.id, consultation.title, "",
                            {"type": checked.kind.key, "size": checked.size, "width": checked.width,
                             "height": checked.height, "sha256": sha256, "decorative": not alt_text})
    if replaced:
        _remove_files([replaced])
    return cover


def remove_document(actor, document):
    """Remove a document or the cover image; its file goes once the removal is committed."""
    consultation = document.consultation
    ensure_can(actor, "consultation.manage", consultation)
    cover = document.role == DocumentRole.COVER.value
    stored_name = document.stored_name
    _note_public_change(actor, consultation, _("Cover image removed.") if cover
                        else _("Document removed: %(title)s", title=document.title))
    record_staff_action(actor, "consultation.remove_cover" if cover else "consultation.remove_document",
                        "consultation", consultation.id, consultation.title, "",
                        {"title": document.title, "sha256": document.sha256})
    consultation.documents.remove(document)
    _commit()
    _remove_files([stored_name])


def move_document(actor, document, offset):
    consultation = document.consultation
    ensure_can(actor, "consultation.manage", consultation)
    documents = documents_of(consultation)
    index = documents.index(document)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(documents):
        return
    documents[index], documents[target] = documents[target], documents[index]
    for position, item in enumerate(documents):
        item.position = position
    _commit()


def open_document(viewer, consultation, document_id):
    """A document (or the cover image) to send: (Document, path of its file). Whoever may see
    the consultation may download its documents; a draft's only staff."""
    ensure_can(viewer, "consultation.view", consultation)
    document = get_document(consultation, document_id)
    path = Path(current_app.config["CIVIC_UPLOAD_PATH"]) / document.stored_name
    if not path.is_file():
        current_app.logger.error("uploaded file %s of document %s is missing", document.stored_name, document.id)
        raise NotFound(_("This file is missing. Please tell the contact named on the consultation."))
    return document, path


# --- the draft text put up for comment ------------------------------------------------------

DRAFT_TEXT_MAX_LENGTH = 100_000
DRAFT_TEXT_MAX_BLOCKS = 500
DRAFT_UPLOAD_MAX_BYTES = 200 * 1024
DISCUSSION_EXCERPT_LENGTH = 60


@dataclass
class DraftTextChange:
    """What replacing a draft text did: passages added, kept with their comments, kept under
    "Comments on earlier wording" (retired), and removed (nobody had commented)."""

    added: int = 0
    kept: int = 0
    retired: int = 0
    removed: int = 0


@dataclass
class DraftTextBlock:
    """A passage as the reading page shows it: headings at their level under the page's h1,
    the others numbered (paragraph 1, 2...), with a plain-text name for link labels."""

    section: DraftSection
    heading_level: int = 0
    number: int = 0
    name: str = ""


def draft_sections(consultation, *, retired=False):
    """The live passages in order (or those retired), each with its discussion loaded."""
    from sqlalchemy.orm import selectinload

    state = DraftSection.retired_at.isnot(None) if retired else DraftSection.retired_at.is_(None)
    query = (select(DraftSection).options(selectinload(DraftSection.discussion))
             .where(DraftSection.consultation_id == consultation.id, state))
    order = (DraftSection.retired_at.desc(), DraftSection.position) if retired else (DraftSection.position,)
    return list(db.session.scalars(query.order_by(*order, DraftSection.id)))


def draft_paragraph_count(consultation):
    """Live passages other than headings, for the link from the consultation's page; None when
    there is no draft text at all."""
    from sqlalchemy import func

    counts = dict(db.session.execute(
        select(DraftSection.kind, func.count()).where(
            DraftSection.consultation_id == consultation.id, DraftSection.retired_at.is_(None))
        .group_by(DraftSection.kind)).all())
    if not counts:
        return None
    return sum(number for kind, number in counts.items() if kind != "heading")


def _plain(html_text):
    import html

    from civic.common.sanitize import plain_text

    return " ".join(html.unescape(plain_text(html_text)).split())


def draft_text_blocks(consultation):
    """The live passages as the reading page shows them."""
    sections = draft_sections(consultation)
    levels = iter(drafttext.page_heading_levels([s.level for s in sections if s.kind == "heading"]))
    blocks, number = [], 0
    for section in sections:
        if section.kind == "heading":
            blocks.append(DraftTextBlock(section, heading_level=next(levels), name=_plain(section.html)))
        else:
            number += 1
            blocks.append(DraftTextBlock(section, number=number))
    return blocks


def _excerpt(section_html, length=DISCUSSION_EXCERPT_LENGTH):
    text = _plain(section_html)
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _draft_error(problem):
    return {
        "wrong_type": _("Choose a Markdown or plain text file (.md, .markdown or .txt)."),
        "empty": _("The file is empty."),
        "too_large": _("The file is too large: a draft text file has at most %(max)d KB.",
                       max=DRAFT_UPLOAD_MAX_BYTES // 1024),
        "binary": _("This file is not plain text. Save the draft as Markdown or plain text (.md or .txt) "
                    "and upload that."),
        "not_utf8": _("This file is not in UTF-8. Save it as UTF-8 text (editors offer it under “Save as” "
                      "or “Encoding”) and upload it again."),
    }[problem]


def read_draft_upload(filename, data):
    """The text of an uploaded .md/.markdown/.txt file; a binary, non-UTF-8, empty or too large
    file is refused beside the upload field. Nothing is stored here: the text then goes through
    set_draft_text like typed text."""
    decoded = drafttext.decode_upload(filename, data or b"", DRAFT_UPLOAD_MAX_BYTES)
    if decoded.problem:
        raise InvalidInput(_draft_error(decoded.problem), field="upload")
    return decoded.text


def _discussion_title(consultation, section):
    return f"{consultation.title} — {_excerpt(section.html)}"


def set_draft_text(actor, consultation, markdown, *, correction_note=""):
    """Replace the draft text. Each top-level block (heading, paragraph, list, quote, table, code)
    is a passage with its own discussion. A passage whose text is unchanged keeps its discussion
    and comments; one that went away is kept under "Comments on earlier wording" when people
    commented on it, and deleted otherwise. In a draft the text changes freely; once published,
    a change is a public correction with a note; once the outcome is published, it cannot change."""
    from flask_babel import format_decimal

    from civic.discussions.services import create_attached_discussion, delete_attached_discussion

    ensure_can(actor, "consultation.manage", consultation)
    phase = phase_of(consultation)
    if phase is Phase.OUTCOME_PUBLISHED:
        raise Conflict(_("The outcome is published; the draft text can no longer change."))
    text = drafttext.normalise_newlines(markdown).strip()
    if len(text) > DRAFT_TEXT_MAX_LENGTH:
        raise InvalidInput(_("A draft text has at most %(max)s characters; this one has %(length)s.",
                             max=format_decimal(DRAFT_TEXT_MAX_LENGTH), length=format_decimal(len(text))),
                           field="text")
    blocks = drafttext.split_blocks(text)
    if len(blocks) > DRAFT_TEXT_MAX_BLOCKS:
        raise InvalidInput(_("A draft text has at most %(max)d paragraphs, lists, tables and headings; this one "
                             "has %(count)d.", max=DRAFT_TEXT_MAX_BLOCKS, count=len(blocks)), field="text")
    change = DraftTextChange()
    if text == consultation.draft_text_markdown:
        change.kept = len(blocks)
        return change
    note = (correction_note or "").strip()
    if phase not in FREELY_EDITABLE:
        if not note:
            raise InvalidInput(_("Say what you corrected: the note is shown publicly with the date."),
                               field="correction_note")
        if len(note) > 500:
            raise InvalidInput(_("Use at most %(max)d characters.", max=500), field="correction_note")

    live = draft_sections(consultation)
    # Same text, same passage: live passages first, then retired ones (a passage put back revives
    # its thread). Repeated identical passages are matched in order.
    reusable = {}
    for section in live + draft_sections(consultation, retired=True):
        reusable.setdefault(section.fingerprint, []).append(section)
    used = set()
    for position, block in enumerate(blocks):
        candidates = reusable.get(block.fingerprint)
        section = candidates.pop(0) if candidates else None
        if section is not None:
            change.kept += 1
            used.add(section.id)
            section.position, section.retired_at = position, None
            if section.markdown != block.markdown or section.kind != block.kind:
                section.kind, section.level, section.markdown = block.kind, block.level, block.markdown
                section.html = drafttext.render_block(block.kind, block.markdown)
            continue
        section = DraftSection(consultation_id=consultation.id, position=position, kind=block.kind,
                               level=block.level, markdown=block.markdown, fingerprint=block.fingerprint,
                               html=drafttext.render_block(block.kind, block.markdown))
        db.session.add(section)
        db.session.flush()
        section.discussion_id = create_attached_discussion("draft_section", section.id,
                                                           _discussion_title(consultation, section)).id
        change.added += 1
    now = clock.now()
    for section in live:
        if section.id in used:
            continue
        if section.discussion_id is None or delete_attached_discussion(section.discussion_id):
            db.session.delete(section)
            change.removed += 1
        else:
            section.retired_at = now
            change.retired += 1
    consultation.draft_text_markdown = text
    if phase not in FREELY_EDITABLE:
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id, note=note,
                                  fields="draft_text"))
    record_staff_action(actor, "consultation.draft_text", "consultation", consultation.id, consultation.title,
                        note, {"added": change.added, "kept": change.kept, "retired": change.retired,
                               "removed": change.removed})
    _commit()
    return change


def _remove_draft_text(consultation):
    """Before a draft consultation is deleted: its passages and their discussions go with it."""
    from civic.discussions.services import delete_attached_discussion

    for section in draft_sections(consultation) + draft_sections(consultation, retired=True):
        delete_attached_discussion(section.discussion_id)
        db.session.delete(section)


def draft_section_context(section_id):
    """What a passage's discussion is about (registered with discussions at start-up): the
    passage, a link back to it, and whether it takes comments (only while the consultation is
    open, and only in the current wording)."""
    from civic.discussions.services import DiscussionContext

    section = db.session.get(DraftSection, section_id)
    consultation = db.session.get(Consultation, section.consultation_id) if section else None
    if consultation is None:
        return None
    phase = phase_of(consultation)
    about = DiscussionContext(
        summary=_("This discussion is about this passage of the draft text of “%(title)s”:", title=consultation.title),
        link_text=_("Back to the draft text"), endpoint="consultations.read_text",
        values={"consultation_id": consultation.id, "_anchor": f"section-{section.id}"},
        owner=consultation, view_action="consultation.view", excerpt_html=section.html,
        accepts_comments=section.retired_at is None and phase in TEXT_COMMENTABLE)
    if section.retired_at is not None:
        about.summary = _("This discussion is about an earlier wording of the draft text of “%(title)s”, "
                          "replaced on %(date)s:", title=consultation.title, date=format_datetime(section.retired_at))
        about.link_text = _("Read the current draft text")
        about.closed_message = _("This wording was replaced, so it takes no new comments. You can comment on "
                                 "the current text.")
    elif phase is Phase.DRAFT:
        about.closed_message = _("The draft text takes comments once the consultation opens.")
    elif phase is Phase.SCHEDULED:
        about.closed_message = _("The draft text takes comments once the consultation opens, on %(date)s.",
                                 date=format_datetime(consultation.opens_at))
    elif not about.accepts_comments:
        about.closed_message = _("The consultation closed on %(date)s, so the draft text takes no new comments.",
                                 date=format_datetime(consultation.closes_at))
    return about


def consultation_context(consultation_id):
    """What a consultation's own discussion is about: the consultation, with a link to it."""
    from civic.discussions.services import DiscussionContext

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    return DiscussionContext(summary=_("This discussion is about the consultation:"), link_text=consultation.title,
                             endpoint="consultations.show", values={"consultation_id": consultation.id},
                             owner=consultation, view_action="consultation.view")
