"""Responding with an account: answers saved as the person goes, checked question by question,
submitted (and counted once), changeable until closing; the receipt by email."""

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from civic.common import clock
from civic.common.db import commit
from civic.common.emails import mailbox_key
from civic.common.i18n import format_moment
from civic.common.urls import external_url
from civic.common.validation import raise_first
from civic.consultations import questionnaire
from civic.consultations.models import Answer, Consultation, Phase, Response
from civic.errors import Conflict, ParticipationClosed, ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import ensure_can
from civic.realtime import publish_tally

DRAFT_TEXT_CAP = 20_000  # what a saved draft keeps of one answer; checks happen at review
OTHER_TEXT_MAX_LENGTH = 500


def my_response(user, consultation):
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Response).where(Response.consultation_id == consultation.id, Response.user_id == user.id)
    )


def answers_by_question(response):
    return {a.question_id: a for a in response.answers} if response else {}


def stored_values(response):
    """A response's answers as {question_id: (value, other_text)}, the shape the checks take."""
    return {a.question_id: (a.value, a.other_text) for a in response.answers} if response else {}


def submitted(consultation):
    """The condition on Response rows that counts: submitted responses to this consultation."""
    return (Response.consultation_id == consultation.id) & Response.submitted_at.isnot(None)


def _problem_message(checked):
    numbers = checked.numbers
    return {
        "required": _("Please answer this question."),
        "too_long": _(
            "Use at most %(max)d characters; this answer has %(length)d.",
            max=numbers.get("max", 0),
            length=numbers.get("length", 0),
        ),
        "not_offered": _("Choose one of the options offered."),
        "one_choice": _("Choose only one option."),
        "other_empty": _("Say what your other answer is, or choose another option."),
        "out_of_range": _(
            "Choose a number from %(min)d to %(max)d.", min=numbers.get("min", 0), max=numbers.get("max", 0)
        ),
        "rank_all": _("Give each of the %(n)d options a different position, from 1 to %(n)d.", n=numbers.get("n", 0)),
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


def require_open(consultation):
    """Responses, statements and votes are taken only while the consultation is open."""
    if not consultation.accepts_responses:
        if consultation.phase is Phase.SCHEDULED:
            raise ParticipationClosed(
                _(
                    "This consultation is not open yet. It opens on %(date)s.",
                    date=format_moment(consultation.opens_at),
                )
            )
        raise ParticipationClosed(
            _(
                "This consultation closed on %(date)s, so it no longer takes responses.",
                date=format_moment(consultation.closes_at),
            )
        )


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
    response = db.session.scalar(
        select(Response).where(
            Response.consultation_id == consultation.id, Response.user_id.is_(None), Response.email == key
        )
    )
    if response is not None:
        response.user_id = user.id
    return response


def store_answers(response, consultation, values):
    """Put `values` ({question_id: (value, other_text)}) into the response's answer rows."""
    existing = answers_by_question(response)
    for question in consultation.questions:
        value, other = values.get(question.id, (None, ""))
        answer = existing.get(question.id)
        if answer is None:
            answer = Answer(question_id=question.id)
            response.answers.append(answer)
        answer.value, answer.other_text = value, (other or "")[:OTHER_TEXT_MAX_LENGTH]


def checked_values(cleaned):
    """The checked answers of check_response, in the shape store_answers takes."""
    return {qid: (checked.value, checked.other) for qid, checked in cleaned.items()}


def _cap(value):
    if isinstance(value, str):
        return value[:DRAFT_TEXT_CAP]
    if isinstance(value, list):
        return [item[:DRAFT_TEXT_CAP] for item in value[:50]]
    return value


def save_response(user, consultation, raw):
    """Keep what the person typed so far, without checking it, to come back to before closing."""
    ensure_can(user, "consultation.respond", consultation)
    require_open(consultation)
    response = _response_for(user, consultation)
    store_answers(response, consultation, {qid: (_cap(value), other) for qid, (value, other) in raw.items()})
    try:
        commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was saved from another window. Reload the page.")) from exc
    return response


def submit_response(user, consultation, raw):
    """Check every answer and submit. One response per account, which can change until closing.
    Refused after closing (the caller shows the person their answers to keep)."""
    ensure_can(user, "consultation.respond", consultation)
    require_open(consultation)
    cleaned, problems = check_response(consultation, raw)
    raise_first(problems)
    response = _response_for(user, consultation)
    store_answers(response, consultation, checked_values(cleaned))
    count_submission(response, consultation)
    try:
        commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was submitted from another window. Reload the page.")) from exc
    db.session.refresh(consultation)
    _send_receipt(user, consultation, response)
    publish_tally("consultation", consultation.id, {"responses": consultation.response_count})
    return response


def count_submission(response, consultation):
    """Mark the response submitted now; the consultation's count goes up on its first submission only."""
    now = clock.now()
    response.submitted_at = now
    db.session.flush()
    # Counted once even when two windows submit at the same moment: only the update that
    # finds first_submitted_at still empty counts (the row lock makes the other one wait and see it set).
    first = (
        db.session.execute(
            update(Response)
            .where(Response.id == response.id, Response.first_submitted_at.is_(None))
            .values(first_submitted_at=now)
        ).rowcount
        == 1
    )
    if first:
        db.session.execute(
            update(Consultation)
            .where(Consultation.id == consultation.id)
            .values(response_count=Consultation.response_count + 1)
        )
    return first


def readable_answers(consultation, response):
    """(question, text) pairs for receipts and the review page."""
    by_question = answers_by_question(response)
    rows = []
    for question in consultation.questions:
        answer = by_question.get(question.id)
        value = answer.value if answer else None
        if isinstance(value, list):
            text = (
                "; ".join(value)
                if question.kind != "ranking"
                else "; ".join(f"{n}. {item}" for n, item in enumerate(value, start=1))
            )
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
    try:
        send_mail(
            user.email,
            lambda: _("Your response to “%(title)s”", title=consultation.title),
            "response_receipt",
            language=user.language,
            user=user,
            consultation=consultation,
            answers=readable_answers(consultation, response),
            response=response,
            url=external_url("consultations.show", consultation_id=consultation.id),
        )
    except ServiceUnavailable:
        pass  # the response is stored; the receipt is a courtesy that must not undo it
