"""The permission table as a role x action matrix."""
import pytest

from civic.accounts.models import AnonymousUser, User, UserRole
from civic.errors import AuthenticationRequired, NotAllowed, TwoFactorEnrolmentRequired
from civic.permissions import RULES, can, ensure_can


def person(*roles, user_id=1, two_factor=False):
    user = User(id=user_id, display_name="P", email="p@example.org", email_normalized="p@example.org",
                password_hash="x", session_token="t")
    user.roles = [UserRole(role=r) for r in roles]
    if two_factor:
        from civic.common.models import utcnow

        user.totp_enabled_at = utcnow()
    return user


ROLES = {
    "anonymous": lambda: AnonymousUser(),
    "citizen": lambda: person("citizen"),
    "moderator": lambda: person("citizen", "moderator"),
    "official": lambda: person("citizen", "official"),
    "admin": lambda: person("citizen", "admin"),
}

# action -> roles allowed (acting on someone else's account where an object matters)
MATRIX = {
    "site.view": {"anonymous", "citizen", "moderator", "official", "admin"},
    "profile.view": {"anonymous", "citizen", "moderator", "official", "admin"},
    "account.edit": set(),
    "account.manage_two_factor": set(),
    "staff.dashboard": {"moderator", "official", "admin"},
    "users.list": {"admin"},
    "users.manage_roles": {"admin"},
    "audit.view": {"admin"},
}


def test_matrix_covers_every_rule():
    assert set(MATRIX) == set(RULES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", MATRIX)
def test_role_action_matrix(app, role, action):
    someone_else = person("citizen", user_id=99)
    assert can(ROLES[role](), action, someone_else) is (role in MATRIX[action])


@pytest.mark.parametrize("action", ["account.edit", "account.manage_two_factor"])
def test_people_may_edit_only_their_own_account(app, action):
    me = person("citizen", user_id=5)
    assert can(me, action, me)
    assert not can(me, action, person("citizen", user_id=6))
    assert not can(person("citizen", "admin", user_id=7), action, me)
    assert not can(AnonymousUser(), action, me)


def test_unknown_action_is_denied_even_for_admins(app):
    assert not can(person("citizen", "admin"), "launch.rockets")


def test_staff_roles_need_two_factor_when_required(app):
    app.config["CIVIC_REQUIRE_STAFF_2FA"] = True
    admin = person("citizen", "admin")
    assert not can(admin, "users.manage_roles")
    with pytest.raises(TwoFactorEnrolmentRequired):
        ensure_can(admin, "users.manage_roles")
    assert can(person("citizen", "admin", two_factor=True), "users.manage_roles")
    # citizens are not affected
    assert can(person("citizen"), "site.view")


def test_ensure_can_says_why(app):
    with pytest.raises(AuthenticationRequired):
        ensure_can(AnonymousUser(), "users.list")
    with pytest.raises(NotAllowed) as info:
        ensure_can(person("citizen"), "users.list")
    assert not isinstance(info.value, TwoFactorEnrolmentRequired)
