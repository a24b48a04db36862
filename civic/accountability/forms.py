"""Accountability forms: an official's change of a record, a new milestone, and opening a record
by hand. Numbers and dates arrive as typed: the services check them, so the page shows the
service's clear message with what was typed kept."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, StringField, TextAreaField

from civic.accountability.models import KIND_LABELS, STATUS_LABELS


class RecordForm(FlaskForm):
    status = RadioField(
        _l("Status"),
        choices=[SelectChoice(value, label) for value, label in STATUS_LABELS.items()],
        validate_choice=False,
    )
    progress = StringField(
        _l("Progress, in per cent"),
        description=_l("A whole number from 0 to 100. A record marked done reads 100."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 4},
    )
    spent = StringField(
        _l("Money spent so far"),
        description=_l("A whole number, without spaces or signs."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    currency = StringField(
        _l("Currency"),
        description=_l("Its three-letter code, such as EUR."),
        render_kw={"size": 3, "maxlength": 3, "autocomplete": "off"},
    )


class MilestoneForm(FlaskForm):
    happened_on = StringField(
        _l("Date"), description=_l("When it happened: year-month-day."), render_kw={"type": "date"}
    )
    text = TextAreaField(
        _l("What happened"),
        description=_l("Paragraphs, lists, links, bold and italic are kept (Markdown)."),
        render_kw={"rows": 5},
    )
    photo = FileField(
        _l("Photo (optional)"),
        description=_l("A PNG, JPEG or WebP image."),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
    photo_alt = StringField(_l("Description of the photo"), description=_l("Needed with a photo: what it shows."))


class CreateRecordForm(FlaskForm):
    kind = RadioField(
        _l("It records"),
        choices=[SelectChoice(value, label) for value, label in KIND_LABELS.items()],
        validate_choice=False,
    )
    subject_id = StringField(
        _l("Its number"),
        description=_l("The number of the accepted proposal, or of the funded project."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
