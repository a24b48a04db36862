"""Moderation forms: parsing and presence checks; the rules are in moderation.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from civic.moderation.models import NOTE_MAX_LENGTH, REASON_LABELS
from civic.moderation.services.actions import EXPLANATION_MAX_LENGTH


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("Why are you reporting this?"),
        choices=[SelectChoice(str(value), label) for value, label in REASON_LABELS.items()],
        validators=[DataRequired(message=_l("Choose a reason for the report."))],
    )
    # The service checks the length and says how long the note was; maxlength a little above it.
    note = TextAreaField(
        _l("Anything the moderators should know (optional)"),
        description=_l("Plain text, at most %(max)d characters. Only moderators read it.", max=NOTE_MAX_LENGTH),
        render_kw={"rows": 4, "maxlength": NOTE_MAX_LENGTH + 200},
    )


class DismissForm(FlaskForm):
    """A button: the CSRF token only."""


class RejectHeldForm(FlaskForm):
    """The reason is kept in the audit log; a comment's author sees it in place of the comment."""

    reason = StringField(
        _l("Reason for rejecting"),
        validators=[DataRequired(message=_l("Give a reason for the rejection."))],
        render_kw={"maxlength": 500},
    )


def _reason_choices():
    return [SelectChoice(str(value), label) for value, label in REASON_LABELS.items()]


class HideForm(FlaskForm):
    """Hide one item, the items ticked in the queue, or everything an author wrote."""

    reason = SelectField(_l("Reason"), choices=_reason_choices(), validators=[DataRequired()])
    explanation = TextAreaField(
        _l("Explanation shown with it (optional)"),
        description=_l("At most %(max)d characters.", max=EXPLANATION_MAX_LENGTH),
        render_kw={"rows": 2, "maxlength": EXPLANATION_MAX_LENGTH + 100},
    )


class BulkForm(HideForm):
    """The queue's checkboxes (`item`, read by the view) and what to do with them."""

    # Needed only to hide, and then checked by the service (hide_reason).
    reason = SelectField(_l("Reason"), choices=_reason_choices(), validate_choice=False)

    action = RadioField(
        _l("What to do with the ticked items"),
        choices=[SelectChoice("dismiss", _l("Dismiss their reports")), SelectChoice("hide", _l("Hide them"))],
        validators=[DataRequired(message=_l("Choose what to do."))],
    )


class RedactForm(FlaskForm):
    text = TextAreaField(
        _l("Text without the personal data"),
        validators=[DataRequired(message=_l("Write the text to keep."))],
        render_kw={"rows": 8},
    )
