"""The public profile a person edits: name, @handle, about text and language; and moderation hiding
its about text (readers reported it) and showing it again."""

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import BIO_MAX_LENGTH, HANDLE_PATTERN, User
from civic.accounts.services._shared import clean_display_name
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.validation import clean_text
from civic.errors import InvalidInput
from civic.extensions import db
from civic.permissions import ensure_can


def _clean_handle(user, handle):
    handle = (handle or "").strip().lstrip("@").lower()
    if not re.fullmatch(HANDLE_PATTERN, handle):
        raise InvalidInput(_("Use 3 to 30 lower-case letters, digits or underscores."), field="handle")
    taken = db.session.scalar(select(User.id).where(User.handle == handle, User.id != user.id))
    if taken:
        raise InvalidInput(_("Someone else uses @%(handle)s already.", handle=handle), field="handle")
    return handle


def update_profile(user, *, display_name, bio="", language=None, handle=None):
    ensure_can(user, "account.edit", user)
    display_name = clean_display_name(display_name)
    handle = _clean_handle(user, handle) if handle is not None else user.handle
    bio = clean_text(
        bio,
        field="bio",
        max_length=BIO_MAX_LENGTH,
        too_long=_("Write at most %(n)d characters about yourself.", n=BIO_MAX_LENGTH),
    )
    if language and language not in current_app.config["CIVIC_LANGUAGES"]:
        raise InvalidInput(_("Choose one of the languages offered."), field="language")
    user.display_name, user.bio, user.language, user.handle = display_name, bio, language or None, handle
    try:
        _commit()
    except IntegrityError as exc:
        raise InvalidInput(_("Someone else uses @%(handle)s already.", handle=handle), field="handle") from exc
    return user


def hide_profile_in_transaction(actor, person, reason):
    """Hide a public profile in the caller's transaction (the caller checked the permission and commits):
    its page shows everyone but the person and moderators the name, the @handle and the reason in
    place of the about text. The account, and what the person wrote elsewhere, stay as they are.
    Audited as `profile.hide` by `actor` (None: readers' reports hid it pending review). False if it
    was hidden already."""
    if person.profile_is_hidden:
        return False
    person.profile_hidden_at, person.profile_hidden_reason = utcnow(), reason
    record_staff_action(actor, "profile.hide", "profile", person.id, person.display_name, reason)
    return True


def show_profile_again(person):
    """Undo a hiding after review (the caller commits and audits the decision). False if not hidden."""
    if not person.profile_is_hidden:
        return False
    person.profile_hidden_at, person.profile_hidden_reason = None, ""
    return True


def announce_profile_hidden(person):
    """After the commit: nothing to push (a profile has no live page, and no cached one)."""
