"""Roles: finding people for the staff pages, granting and revoking roles (audited; a revoked
role ends the person's sessions), and the administrator made from the command line."""

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from civic.accounts import passwords
from civic.accounts.models import REASON_MAX_LENGTH, User, UserRole
from civic.accounts.services._shared import check_password, clean_display_name, new_session_token
from civic.accounts.services.people import find_user_by_email, normalize_email
from civic.accounts.services.sessions import forget_sessions
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.pagination import paginate
from civic.common.validation import clean_text
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.permissions import Role, ensure_can

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
    """Take a role away. The person's sessions end with it, in the same transaction: a browser
    left signed in (or a stolen cookie) keeps nothing of what the role allowed."""
    ensure_can(actor, "users.manage_roles", user)
    role = _parse_role(role)
    reason = _clean_reason(reason)
    held = next((r for r in user.roles if r.role == role.value), None)
    if held is None:
        raise Conflict(_("%(name)s does not have that role.", name=user.display_name))
    if role is Role.ADMIN and _admin_count() <= 1:
        raise Conflict(_("The last administrator cannot lose the role: grant it to someone else first."))
    user.roles.remove(held)
    forget_sessions(user)
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
        display_name = clean_display_name(display_name or email.split("@")[0])
        check_password(password, email=email, display_name=display_name)
        user = User(
            display_name=display_name,
            email=email,
            email_normalized=key,
            bio="",
            password_hash=passwords.hash_password(password),
            session_token=new_session_token(),
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
