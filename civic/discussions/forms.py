"""Discussion forms: parsing and presence checks; the rules are in discussions.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired

from civic.discussions.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    REASON_MAX_LENGTH,
    STANCE_LABELS,
    TITLE_MAX_LENGTH,
)

MARKDOWN_HINT = _l(
    "You can use *emphasis*, **bold**, [links](https://example.org), lists, > quotes, "
    "`code`, and @name to mention someone."
)


def stance_choices():
    return [SelectChoice("", _l("No stance"))] + [SelectChoice(value, label) for value, label in STANCE_LABELS.items()]


class CommentForm(FlaskForm):
    # Lengths are checked by the service, which says how long the text was; the browser's
    # maxlength is set a little above the limit so that a paste is not silently cut.
    body = TextAreaField(
        _l("Your comment"),
        description=MARKDOWN_HINT,
        validators=[DataRequired(message=_l("Write your comment first."))],
        render_kw={"rows": 5, "maxlength": COMMENT_MAX_LENGTH + 1000},
    )
    stance = RadioField(
        _l("Your position on the question"), choices=stance_choices(), default="", validate_choice=False
    )
    parent_id = HiddenField()
    next = HiddenField()  # a reply: the page it was written from, where the reader returns


class EditCommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        description=MARKDOWN_HINT,
        validators=[DataRequired(message=_l("Write your comment first."))],
        render_kw={"rows": 8, "maxlength": COMMENT_MAX_LENGTH + 1000},
    )
    stance = RadioField(
        _l("Your position on the question"), choices=stance_choices(), default="", validate_choice=False
    )


class StartDiscussionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("A question or a short statement of the topic."),
        validators=[DataRequired(message=_l("Give the discussion a title."))],
        render_kw={"maxlength": TITLE_MAX_LENGTH + 50},
    )
    body = TextAreaField(
        _l("What would you like to discuss?"),
        description=MARKDOWN_HINT,
        validators=[DataRequired(message=_l("Say what you would like to discuss."))],
        render_kw={"rows": 8, "maxlength": BODY_MAX_LENGTH + 1000},
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Shown to readers and kept in the audit log."),
        validators=[DataRequired(message=_l("Give a reason: it is shown to readers."))],
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH + 100},
    )
