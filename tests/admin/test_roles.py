"""The admin page for people and roles, and the audit log of every grant and revoke."""

import pytest

from civic.accounts.services import roles
from civic.audit.models import AuditEntry
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db


def test_admin_finds_people_by_name_or_email_and_role(web, login_as, make_user):
    login_as("admin")
    make_user("rosa@example.org", name="Rosa Vidal")
    make_user("juan@example.org", name="Juan Ortega", roles=("citizen", "moderator"))
    html = web.get("/admin/users?q=vidal").get_data(as_text=True)
    assert "Rosa Vidal" in html and "Juan Ortega" not in html
    html = web.get("/admin/users?q=JUAN@").get_data(as_text=True)
    assert "Juan Ortega" in html
    html = web.get("/admin/users?role=moderator").get_data(as_text=True)
    assert "Juan Ortega" in html and "Rosa Vidal" not in html
    assert web.get("/admin/users?role=emperor").status_code == 200


def test_admin_grants_and_revokes_a_role_with_a_reason_in_the_audit_log(web, login_as, make_user):
    admin = login_as("admin")
    person = make_user(name="Rosa Vidal")
    url = f"/admin/users/{person.id}"
    response = web.post(
        url, {"role": "moderator", "action": "grant", "reason": "Volunteered at the assembly"}, form_url=url
    )
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.has_role("moderator")
    entry = db.session.query(AuditEntry).one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        admin.id,
        "role.grant",
        "user",
        person.id,
    )
    assert entry.reason == "Volunteered at the assembly" and entry.details == {"role": "moderator"}
    assert entry.created_at is not None

    web.post(url, {"role": "moderator", "action": "revoke", "reason": "Stepped down"}, form_url=url)
    db.session.refresh(person)
    assert not person.has_role("moderator")
    assert [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)] == ["role.grant", "role.revoke"]
    html = web.get("/admin/audit").get_data(as_text=True)
    assert "Stepped down" in html and "Volunteered at the assembly" in html


def test_a_role_change_without_a_reason_is_refused_and_changes_nothing(web, login_as, make_user):
    login_as("admin")
    person = make_user()
    url = f"/admin/users/{person.id}"
    response = web.post(url, {"role": "official", "action": "grant", "reason": "  "}, form_url=url)
    assert response.status_code == 422
    db.session.refresh(person)
    assert not person.has_role("official") and db.session.query(AuditEntry).count() == 0


def test_granting_a_role_held_already_is_a_clear_message(web, login_as, make_user):
    login_as("admin")
    person = make_user(roles=("citizen", "official"))
    url = f"/admin/users/{person.id}"
    response = web.post(url, {"role": "official", "action": "grant", "reason": "again"}, form_url=url)
    assert response.status_code == 422 and "already has that role" in response.get_data(as_text=True)


def test_the_last_admin_cannot_lose_the_role(app, make_user):
    admin = make_user(roles=("citizen", "admin"))
    with pytest.raises(Conflict):
        roles.revoke_role(admin, admin, "admin", "leaving")
    other = make_user(roles=("citizen", "admin"))
    roles.revoke_role(other, admin, "admin", "handing over")
    assert not admin.has_role("admin")


@pytest.mark.parametrize("role", ["citizen", "moderator", "official"])
def test_only_admins_may_change_roles(app, make_user, role):
    actor = make_user(roles=("citizen", role) if role != "citizen" else ("citizen",))
    target = make_user()
    with pytest.raises(NotAllowed):
        roles.grant_role(actor, target, "admin", "promote myself")
    db.session.rollback()
    assert not target.has_role("admin") and db.session.query(AuditEntry).count() == 0


def test_unknown_role_is_refused(app, make_user):
    admin = make_user(roles=("citizen", "admin"))
    with pytest.raises(InvalidInput):
        roles.grant_role(admin, make_user(), "emperor", "why not")


@pytest.mark.parametrize("role,status", [("citizen", 403), ("moderator", 403), ("official", 403), ("admin", 200)])
def test_staff_pages_by_role(web, login_as, role, status):
    login_as(role)
    assert web.get("/admin/users").status_code == status
    assert web.get("/admin/audit").status_code == status
    assert web.get("/admin/").status_code == (403 if role == "citizen" else 200)
