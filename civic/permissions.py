"""Roles and the one can(user, action, obj) that every permission check goes through.

RULES is the whole table: an action maps to a predicate over (user, obj, roles), where
roles are the user's *effective* roles. An action that is not in the table is denied.
"""
import enum

from flask import current_app, has_app_context

from civic.errors import AuthenticationRequired, NotAllowed, TwoFactorEnrolmentRequired


class Role(str, enum.Enum):
    CITIZEN = "citizen"
    MODERATOR = "moderator"
    OFFICIAL = "official"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.MODERATOR, Role.OFFICIAL, Role.ADMIN})
ALL_ROLES = tuple(Role)


def _signed_in(user):
    return bool(user is not None and getattr(user, "is_authenticated", False))


def held_roles(user):
    if not _signed_in(user):
        return frozenset()
    return frozenset(Role(r) for r in user.role_names)


def staff_two_factor_required():
    return has_app_context() and bool(current_app.config.get("CIVIC_REQUIRE_STAFF_2FA"))


def effective_roles(user):
    """Roles the user may act in now: staff roles need two-factor enrolment when the site requires it."""
    roles = held_roles(user)
    if staff_two_factor_required() and not getattr(user, "two_factor_enabled", False):
        roles = roles - STAFF_ROLES
    return roles


def _anyone(user, obj, roles):
    return True


def _signed_in_rule(user, obj, roles):
    return _signed_in(user)


def _role(*allowed):
    def rule(user, obj, roles):
        return bool(roles & set(allowed))

    rule.roles = frozenset(allowed)
    return rule


def _self(user, obj, roles):
    return _signed_in(user) and obj is not None and getattr(obj, "id", None) == user.id


def _any_staff(user, obj, roles):
    return bool(roles & STAFF_ROLES)


_any_staff.roles = STAFF_ROLES

RULES = {
    # Pages everybody may read
    "site.view": _anyone,
    "profile.view": _anyone,
    # A person's own account
    "account.edit": _self,
    "account.manage_two_factor": _self,
    # Staff
    "staff.dashboard": _any_staff,
    "users.list": _role(Role.ADMIN),
    "users.manage_roles": _role(Role.ADMIN),
    "audit.view": _role(Role.ADMIN),
}


def can(user, action, obj=None):
    """May this user do this action (on this object)? Unknown actions are denied."""
    rule = RULES.get(action)
    if rule is None:
        return False
    return bool(rule(user, obj, effective_roles(user)))


def ensure_can(user, action, obj=None):
    """Raise the error that explains why the user may not do this action."""
    if can(user, action, obj):
        return
    if not _signed_in(user):
        from flask_babel import gettext as _

        raise AuthenticationRequired(_("Please sign in to continue."))
    rule = RULES.get(action)
    needs = getattr(rule, "roles", frozenset())
    if needs and (held_roles(user) & needs) and staff_two_factor_required():
        from flask_babel import gettext as _

        raise TwoFactorEnrolmentRequired(
            _("Staff accounts must set up two-factor sign-in before using staff pages.")
        )
    from flask_babel import gettext as _

    raise NotAllowed(_("You do not have permission to do that."))
