"""Two-factor sign-in: enrolment, TOTP codes and recovery codes, each accepted once however
many requests race (a conditional update claims it), and turning it off."""

import hashlib
import secrets
import time

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, update

from civic.accounts import passwords
from civic.accounts.models import RecoveryCode, User
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.tokens import same_secret
from civic.errors import Conflict, InvalidCredentials, InvalidInput
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import ensure_can

RECOVERY_CODE_COUNT = 10
TOTP_ISSUER_FALLBACK = "Civic"


def new_totp_secret():
    return pyotp.random_base32()


def totp_setup_details(user, secret):
    """The otpauth URI, a QR code of it as inline SVG, and the secret grouped for typing."""
    issuer = current_app.config.get("CIVIC_SITE_NAME") or TOTP_ISSUER_FALLBACK
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=None)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"uri": uri, "qr_svg": qr_svg, "secret": grouped}


def _digits(code):
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")


def _totp_step_matching(secret, code, *, now=None, window=1):
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in range(step - window, step + window + 1):
        if same_secret(code, totp.generate_otp(candidate)):
            return candidate
    return None


def _hash_recovery_code(code):
    return hashlib.sha256(code.lower().encode()).hexdigest()


def _new_recovery_codes(user):
    for old in list(user.recovery_codes):
        db.session.delete(old)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits each; shown once, stored hashed
        codes.append(f"{raw[:5]}-{raw[5:]}")
        user.recovery_codes.append(RecoveryCode(code_hash=_hash_recovery_code(raw)))
    return codes


def enable_two_factor(user, secret, code):
    """Turn on TOTP once the user proves their app holds the secret; return the recovery codes."""
    ensure_can(user, "account.manage_two_factor", user)
    if user.two_factor_enabled:
        raise Conflict(_("Two-factor sign-in is already on."))
    step = _totp_step_matching(secret, _digits(code)) if secret else None
    if step is None:
        raise InvalidInput(
            _("That code is not right. Check the time on your phone and try the newest code."), field="code"
        )
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    codes = _new_recovery_codes(user)
    _commit()
    return codes


def _claim(statement):
    """Run a conditional UPDATE that only one request can win, and commit: True for the winner.
    The condition is checked by the database against the committed row, not against what this
    request read a moment ago, so two requests with the same code cannot both pass."""
    claimed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount == 1
    _commit()
    return claimed


def _claim_totp_step(user, step):
    return _claim(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
    )


def _claim_recovery_code(recovery):
    return _claim(
        update(RecoveryCode)
        .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )


def verify_second_factor(user, code):
    """Accept a current TOTP code (once) or an unused recovery code; raise InvalidCredentials."""
    entered = _digits(code).lower()
    if user.two_factor_enabled and entered:
        if entered.isdigit() and len(entered) == 6:
            step = _totp_step_matching(user.totp_secret, entered)
            if step is not None and _claim_totp_step(user, step):
                return "totp"
        else:
            digest = _hash_recovery_code(entered)
            for recovery in user.recovery_codes:
                if (
                    recovery.used_at is None
                    and same_secret(digest, recovery.code_hash)
                    and _claim_recovery_code(recovery)
                ):
                    return "recovery_code"
    raise InvalidCredentials(_("That code is not right, or it has been used already."), field="code")


def remaining_recovery_codes(user):
    return sum(1 for code in user.recovery_codes if code.used_at is None)


def regenerate_recovery_codes(user, password):
    ensure_can(user, "account.manage_two_factor", user)
    if not user.two_factor_enabled:
        raise Conflict(_("Turn on two-factor sign-in first."))
    if not passwords.verify_password(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    codes = _new_recovery_codes(user)
    _commit()
    return codes


def disable_two_factor(user, password):
    ensure_can(user, "account.manage_two_factor", user)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    for code in list(user.recovery_codes):
        db.session.delete(code)
    _commit()
    send_mail(
        user.email,
        lambda: _("Two-factor sign-in was turned off"),
        "two_factor_disabled",
        language=user.language,
        user=user,
    )
