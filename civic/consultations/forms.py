"""Consultation forms (presence and parsing; the rules are in consultations.services)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from civic.consultations.models import (
    ALT_TEXT_MAX_LENGTH,
    BODY_MAX_LENGTH,
    CONTACT_MAX_LENGTH,
    DOCUMENT_TITLE_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    OUTCOME_ITEM_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

# WTForms' own messages, named here so that they are extracted and translated.
WTFORMS_MESSAGES = (_l("Not a valid datetime value."), _l("Not a valid date value."))
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ConsultationForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the consultation a title."))],
        render_kw={"maxlength": TITLE_MAX_LENGTH + 50},
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("One or two sentences shown in lists and at the top."),
        render_kw={"rows": 3, "maxlength": SUMMARY_MAX_LENGTH + 100},
    )
    body_markdown = TextAreaField(
        _l("Information for participants"),
        description=_l(
            "Background, what is being decided and how the answers will be "
            "used. Markdown: **bold**, *emphasis*, [links](https://example.org), lists."
        ),
        render_kw={"rows": 12, "maxlength": BODY_MAX_LENGTH + 1000},
    )
    topic = StringField(
        _l("Topic (optional)"),
        description=_l("For example: Transport, Housing."),
        render_kw={"maxlength": LABEL_MAX_LENGTH},
    )
    area = StringField(
        _l("Area or audience (optional)"),
        description=_l("For example: Old Town, young people."),
        render_kw={"maxlength": LABEL_MAX_LENGTH},
    )
    contact = StringField(_l("Contact for questions (optional)"), render_kw={"maxlength": CONTACT_MAX_LENGTH})
    opens_local = DateTimeLocalField(_l("Opens"), format=DATETIME_FORMAT, validators=[Optional()])
    closes_local = DateTimeLocalField(_l("Closes"), format=DATETIME_FORMAT, validators=[Optional()])
    anonymous_responses = BooleanField(
        _l("Also take responses from people without an account"),
        description=_l(
            "They give an email address; the response counts when they open the link we email them. "
            "One response per address."
        ),
    )
    correction_note = TextAreaField(
        _l("What did you correct?"),
        description=_l("Shown publicly with today's date, in the list of changes."),
        render_kw={"rows": 2, "maxlength": 500},
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Shown publicly on the consultation."),
        validators=[DataRequired(message=_l("Say why it closes early: the reason is shown publicly."))],
        render_kw={"rows": 3, "maxlength": 500},
    )


class OutcomeItemForm(Form):
    question_id = SelectField(_l("About the question"), choices=[], validate_choice=False)
    theme = StringField(
        _l("Or about the theme"),
        description=_l("For example: Safety at night."),
        render_kw={"maxlength": LABEL_MAX_LENGTH},
    )
    you_said = TextAreaField(_l("You said"), render_kw={"rows": 3, "maxlength": OUTCOME_ITEM_MAX_LENGTH + 500})
    we_did = TextAreaField(_l("We did"), render_kw={"rows": 3, "maxlength": OUTCOME_ITEM_MAX_LENGTH + 500})


class OutcomeForm(FlaskForm):
    outcome = TextAreaField(
        _l("What was decided, and why"),
        description=_l(
            "Link it to what people said: the questions and themes that shaped the decision. Markdown allowed."
        ),
        validators=[DataRequired(message=_l("Write what was decided and why."))],
        render_kw={"rows": 12},
    )
    items = FieldList(FormField(OutcomeItemForm), min_entries=3, max_entries=20)


class PhaseRowForm(Form):
    name = StringField(_l("Phase name"), render_kw={"maxlength": LABEL_MAX_LENGTH})
    description = StringField(_l("Description"), render_kw={"maxlength": SUMMARY_MAX_LENGTH})
    starts_on = DateField(_l("Starts"), validators=[Optional()])
    ends_on = DateField(_l("Ends"), validators=[Optional()])


class TimelineForm(FlaskForm):
    phases = FieldList(FormField(PhaseRowForm), min_entries=6, max_entries=8)


def question_kind_choices():
    return [
        SelectChoice("short_text", _l("Short text")),
        SelectChoice("long_text", _l("Long text")),
        SelectChoice("single_choice", _l("Single choice")),
        SelectChoice("multiple_choice", _l("Multiple choice")),
        SelectChoice("scale", _l("Rating scale")),
        SelectChoice("ranking", _l("Ranking")),
        SelectChoice("yes_no", _l("Yes or no")),
    ]


class QuestionForm(FlaskForm):
    section = StringField(_l("Start a new section with this heading (optional)"), render_kw={"maxlength": 150})
    kind = SelectField(_l("Kind of question"), choices=question_kind_choices(), validate_choice=False)
    prompt = StringField(
        _l("Question"), validators=[DataRequired(message=_l("Write the question."))], render_kw={"maxlength": 550}
    )
    help_text = TextAreaField(_l("Help text (optional)"), render_kw={"rows": 2, "maxlength": 1000})
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(
        _l("Options, one per line"),
        description=_l("For single choice, multiple choice and ranking questions."),
        render_kw={"rows": 5},
    )
    allow_other = BooleanField(_l("Offer “Other, please say”"))
    scale = SelectField(
        _l("Scale"), choices=[SelectChoice("1-5", "1 – 5"), SelectChoice("0-10", "0 – 10")], validate_choice=False
    )
    scale_min_label = StringField(_l("Label of the lowest value"), render_kw={"maxlength": 80})
    scale_max_label = StringField(_l("Label of the highest value"), render_kw={"maxlength": 80})


# --- documents and the cover image ----------------------------------------------------------

DOCUMENT_ACCEPT = (
    ".pdf,.odt,.docx,.csv,application/pdf,application/vnd.oasis.opendocument.text,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/csv"
)
IMAGE_ACCEPT = ".png,.jpg,.jpeg,.webp,image/png,image/jpeg,image/webp"


class DocumentForm(FlaskForm):
    """The type and size are checked on the file's content by the service, not here."""

    file = FileField(_l("File"), render_kw={"accept": DOCUMENT_ACCEPT})
    title = StringField(
        _l("Title (optional)"),
        description=_l("The link people follow. Without one, the file's name is used."),
        render_kw={"maxlength": DOCUMENT_TITLE_MAX_LENGTH},
    )


