"""What several discussion services share: a moderator's reason, comment bodies with mentions linked."""

from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import User
from civic.common.markdown import link_mentions, render_markdown
from civic.common.urls import path_for
from civic.common.validation import clean_text
from civic.discussions.models import (
    REASON_MAX_LENGTH,
)
from civic.extensions import db


def clean_reason(reason):
    return clean_text(
        reason,
        field="reason",
        max_length=REASON_MAX_LENGTH,
        required=_("Give a reason: it is shown to readers."),
        too_long=_("Keep the reason under %(n)d characters.", n=REASON_MAX_LENGTH),
    )


def _resolve_mention(handle):
    user = db.session.scalar(select(User).where(User.handle == handle, User.disabled_at.is_(None)))
    if user is None:
        return None
    return path_for("accounts.public_profile", user_id=user.id), user.handle


def render_comment_body(text):
    return link_mentions(render_markdown(text), _resolve_mention)
