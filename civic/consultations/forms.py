"""Consultation forms (presence and parsing; the rules are in consultations.services)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, DateTimeLocalField, FieldList, Form, FormField, SelectChoice, SelectField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from civic.consultations.models import (
    BODY_MAX_LENGTH, CONTACT_MAX_LENGTH, LABEL_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH,
)

# WTForms' own messages, named here so that they are extracted and translated.
WTFORMS_MESSAGES = (_l("Not a valid datetime value."), _l("Not a valid date value."))
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the consultation a title."))],
                        render_kw={"maxlength": TITLE_MAX_LENGTH + 50})
    summary = TextAreaField(_l("Summary"), description=_l("One or two sentences shown in lists and at the top."),
                            render_kw={"rows": 3, "maxlength": SUMMARY_MAX_LENGTH + 100})
    body_markdown = TextAreaField(_l("Information for participants"),
                                  description=_l("Background, what is being decided and how the answers will be "
                                                 "used. Markdown: **bold**, *emphasis*, [links](https://example.org), lists."),
                                  render_kw={"rows": 12, "maxlength": BODY_MAX_LENGTH + 1000})
    topic = StringField(_l("Topic (optional)"), description=_l("For example: Transport, Housing."),
                        render_kw={"maxlength": LABEL_MAX_LENGTH})
    area = StringField(_l("Area or audience (optional)"), description=_l("For example: Old Town, young people."),
                       render_kw={"maxlength": LABEL_MAX_LENGTH})
    contact = StringField(_l("Contact for questions (optional)"), render_kw={"maxlength": CONTACT_MAX_LENGTH})
    opens_local = DateTimeLocalField(_l("Opens"), format=DATETIME_FORMAT, validators=[Optional()])
    closes_local = DateTimeLocalField(_l("Closes"), format=DATETIME_FORMAT, validators=[Optional()])
    correction_note = TextAreaField(_l("What did you correct?"),
                                    description=_l("Shown publicly with today's date, in the list of changes."),
                                    render_kw={"rows": 2, "maxlength": 500})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), description=_l("Shown publicly on the consultation."),
                           validators=[DataRequired(message=_l("Say why it closes early: the reason is shown publicly."))],
                           render_kw={"rows": 3, "maxlength": 500})


class OutcomeForm(FlaskForm):
    outcome = TextAreaField(_l("What was decided, and why"),
                            description=_l("Link it to what people said: the questions and themes that shaped the "
                                           "decision. Markdown allowed."),
                            validators=[DataRequired(message=_l("Write what was decided and why."))],
                            render_kw={"rows": 12})


class PhaseRowForm(Form):
    name = StringField(_l("Phase name"), render_kw={"maxlength": LABEL_MAX_LENGTH})
    description = StringField(_l("Description"), render_kw={"maxlength": SUMMARY_MAX_LENGTH})
    starts_on = DateField(_l("Starts"), validators=[Optional()])
    ends_on = DateField(_l("Ends"), validators=[Optional()])


class TimelineForm(FlaskForm):
    phases = FieldList(FormField(PhaseRowForm), min_entries=6, max_entries=8)


def question_kind_choices():
    return [SelectChoice("short_text", _l("Short text")), SelectChoice("long_text", _l("Long text")),
            SelectChoice("single_choice", _l("Single choice")), SelectChoice("multiple_choice", _l("Multiple choice")),
            SelectChoice("scale", _l("Rating scale")), SelectChoice("ranking", _l("Ranking")),
            SelectChoice("yes_no", _l("Yes or no"))]


class QuestionForm(FlaskForm):
    section = StringField(_l("Start a new section with this heading (optional)"), render_kw={"maxlength": 150})
    kind = SelectField(_l("Kind of question"), choices=question_kind_choices(), validate_choice=False)
    prompt = StringField(_l("Question"), validators=[DataRequired(message=_l("Write the question."))],
                         render_kw={"maxlength": 550})
    help_text = TextAreaField(_l("Help text (optional)"), render_kw={"rows": 2, "maxlength": 1000})
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(_l("Options, one per line"),
                            description=_l("For single choice, multiple choice and ranking questions."),
                            render_kw={"rows": 5})
    allow_other = BooleanField(_l("Offer “Other, please say”"))
    scale = SelectField(_l("Scale"), choices=[SelectChoice("1-5", "1 – 5"), SelectChoice("0-10", "0 – 10")],
                        validate_choice=False)
    scale_min_label = StringField(_l("Label of the lowest value"), render_kw={"maxlength": 80})
    scale_max_label = StringField(_l("Label of the highest value"), render_kw={"maxlength": 80})