class CoverForm(FlaskForm):
    image = FileField(_l("Image"), render_kw={"accept": IMAGE_ACCEPT})
    alt_text = TextAreaField(
        _l("Description of the image"),
        description=_l("What the image shows, for people who cannot see it. One or two sentences."),
        render_kw={"rows": 2, "maxlength": ALT_TEXT_MAX_LENGTH},
    )
    decorative = BooleanField(
        _l("The image is only decorative: it shows nothing the text does not say"),
        description=_l("Then it needs no description, and screen readers skip it."),
    )


# --- the draft text -------------------------------------------------------------------------


class DraftTextForm(FlaskForm):
    text = TextAreaField(
        _l("Draft text (Markdown)"),
        description=_l(
            "Each paragraph, list, quote, table and heading becomes a passage people comment on. "
            "Markdown: # Heading, **bold**, *emphasis*, - lists, > quotes, | tables |."
        ),
        render_kw={"rows": 20, "maxlength": 101_000},
    )
    upload = FileField(
        _l("Or upload a file instead (optional)"),
        description=_l(
            "A Markdown or plain text file (.md, .markdown or .txt) in UTF-8, up to 200 KB. It replaces the text above."
        ),
        render_kw={"accept": ".md,.markdown,.txt,text/markdown,text/plain"},
    )
    correction_note = TextAreaField(
        _l("What did you correct?"),
        description=_l("Shown publicly with today's date, in the list of changes."),
        render_kw={"rows": 2, "maxlength": 500},
    )
