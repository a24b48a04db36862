"""Changing one's email address: a link to the new address, a notice to the old one."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from civic.accounts import passwords
from civic.accounts.models import User
from civic.accounts.services.people import find_user_by_email, normalize_email
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.tokens import make_token, read_token
from civic.common.urls import external_url
from civic.errors import Conflict, InvalidInput, TokenInvalid
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import ensure_can


def request_email_change(user, password, new_email):
    ensure_can(user, "account.edit", user)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    new_email, key = normalize_email(new_email, field="new_email")
    if key == user.email_normalized:
        raise InvalidInput(_("That is already your email address."), field="new_email")
    if find_user_by_email(key) is not None:
        # Tell the owner of that address, not the person asking: no account enumeration.
        send_mail(new_email, lambda: _("Someone tried to use your address"), "email_taken", language=user.language)
        return
    token = make_token("change-email", {"uid": user.id, "old": user.email_normalized, "new": new_email})
    send_mail(
        new_email,
        lambda: _("Confirm your new email address"),
        "change_email",
        language=user.language,
        user=user,
        url=external_url("accounts.confirm_email_change", token=token),
        hours=current_app.config["CIVIC_EMAIL_TOKEN_MAX_AGE"] // 3600,
    )
    send_mail(
        user.email,
        lambda: _("A change of email address was requested"),
        "email_change_requested",
        language=user.language,
        user=user,
        new_email=new_email,
    )


def confirm_email_change(token):
    data = read_token("change-email", token, current_app.config["CIVIC_EMAIL_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email_normalized != data.get("old"):
        raise TokenInvalid(_("This link is not valid any more. Ask for a new one."))
    new_email, key = normalize_email(data.get("new"))
    if find_user_by_email(key) is not None:
        raise Conflict(_("Another account uses that address now."))
    old_email = user.email
    user.email, user.email_normalized = new_email, key
    user.email_verified_at = utcnow()
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Another account uses that address now.")) from exc
    send_mail(
        old_email,
        lambda: _("Your email address was changed"),
        "email_changed",
        language=user.language,
        user=user,
        new_email=new_email,
    )
    return user
