"""Account services: registration, verification, sign-in, passwords, email, profile, 2FA, roles."""

import hashlib
import re
import secrets
import time

import pyotp
import segno
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from civic.accounts import passwords
from civic.accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    HANDLE_PATTERN,
    REASON_MAX_LENGTH,
    RecoveryCode,
    User,
    UserRole,
)
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.pagination import paginate
from civic.common.tokens import make_token, read_token, same_secret
from civic.common.urls import external_url
from civic.common.validation import clean_text
from civic.errors import Conflict, InvalidCredentials, InvalidInput, NotFound, TokenInvalid
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import Role, ensure_can

RECOVERY_CODE_COUNT = 10
TOTP_ISSUER_FALLBACK = "Civic"


class EmailNotVerified(InvalidInput):
    code = "email_not_verified"


# --- helpers -----------------------------------------------------------------------------


def normalize_email(address, *, field="email"):
    """Validate an address and return (as typed but trimmed, lower-cased key)."""
    address = (address or "").strip()
    if not address:
        raise InvalidInput(_("Enter your email address."), field=field)
    if len(address) > EMAIL_MAX_LENGTH:
        raise InvalidInput(_("An email address has at most %(n)d characters.", n=EMAIL_MAX_LENGTH), field=field)
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter an email address like name@example.org."), field=field) from exc
    return valid.normalized, valid.normalized.lower()


def _clean_display_name(name):
    return clean_text(
        name,
        field="display_name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        multiline=False,
        required=_("Enter the name other people will see."),
        too_long=_("A name has at most %(n)d characters.", n=DISPLAY_NAME_MAX_LENGTH),
    )


def _check_password(password, *, email="", display_name="", field="password"):
    problems = passwords.password_problems(password or "", email=email, display_name=display_name)
    if problems:
        raise InvalidInput(" ".join(problems), field=field)


def _new_session_token():
    return secrets.token_hex(16)


def get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such person."))
    return user


def find_user_by_email(address):
    key = (address or "").strip().lower()
    return db.session.scalar(select(User).where(User.email_normalized == key))


def load_user_for_session(session_id):
    """Flask-Login loader: 'id:token', so that a password change ends other sessions."""
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not same_secret(token, user.session_token):
        return None
    return user


# --- registration and verification ---------------------------------------------------------


def register_user(display_name, email, password, *, language=None):
    """Create an unverified citizen account and email a verification link.

    If the address already has an account, its owner is told by email instead, and the caller
    gets None: the page shown is the same either way, so registration reveals no accounts."""
    display_name = _clean_display_name(display_name)
    email, key = normalize_email(email)
    _check_password(password, email=email, display_name=display_name)
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
        session_token=_new_session_token(),
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


# --- sign-in -------------------------------------------------------------------------------


