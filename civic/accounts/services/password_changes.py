"""Passwords: the emailed reset link (single use without a table) and changing it while signed
in; either ends the other signed-in sessions."""

import hashlib

from flask import current_app
from flask_babel import gettext as _

from civic.accounts import passwords
from civic.accounts.models import User
from civic.accounts.services._shared import check_password, new_session_token
from civic.accounts.services.people import find_user_by_email, normalize_email
from civic.accounts.services.sessions import forget_sessions
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.tokens import make_token, read_token, same_secret
from civic.common.urls import external_url
from civic.errors import InvalidInput, TokenInvalid
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import ensure_can


def _password_fingerprint(user):
    # Part of the current hash: a reset link stops working once the password has changed.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email):
    """Email a reset link if the address has an account; say nothing either way."""
    try:
        _email, key = normalize_email(email)
    except InvalidInput:
        return
    user = find_user_by_email(key)
    if user is None or not user.is_active:
        return
    token = make_token("reset-password", {"uid": user.id, "fp": _password_fingerprint(user)})
    send_mail(
        user.email,
        lambda: _("Reset your password"),
        "reset_password",
        language=user.language,
        user=user,
        url=external_url("accounts.reset_password", token=token),
        minutes=current_app.config["CIVIC_RESET_TOKEN_MAX_AGE"] // 60,
    )


def user_for_reset_token(token):
    data = read_token("reset-password", token, current_app.config["CIVIC_RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or not same_secret(data.get("fp", ""), _password_fingerprint(user)):
        raise TokenInvalid(_("This link has already been used. Ask for a new one if you need it."))
    return user


def reset_password(token, new_password):
    """Set a new password from the emailed link; every session ends (whoever knew the old one)."""
    user = user_for_reset_token(token)
    check_password(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    # Following the emailed link proves control of the address.
    user.email_verified_at = user.email_verified_at or utcnow()
    forget_sessions(user)
    _commit()
    return user


def change_password(user, current_password, new_password):
    """Change the password. Every session ends, the asking one too (a copy of its cookie may
    be what someone else is using): the view starts a new one for the person asking."""
    ensure_can(user, "account.edit", user)
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_("Your current password is not right."), field="current_password")
    check_password(new_password, email=user.email, display_name=user.display_name, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    forget_sessions(user)
    _commit()
    send_mail(
        user.email,
        lambda: _("Your password was changed"),
        "password_changed",
        language=user.language,
        user=user,
        reset_url=external_url("accounts.forgot_password"),
    )
    return user
