"""Moderation forms: parsing and presence checks; the rules are in moderation.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from civic.moderation.models import (
    ACTION_LABELS,
    APPEAL_MAX_LENGTH,
    APPEAL_OUTCOME_LABELS,
    EXPLANATION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    REASON_LABELS,
    SUSPENSION_MAX_DAYS,
    DecisionAction,
)

SANCTION_ORDER = (DecisionAction.WARN, DecisionAction.SUSPEND, DecisionAction.BAN)


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


_REASON_CHOICES = [SelectChoice(str(value), label) for value, label in REASON_LABELS.items()]


class RejectHeldForm(FlaskForm):
    """The reason is kept in the audit log; a comment's author sees it in place of the comment."""

    reason = StringField(
        _l("Reason for rejecting"),
        validators=[DataRequired(message=_l("Give a reason for the rejection."))],
        render_kw={"maxlength": 500},
    )


class HideForm(FlaskForm):
    """Hide one item, the items ticked in the queue, or everything an author wrote."""

    reason = SelectField(_l("Reason"), choices=_REASON_CHOICES, validators=[DataRequired()])
    explanation = TextAreaField(
        _l("Explanation for the authors (optional)"),
        description=_l("At most %(max)d characters.", max=EXPLANATION_MAX_LENGTH),
        render_kw={"rows": 2, "maxlength": EXPLANATION_MAX_LENGTH + 100},
    )


class BulkForm(HideForm):
    """The queue's checkboxes (`item`, read by the view) and what to do with them."""

    # Needed only to hide, and then checked by the service (hide_reason).
    reason = SelectField(_l("Reason"), choices=_REASON_CHOICES, validate_choice=False)

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


class DecisionForm(FlaskForm):
    """Hiding content: a standard reason (the public reads its label) and the moderator's words (the
    author reads them in the statement of reasons)."""

    reason = RadioField(
        _l("Reason"),
        choices=_REASON_CHOICES,
        validators=[DataRequired(message=_l("Choose a reason."))],
    )
    explanation = TextAreaField(
        _l("Explanation for the author"),
        description=_l(
            "Which rule the content breaks and why. At most %(max)d characters. The author reads it; "
            "the public sees only the reason.",
            max=EXPLANATION_MAX_LENGTH,
        ),
        render_kw={"rows": 5, "maxlength": EXPLANATION_MAX_LENGTH + 200},
    )


class SanctionForm(DecisionForm):
    action = RadioField(
        _l("Decision"),
        choices=[SelectChoice(str(action), ACTION_LABELS[action]) for action in SANCTION_ORDER],
        validators=[DataRequired(message=_l("Choose what to decide."))],
    )
    days = StringField(
        _l("Days of suspension"),
        description=_l("For a suspension only: 1 to %(max)d days.", max=SUSPENSION_MAX_DAYS),
        render_kw={"inputmode": "numeric", "size": 4},
    )


class AppealForm(FlaskForm):
    text = TextAreaField(
        _l("Why should the decision be changed?"),
        description=_l(
            "At most %(max)d characters. A moderator who did not make the decision reads it.", max=APPEAL_MAX_LENGTH
        ),
        render_kw={"rows": 6, "maxlength": APPEAL_MAX_LENGTH + 200},
    )


class AppealDecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Decision on the appeal"),
        choices=[SelectChoice(str(value), label) for value, label in APPEAL_OUTCOME_LABELS.items()],
        validators=[DataRequired(message=_l("Uphold or reverse the decision."))],
    )
    explanation = TextAreaField(
        _l("Explanation for the person who appealed"),
        description=_l("At most %(max)d characters.", max=EXPLANATION_MAX_LENGTH),
        render_kw={"rows": 5, "maxlength": EXPLANATION_MAX_LENGTH + 200},
    )
