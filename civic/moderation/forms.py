"""Moderation forms: parsing and presence checks; the rules are in moderation.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired

from civic.moderation.models import NOTE_MAX_LENGTH, REASON_LABELS


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
