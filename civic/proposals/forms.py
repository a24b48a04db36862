"""Proposal forms (presence and parsing; the rules are in proposals.services)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from civic.proposals.models import (
    ALT_TEXT_MAX_LENGTH,
    BODY_MAX_LENGTH,
    STATE_LABELS,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TOPIC_MAX_LENGTH,
    URL_MAX_LENGTH,
)

IMAGE_ACCEPT = ".png,.jpg,.jpeg,.webp,image/png,image/jpeg,image/webp"
ANSWER_OUTCOMES = ("accepted", "rejected", "planned", "not_ours", "more_info")


def area_choices(areas):
    return [SelectChoice("", lazy_pgettext("area", "No particular area"))] + [SelectChoice(a, a) for a in areas]


class ProposalForm(FlaskForm):
    title = StringField(
        _l("What do you propose?"),
        description=_l("In a few words, at most %(max)d characters.", max=TITLE_MAX_LENGTH),
        render_kw={"maxlength": TITLE_MAX_LENGTH + 20, "autocomplete": "off"},
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("What and why, in at most %(max)d characters: shown in the lists.", max=SUMMARY_MAX_LENGTH),
        render_kw={"rows": 3, "maxlength": SUMMARY_MAX_LENGTH + 50},
    )
    body = TextAreaField(
        _l("The proposal in full (optional)"),
        description=_l(
            "At most %(max)d characters. You may use *emphasis*, **bold**, lists and links.", max=BODY_MAX_LENGTH
        ),
        render_kw={"rows": 10, "maxlength": BODY_MAX_LENGTH + 100},
    )
    topic = StringField(
        _l("Topic (optional)"),
        description=_l("For example: Transport, Parks."),
        render_kw={"maxlength": TOPIC_MAX_LENGTH},
    )
    area = SelectField(_l("Area (optional)"), validate_choice=False)
    external_url = StringField(
        _l("A link to more information (optional)"),
        description=_l("A full web address starting with https://."),
        render_kw={"maxlength": URL_MAX_LENGTH, "inputmode": "url", "spellcheck": "false"},
    )
    image = FileField(
        _l("An image (optional)"),
        description=_l("PNG, JPEG or WebP."),
        render_kw={"accept": IMAGE_ACCEPT},
    )
    image_alt = StringField(
        _l("Describe the image"),
        description=_l("For people who cannot see it. Needed with an image."),
        render_kw={"maxlength": ALT_TEXT_MAX_LENGTH},
    )
    remove_image = BooleanField(_l("Remove the image"))


class AnswerForm(FlaskForm):
    outcome = RadioField(
        _l("The answer"),
        choices=[SelectChoice(value, STATE_LABELS[value]) for value in ANSWER_OUTCOMES],
        validate_choice=False,
    )
    explanation = TextAreaField(
        _l("Explanation"),
        description=_l("Published with the answer. You may use *emphasis*, **bold**, lists and links."),
        render_kw={"rows": 8},
    )


class ImplementedForm(FlaskForm):
    note = TextAreaField(_l("What was done (optional)"), render_kw={"rows": 4})


class MergeForm(FlaskForm):
    target_id = IntegerField(
        _l("Number of the proposal it duplicates"),
        description=_l("Its supports and followers move there; someone who supported both counts once."),
        validators=[Optional()],
    )
    explanation = TextAreaField(_l("Note (optional)"), render_kw={"rows": 3})