def authenticate(email, password):
    """Return the user whose credentials these are, or raise InvalidCredentials."""
    key = (email or "").strip().lower()
    user = find_user_by_email(key) if key and len(key) <= EMAIL_MAX_LENGTH else None
    password = password or ""
    if len(password) > passwords.PASSWORD_MAX_LENGTH:
        password = password[: passwords.PASSWORD_MAX_LENGTH + 1]
    if user is None:
        passwords.burn_verification_time(password)
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        raise InvalidCredentials(_("That email and password do not match an account."))
    if not user.email_verified:
        send_verification_email(user)
        raise EmailNotVerified(_("Please confirm your email address first. We have sent you a new link."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        _commit()
    return user


def record_sign_in(user):
    user.last_sign_in_at = utcnow()
    _commit()


# --- passwords -----------------------------------------------------------------------------


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
    user = user_for_reset_token(token)
    _check_password(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = _new_session_token()
    # Following the emailed link proves control of the address.
    user.email_verified_at = user.email_verified_at or utcnow()
    _commit()
    return user


def change_password(user, current_password, new_password):
    ensure_can(user, "account.edit", user)
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_("Your current password is not right."), field="current_password")
    _check_password(new_password, email=user.email, display_name=user.display_name, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = _new_session_token()
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


# --- email and profile ---------------------------------------------------------------------


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
    display_name = _clean_display_name(display_name)
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


# --- two-factor sign-in --------------------------------------------------------------------


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


def verify_second_factor(user, code):
    """Accept a current TOTP code (once) or an unused recovery code; raise InvalidCredentials."""
    entered = _digits(code).lower()
    if user.two_factor_enabled and entered:
        if entered.isdigit() and len(entered) == 6:
            step = _totp_step_matching(user.totp_secret, entered)
            if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
                user.totp_last_step = step
                _commit()
                return "totp"
        else:
            digest = _hash_recovery_code(entered)
            for recovery in user.recovery_codes:
                if recovery.used_at is None and same_secret(digest, recovery.code_hash):
                    recovery.used_at = utcnow()
                    _commit()
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


# --- roles ---------------------------------------------------------------------------------

ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.MODERATOR: _l("Moderator"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
}


def _parse_role(role):
    try:
        return Role(role)
    except ValueError as exc:
        raise InvalidInput(_("Choose one of the roles offered."), field="role") from exc


def _clean_reason(reason):
    return clean_text(
        reason,
        field="reason",
        max_length=REASON_MAX_LENGTH,
        required=_("Say why: the reason is kept in the audit log."),
        too_long=_("Keep the reason under %(n)d characters.", n=REASON_MAX_LENGTH),
    )


def find_users(query="", *, role=None, page=1, per_page=25):
    statement = select(User).order_by(User.display_name, User.id)
    query = (query or "").strip()
    if query:
        pattern = f"%{query.lower().replace('%', '').replace('_', '')}%"
        statement = statement.where(
            or_(User.email_normalized.like(pattern), func.lower(User.display_name).like(pattern))
        )
    if role:
        statement = statement.where(User.roles.any(UserRole.role == _parse_role(role).value))
    return paginate(statement, page=page, per_page=per_page)


def grant_role(actor, user, role, reason):
    ensure_can(actor, "users.manage_roles", user)
    role = _parse_role(role)
    reason = _clean_reason(reason)
    if user.has_role(role):
        raise Conflict(_("%(name)s already has that role.", name=user.display_name))
    user.roles.append(UserRole(role=role.value, granted_by_id=getattr(actor, "id", None)))
    record_staff_action(actor, "role.grant", "user", user.id, user.display_name, reason, {"role": role.value})
    _commit()
    return user


def _admin_count():
    return db.session.scalar(select(func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN.value))


def revoke_role(actor, user, role, reason):
    ensure_can(actor, "users.manage_roles", user)
    role = _parse_role(role)
    reason = _clean_reason(reason)
    held = next((r for r in user.roles if r.role == role.value), None)
    if held is None:
        raise Conflict(_("%(name)s does not have that role.", name=user.display_name))
    if role is Role.ADMIN and _admin_count() <= 1:
        raise Conflict(_("The last administrator cannot lose the role: grant it to someone else first."))
    user.roles.remove(held)
    record_staff_action(actor, "role.revoke", "user", user.id, user.display_name, reason, {"role": role.value})
    _commit()
    return user


def create_admin(email, *, password=None, display_name=None):
    """Create (verified) or promote an administrator from the command line.

    Returns (user, created, generated_password)."""
    email, key = normalize_email(email)
    user = find_user_by_email(key)
    generated = None
    created = user is None
    if created:
        if password is None:
            generated = password = secrets.token_urlsafe(12)
        display_name = _clean_display_name(display_name or email.split("@")[0])
        _check_password(password, email=email, display_name=display_name)
        user = User(
            display_name=display_name,
            email=email,
            email_normalized=key,
            bio="",
            password_hash=passwords.hash_password(password),
            session_token=_new_session_token(),
            email_verified_at=utcnow(),
        )
        user.roles.append(UserRole(role=Role.CITIZEN.value))
        db.session.add(user)
        db.session.flush()
    if not user.has_role(Role.ADMIN):
        user.roles.append(UserRole(role=Role.ADMIN.value))
        record_staff_action(
            None,
            "role.grant",
            "user",
            user.id,
            user.display_name,
            "Granted from the command line (flask users create-admin)",
            {"role": "admin"},
        )
    _commit()
    return user, created, generated
