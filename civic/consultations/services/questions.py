"""The questionnaire builder: adding, changing, ordering and removing questions. Once the first
response is submitted, questions keep their kind, options and rules; only their wording changes,
and each change is listed publicly."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from civic.audit.services import record_staff_action
from civic.common.db import commit
from civic.common.validation import FieldErrors, clean_text
from civic.consultations import questionnaire
from civic.consultations.models import CHANGEABLE, LABEL_MAX_LENGTH, TITLE_MAX_LENGTH, Correction, Question, Response
from civic.consultations.services._shared import too_long
from civic.errors import Conflict, NotFound
from civic.extensions import db
from civic.permissions import ensure_can

PROMPT_MAX_LENGTH = 500
HELP_TEXT_MAX_LENGTH = 1000
WORDING_FIELDS = ("prompt", "help_text", "section", "scale_min_label", "scale_max_label")


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


def questionnaire_locked(consultation):
    """Questions cannot change (except their wording) once the first response is submitted."""
    return (
        db.session.scalar(
            select(Response.id)
            .where(Response.consultation_id == consultation.id, Response.first_submitted_at.isnot(None))
            .limit(1)
        )
        is not None
    )


def get_question(consultation, question_id):
    question = db.session.get(Question, question_id)
    if question is None or question.consultation_id != consultation.id:
        raise NotFound(_("There is no such question in this consultation."))
    return question


def _clean_question(data):
    problems = FieldErrors()
    if data.kind not in questionnaire.KINDS:
        problems.add("kind", _("Choose one of the kinds of question offered."))
    prompt = problems.check(
        clean_text,
        data.prompt,
        field="prompt",
        max_length=PROMPT_MAX_LENGTH,
        multiline=False,
        required=_("Write the question."),
        too_long=too_long(PROMPT_MAX_LENGTH),
    )
    help_text = problems.check(
        clean_text,
        data.help_text,
        field="help_text",
        max_length=HELP_TEXT_MAX_LENGTH,
        too_long=too_long(HELP_TEXT_MAX_LENGTH),
    )
    section = problems.check(
        clean_text,
        data.section,
        field="section",
        max_length=TITLE_MAX_LENGTH,
        multiline=False,
        too_long=too_long(TITLE_MAX_LENGTH),
    )
    options = questionnaire.check_options(data.kind, data.options or ())
    if options is None:
        problems.add("options", _("Give between 2 and 30 different options, one per line, each under 200 characters."))
    try:
        low, high = (int(part) for part in (data.scale or "1-5").split("-"))
    except ValueError:
        low, high = None, None
    if data.kind == "scale" and (low, high) not in questionnaire.SCALES:
        problems.add("scale", _("Choose a scale from 1 to 5 or from 0 to 10."))
    labels = [(data.scale_min_label or "").strip(), (data.scale_max_label or "").strip()]
    if any(len(label) > LABEL_MAX_LENGTH for label in labels):
        problems.add("scale_min_label", too_long(LABEL_MAX_LENGTH))
    problems.raise_if_any()
    scale = (low, high) if data.kind == "scale" else (1, 5)
    return {
        "kind": data.kind,
        "prompt": prompt,
        "help_text": help_text,
        "section": section,
        "required": bool(data.required),
        "options": options or [],
        "allow_other": bool(data.allow_other) and data.kind in ("single_choice", "multiple_choice"),
        "scale_min": scale[0],
        "scale_max": scale[1],
        "scale_min_label": labels[0] if data.kind == "scale" else "",
        "scale_max_label": labels[1] if data.kind == "scale" else "",
    }


def save_question(actor, consultation, data, question=None):
    """Add a question (question=None) or change one. After the first response only the wording
    may change, and each change is listed publicly."""
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in CHANGEABLE:
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
            db.session.add(
                Correction(
                    consultation_id=consultation.id,
                    author_id=actor.id,
                    note=_("Wording of the question “%(prompt)s” corrected.", prompt=cleaned["prompt"][:200]),
                    fields="question",
                )
            )
        for name in changed:
            setattr(question, name, cleaned[name])
        action = "question.update"
    db.session.flush()
    record_staff_action(
        actor, action, "consultation", consultation.id, consultation.title, "", {"question": question.id}
    )
    commit()
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
    commit()


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
    commit()
