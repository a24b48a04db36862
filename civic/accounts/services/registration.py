"""Registration, limited per network range, and the emailed link that verifies the address."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.accounts.services._shared import check_password, clean_display_name, new_session_token
from civic.accounts.services.people import find_user_by_email, normalize_email
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.ratelimit import network_of, seconds_until_allowed
from civic.common.tokens import make_token, read_token
from civic.common.urls import external_url
from civic.errors import InvalidInput, RateLimited, TokenInvalid
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import Role


def _check_network_limit(client):
    # Per address the view's decorator limits already; a range of addresses (one /24 or /48) is
    # limited here, as signing petitions is.
    wait = seconds_until_allowed(
        "register-network", network_of(client), current_app.config["CIVIC_LIMIT_REGISTER_NETWORK"]
    )
    if wait:
        raise RateLimited(
            _(
                "Many accounts have been registered from your network in a short time. Please try again in "
                "%(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )


def register_user(display_name, email, password, *, language=None, client=""):
    """Create an unverified citizen account and email a verification link.

    If the address already has an account, its owner is told by email instead, and the caller
    gets None: the page shown is the same either way, so registration reveals no accounts."""
    display_name = clean_display_name(display_name)
    email, key = normalize_email(email)
    check_password(password, email=email, display_name=display_name)
    _check_network_limit(client)
    existing = find_user_by_email(key)
    if existing is not None:
        send_mail(
            existing.email,
            lambda: _("Someone tried to register with your address"),
            "already_registered",
            language=existing.language or language,
            user=existing,
            sign_in_url=external_url("accounts.sign_in"),
            reset_url=external_url("accounts.forgot_password"),
        )
        return None
    user = User(
        display_name=display_name,
        email=email,
        email_normalized=key,
        password_hash=passwords.hash_password(password),
        session_token=new_session_token(),
        language=language,
        bio="",
    )
    user.roles.append(UserRole(role=Role.CITIZEN.value))
    db.session.add(user)
    try:
        _commit()
    except IntegrityError:
        return None  # registered by a concurrent request a moment ago
    send_verification_email(user)
    return user


def send_verification_email(user):
    token = make_token("verify-email", {"uid": user.id, "email": user.email_normalized})
    send_mail(
        user.email,
        lambda: _("Confirm your email address"),
        "verify_email",
        language=user.language,
        user=user,
        url=external_url("accounts.verify_email", token=token),
        hours=current_app.config["CIVIC_EMAIL_TOKEN_MAX_AGE"] // 3600,
    )


def resend_verification(email):
    """Same answer whether or not the address has an account."""
    try:
        _email, key = normalize_email(email)
    except InvalidInput:
        return
    user = find_user_by_email(key)
    if user is not None and not user.email_verified:
        send_verification_email(user)


def verify_email(token):
    data = read_token("verify-email", token, current_app.config["CIVIC_EMAIL_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email_normalized != data.get("email"):
        raise TokenInvalid(_("This link is not valid any more. Ask for a new one."))
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        _commit()
    return user
