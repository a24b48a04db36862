"""What the responses say: the officials' dashboard, free-text answers to read one by one, the
exports (plain rows in batches, audited, personal data only when asked), and the counts shown
with the outcome's points."""

from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit
from civic.common.pagination import offset_of
from civic.consultations import questionnaire
from civic.consultations.models import Answer, Response
from civic.consultations.services.responses import submitted
from civic.extensions import db
from civic.insights.questionnaire_results import per_day, summarise
from civic.permissions import ensure_can

TEXT_KINDS = frozenset({"short_text", "long_text"})
EXPORT_BATCH = 500


def results(actor, consultation):
    """The dashboard: responses per day, and each question's counts and shares."""
    ensure_can(actor, "consultation.results", consultation)
    zone = clock.site_zone()
    days = [
        moment.astimezone(zone).date()
        for moment in db.session.scalars(select(Response.first_submitted_at).where(submitted(consultation)))
    ]
    questions = [(question, _question_summary(consultation, question)) for question in consultation.questions]
    return {"per_day": per_day(days), "questions": questions, "total": len(days)}


def _question_summary(consultation, question):
    """Counts and shares of one question's submitted answers (no answer text)."""
    values = list(
        db.session.scalars(
            select(Answer.value).join(Response).where(submitted(consultation), Answer.question_id == question.id)
        )
    )
    if question.kind in TEXT_KINDS:
        answered = sum(1 for value in values if value)
        return {"kind": question.kind, "answered": answered, "skipped": len(values) - answered}
    return summarise(question.kind, values, options=question.options, scale=(question.scale_min, question.scale_max))


def outcome_points(consultation):
    """The published "you said / we did" points, each with the results of its question (counts
    and shares only) for everyone to see: [(item, summary or None)]."""
    if consultation.outcome_published_at is None:
        return []
    return [
        (item, _question_summary(consultation, item.question) if item.question is not None else None)
        for item in consultation.outcome_items
    ]


def text_answers(actor, consultation, question, *, contains="", page=1, per_page=20):
    """Free-text answers to read one by one, newest first, optionally filtered by a word."""
    ensure_can(actor, "consultation.results", consultation)
    query = (
        select(Answer, Response.submitted_at)
        .join(Response)
        .where(submitted(consultation), Answer.question_id == question.id)
        .order_by(Response.submitted_at.desc(), Answer.id.desc())
    )
    if question.kind in TEXT_KINDS:
        query = query.where(Answer.value.isnot(None))
    else:
        query = query.where(Answer.other_text != "")
    contains = (contains or "").strip()[:200]
    rows = [
        (answer, submitted_at)
        for answer, submitted_at in db.session.execute(query)
        if _answer_text(answer) and (not contains or contains.lower() in _answer_text(answer).lower())
    ]
    total = len(rows)
    start = offset_of(page, per_page)
    return rows[start : start + per_page], total


def _answer_text(answer):
    if isinstance(answer.value, str) and answer.value != questionnaire.OTHER:
        return answer.value
    return answer.other_text or ""


def _cell(question, answer, other_label):
    if answer is None or answer.value in (None, "", []):
        return answer.other_text if answer else ""
    value = answer.value
    if isinstance(value, int | float) and not isinstance(value, bool) and not answer.other_text:
        return value  # a number stays a number in the CSV (see civic.common.downloads.neutralised)
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


def export_responses(actor, consultation, *, personal_data=False):
    """The export's header and an iterator of its rows. The permission check and the audit entry
    happen here, before anything is read; the rows are then read in batches while they stream, so
    that 50,000 responses never sit in memory at once. Personal data (names, emails) only when
    asked for."""
    ensure_can(actor, "consultation.export", consultation)
    questions = list(consultation.questions)
    other_label = _("Other")  # translated now: the rows are produced while the response streams
    record_staff_action(
        actor,
        "consultation.export",
        "consultation",
        consultation.id,
        consultation.title,
        "",
        {"personal_data": bool(personal_data)},
    )
    commit()
    header = ["response_id", "submitted_at"] + (["name", "email"] if personal_data else [])
    header += [f"q{q.id}: {q.prompt}" for q in questions]
    return header, _export_rows(consultation, questions, personal_data, other_label)


def _export_rows(consultation, questions, personal_data, other_label):
    last_id = 0
    while True:
        batch = list(
            db.session.execute(
                select(Response.id, Response.submitted_at, Response.user_id)
                .where(submitted(consultation), Response.id > last_id)
                .order_by(Response.id)
                .limit(EXPORT_BATCH)
            )
        )
        if not batch:
            break
        ids = [row.id for row in batch]
        # Plain rows, not ORM objects: the session's identity map does not grow with the export.
        answers = {}
        for answer in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value, Answer.other_text).where(
                Answer.response_id.in_(ids)
            )
        ):
            answers[(answer.response_id, answer.question_id)] = answer
        people = {}
        if personal_data:
            people = {
                u.id: u
                for u in db.session.execute(
                    select(User.id, User.display_name, User.email).where(
                        User.id.in_([row.user_id for row in batch if row.user_id])
                    )
                )
            }
        for row in batch:
            cells = [row.id, row.submitted_at.isoformat()]
            if personal_data:
                person = people.get(row.user_id)
                cells += [person.display_name if person else "", person.email if person else ""]
            cells += [_cell(q, answers.get((row.id, q.id)), other_label) for q in questions]
            yield cells
        last_id = ids[-1]
