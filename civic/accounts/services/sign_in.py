"""Signing in: checking credentials, the per-account throttle that slows down guesses from
anywhere but the owner's usual network, and the sign-in waiting for its second factor."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts import passwords
from civic.accounts.models import EMAIL_MAX_LENGTH, User, UserSession
from civic.accounts.services.people import find_user_by_email
from civic.accounts.services.registration import send_verification_email
from civic.common.db import commit as _commit
from civic.common.ratelimit import count_failure, network_of, seconds_to_wait, seconds_until_allowed
from civic.common.tokens import same_secret
from civic.common.urls import external_url
from civic.errors import InvalidCredentials, InvalidInput, RateLimited
from civic.extensions import db
from civic.mail.services import send_mail

ACCOUNT_THROTTLE_SCOPE = "sign-in-account-failures"
# The owner hears of an attack on their account once a day at most, not once per guess.
ATTACK_WARNING_LIMIT = "1 per day"


class EmailNotVerified(InvalidInput):
    code = "email_not_verified"


def _usual_networks(user):
    """Where the owner signs in from: their last sign-in and their live sessions."""
    networks = set(db.session.scalars(select(UserSession.network).where(UserSession.user_id == user.id)))
    networks.add(user.last_sign_in_network)
    return networks - {None, ""}


def _check_account_throttle(key, user, client):
    # Keyed by the address typed, known or not, so that a slowed-down answer reveals no account.
    wait = seconds_to_wait(ACCOUNT_THROTTLE_SCOPE, key, current_app.config["CIVIC_LIMIT_SIGN_IN_ACCOUNT"])
    if not wait or (user is not None and network_of(client) in _usual_networks(user)):
        return
    raise RateLimited(
        _(
            "There have been many wrong passwords for this account. To protect it, please try again in "
            "%(minutes)d minutes.",
            minutes=max(1, round(wait / 60)),
        ),
        retry_after=wait,
    )


def _count_failure(key, user):
    wait = count_failure(ACCOUNT_THROTTLE_SCOPE, key, current_app.config["CIVIC_LIMIT_SIGN_IN_ACCOUNT"])
    if wait and user is not None and not seconds_until_allowed("sign-in-attack-warning", user.id, ATTACK_WARNING_LIMIT):
        send_mail(
            user.email,
            lambda: _("Someone is trying to sign in to your account"),
            "sign_in_attempts",
            language=user.language,
            user=user,
            reset_url=external_url("accounts.forgot_password"),
            security_url=external_url("accounts.security"),
        )


def authenticate(email, password, *, client=""):
    """Return the user whose credentials these are, or raise InvalidCredentials (RateLimited
    while the account's failures are over the limit, unless from the owner's usual network)."""
    key = (email or "").strip().lower()
    user = find_user_by_email(key) if key and len(key) <= EMAIL_MAX_LENGTH else None
    _check_account_throttle(key, user, client)
    password = password or ""
    if len(password) > passwords.PASSWORD_MAX_LENGTH:
        password = password[: passwords.PASSWORD_MAX_LENGTH + 1]
    if user is None:
        passwords.burn_verification_time(password)
        _count_failure(key, None)
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        _count_failure(key, user)
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not user.email_verified:
        send_verification_email(user)
        raise EmailNotVerified(_("Please confirm your email address first. We have sent you a new link."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        _commit()
    return user


def pending_two_factor_user(user_id, session_token):
    """The user a sign-in waiting for its second factor is for, or None once their password
    has changed (the token rotates) or the account is disabled."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or not same_secret(str(session_token or ""), user.session_token):
        return None
    return user
