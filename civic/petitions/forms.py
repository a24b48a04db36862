"""Petition forms (presence and parsing; the rules are in petitions.services)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from civic.petitions.models import (
    BACKGROUND_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DETAILS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REJECTION_LABELS,
    RESPONSE_SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def area_choices(areas, *, blank=True):
    choices = [SelectChoice("", lazy_pgettext("select", "Choose…"))] if blank else []
    return choices + [SelectChoice(area, area) for area in areas]


class PetitionForm(FlaskForm):
    title = StringField(
        _l("What do you want the council to do?"),
        description=_l(
            "A clear action, in at most %(max)d characters. For example: “Plant more trees on Riverside Avenue”.",
            max=TITLE_MAX_LENGTH,
        ),
        render_kw={"maxlength": TITLE_MAX_LENGTH + 20, "autocomplete": "off"},
    )
    background = TextAreaField(
        _l("Why do you want the council to do it?"),
        description=_l("The background, in at most %(max)d characters.", max=BACKGROUND_MAX_LENGTH),
        render_kw={"rows": 4, "maxlength": BACKGROUND_MAX_LENGTH + 50},
    )
    details = TextAreaField(
        _l("More details (optional)"),
        description=_l("At most %(max)d characters.", max=DETAILS_MAX_LENGTH),
        render_kw={"rows": 6, "maxlength": DETAILS_MAX_LENGTH + 100},
    )
    topic = StringField(
        _l("Topic (optional)"), description=_l("For example: Transport, Parks."), render_kw={"maxlength": 80}
    )
    area = SelectField(
        _l("Where do you live?"), description=_l("Your own signature counts in this area."), validate_choice=False
    )
    anonymous = BooleanField(_l("Show “anonymous” instead of my name as the person who started it"))


class SignForm(FlaskForm):
    name = StringField(_l("Full name"), render_kw={"maxlength": NAME_MAX_LENGTH, "autocomplete": "name"})
    email = EmailField(
        _l("Email address"),
        description=_l(
            "We email you a link: your signature counts once you open it. Your name and "
            "email are never shown to anyone."
        ),
        render_kw={"maxlength": 320, "autocomplete": "email", "spellcheck": "false"},
    )
    area = SelectField(_l("Where do you live?"), validate_choice=False)
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my name, email and area are used to count my signature once")
    )
    notify = BooleanField(_l("Email me when the council responds or the petition is debated"))
    sponsor_token = HiddenField()


class RejectForm(FlaskForm):
    reason = SelectField(_l("Reason"), validate_choice=False)
    duplicate_of_id = StringField(
        _l("Number of the petition it duplicates"),
        description=_l("Only for duplicates: the number in the other petition's address."),
        render_kw={"inputmode": "numeric", "maxlength": 12},
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        description=_l("Shown publicly with the reason."),
        render_kw={"rows": 3, "maxlength": COMMENT_MAX_LENGTH},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice("", lazy_pgettext("select", "Choose…"))] + [
            SelectChoice(code, label) for code, label in REJECTION_LABELS.items()
        ]


class FlagForm(FlaskForm):
    note = TextAreaField(
        _l("What should the second moderator look at?"), render_kw={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}
    )


class ResponseForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary of the response"),
        description=_l("Sent to signers who asked for news."),
        render_kw={"rows": 3, "maxlength": RESPONSE_SUMMARY_MAX_LENGTH + 50},
    )
    details = TextAreaField(
        _l("The full response (optional)"), description=_l("Markdown allowed."), render_kw={"rows": 12}
    )


class ScheduleDebateForm(FlaskForm):
    debate_on = DateField(_l("Date of the debate"), validators=[Optional()])


class DebateOutcomeForm(FlaskForm):
    debated_on = DateField(_l("Date of the debate"), validators=[Optional()])
    overview = TextAreaField(
        _l("What was said and decided"), description=_l("Markdown allowed."), render_kw={"rows": 8}
    )
    transcript_url = StringField(
        _l("Link to the transcript (optional)"), render_kw={"maxlength": URL_MAX_LENGTH, "inputmode": "url"}
    )
    video_url = StringField(
        _l("Link to the video (optional)"), render_kw={"maxlength": URL_MAX_LENGTH, "inputmode": "url"}
    )


class InvalidationForm(FlaskForm):
    ip_range = StringField(
        _l("Network address or range"),
        description=_l("For example, 203.0.113.0/24."),
        render_kw={"maxlength": 50, "spellcheck": "false"},
    )
    email_domain = StringField(
        _l("Email domain"),
        description=_l("For example, example.org."),
        render_kw={"maxlength": 255, "spellcheck": "false"},
    )
    signed_from = DateTimeLocalField(_l("Signed from"), format=DATETIME_FORMAT, validators=[Optional()])
    signed_until = DateTimeLocalField(_l("Signed before"), format=DATETIME_FORMAT, validators=[Optional()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Recorded in the audit log."),
        render_kw={"rows": 2, "maxlength": COMMENT_MAX_LENGTH},
    )


class RevertForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should these signatures count again?"), render_kw={"rows": 2, "maxlength": COMMENT_MAX_LENGTH}
    )
