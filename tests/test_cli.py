"""Command-line tools: create-admin and seed-demo."""

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.extensions import db


def test_create_admin_makes_a_verified_admin_with_a_generated_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "Chief@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Created administrator" in result.output and "Password:" in result.output
    user = db.session.query(User).filter_by(email_normalized="chief@example.org").one()
    assert user.has_role("admin") and user.has_role("citizen") and user.email_verified
    entry = db.session.query(AuditEntry).one()
    assert entry.action == "role.grant" and entry.actor_id is None and entry.target_id == user.id


def test_create_admin_promotes_an_existing_account(app, make_user):
    user = make_user("someone@example.org")
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "someone@example.org"])
    assert result.exit_code == 0 and "is now an administrator" in result.output
    db.session.refresh(user)
    assert user.has_role("admin")


def test_create_admin_refuses_a_bad_address(app):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "not an address"])
    assert result.exit_code != 0 and "email address" in result.output


def test_seed_demo_creates_people_of_every_role_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["civic", "seed-demo", "--if-empty"])
    assert first.exit_code == 0 and "admin@demo.example.org" in first.output
    roles = {role for user in db.session.query(User) for role in user.role_names}
    assert roles == {"citizen", "moderator", "official", "admin"}
    count = db.session.query(User).count()
    second = runner.invoke(args=["civic", "seed-demo", "--if-empty"])
    assert "nothing seeded" in second.output
    assert db.session.query(User).count() == count


def test_every_start_prints_the_demo_accounts_at_the_configured_address(app, web):
    """Issue 12: the accounts were printed only on the first start, and always with port 5000."""
    from civic.accounts.services.password_changes import change_password
    from civic.cli.demo import DEMO_PASSWORD

    app.config["CIVIC_BASE_URL"] = "http://127.0.0.1:8123"
    runner = app.test_cli_runner()
    first = runner.invoke(args=["civic", "seed-demo", "--if-empty"])
    assert "Sign in at http://127.0.0.1:8123/sign-in" in first.output and ":5000" not in first.output
    again = runner.invoke(args=["civic", "seed-demo", "--if-empty"])
    assert "nothing seeded" in again.output
    assert "http://127.0.0.1:8123/sign-in" in again.output and "official@demo.example.org" in again.output
    official = db.session.query(User).filter_by(email_normalized="official@demo.example.org").one()
    change_password(official, DEMO_PASSWORD, "a brand new passphrase 42")
    later = runner.invoke(args=["civic", "seed-demo", "--if-empty"])
    assert "official@demo.example.org" not in later.output  # its password is no longer the demo one
    assert "admin@demo.example.org" in later.output


def test_demo_people_can_sign_in(app, web):
    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    from civic.cli.demo import DEMO_PASSWORD

    assert web.sign_in("official@demo.example.org", DEMO_PASSWORD).status_code == 302


def test_seed_demo_adds_discussions_with_threads(app):
    from civic.discussions.models import Category, Comment, Discussion

    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    assert db.session.query(Category).count() == 4
    assert db.session.query(Discussion).count() >= 4
    assert db.session.query(Comment).filter(Comment.depth >= 2).count() >= 1
    assert db.session.query(Comment).filter(Comment.pinned_at.isnot(None)).count() == 1
    assert db.session.query(Discussion).filter(Discussion.locked_at.isnot(None)).count() == 1
    app.test_cli_runner().invoke(args=["civic", "seed-demo"])  # again: nothing doubles
    assert db.session.query(Category).count() == 4


def test_seed_demo_adds_a_consultation_and_petitions_in_every_state(app):
    from civic.consultations.models import Consultation
    from civic.petitions.models import Petition, Signature

    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    states = sorted(p.state for p in db.session.query(Petition))
    assert states == ["open", "open", "open", "pending", "rejected"]
    counted = {p.id: p.signature_count for p in db.session.query(Petition)}
    for petition_id, count in counted.items():
        assert db.session.query(Signature).filter_by(petition_id=petition_id).count() == count
    assert db.session.query(Consultation).count() == 1
    app.test_cli_runner().invoke(args=["civic", "seed-demo"])  # again: nothing doubles
    assert db.session.query(Petition).count() == 5 and db.session.query(Consultation).count() == 1


def test_a_demo_resident_signs_a_demo_petition_with_the_form_as_prefilled(app, web):
    """Issue 12: the signing form pre-filled a demo person's address and then refused it (the demo
    domain was *.localhost). What the form pre-fills must pass its own checks."""
    import re

    from civic.accounts.services.people import normalize_email
    from civic.cli.demo import DEMO_PASSWORD, DEMO_PEOPLE
    from civic.petitions.models import Petition, PetitionState, Signature

    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    for _name, email, _roles, _bio in DEMO_PEOPLE:
        normalize_email(email)  # raises for an address the site would refuse
    assert web.sign_in("grace@demo.example.org", DEMO_PASSWORD).status_code == 302
    grace = db.session.query(User).filter_by(email_normalized="grace@demo.example.org").one()
    signed_by_grace = {s.petition_id for s in db.session.query(Signature).filter_by(user_id=grace.id)}
    petition = next(
        p
        for p in db.session.query(Petition).filter_by(state=PetitionState.OPEN.value).order_by(Petition.id)
        if p.id not in signed_by_grace
    )
    page = web.get(f"/petitions/{petition.id}").get_data(as_text=True)
    form = page[page.index(f'action="/petitions/{petition.id}/sign"') :]
    form = form[: form.index("</form>")]
    prefilled = dict(re.findall(r'<input[^>]*name="(name|email)"[^>]*value="([^"]*)"', form))
    assert prefilled["email"] == "grace@demo.example.org" and prefilled["name"]
    area = re.search(r'<option value="([^"]+)"', form).group(1)
    filled = {**prefilled, "area": area, "consent": "y"}
    response = web.post(f"/petitions/{petition.id}/sign", filled, form_url=f"/petitions/{petition.id}")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.query(Signature).filter_by(petition_id=petition.id, user_id=grace.id).count() == 1


def test_seed_demo_works_where_staff_need_two_factor_and_they_enrol_at_first_sign_in(app, web):
    """Issue 12: in production (staff two-factor required) seeding stopped at the first staff action,
    so a council could not fill a staging site with demo content."""
    from civic.cli.demo import DEMO_PASSWORD
    from civic.petitions.models import Petition

    app.config["CIVIC_REQUIRE_STAFF_2FA"] = True
    result = app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "two-factor" in result.output
    assert app.config["CIVIC_REQUIRE_STAFF_2FA"] is True
    assert db.session.query(Petition).count() > 0
    web.sign_in("moderator@demo.example.org", DEMO_PASSWORD)
    response = web.get("/admin/")  # sent to enrol first
    assert response.status_code == 302 and "/account/security/two-factor" in response.headers["Location"]


def test_the_demo_consultation_has_answers_and_statement_votes(app, outbox):
    """The demo shows every feature at a realistic volume: its open consultation has residents'
    responses (CIVIC_DEMO_RESIDENTS, 320 by default; fewer in tests) and votes on its statements."""
    from civic.consultations.models import Consultation, Response, StatementVote

    app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    consultation = db.session.query(Consultation).filter(Consultation.published_at.isnot(None)).first()
    assert consultation.response_count == app.config["CIVIC_DEMO_RESIDENTS"] == 12
    assert db.session.query(Response).count() == 12
    assert db.session.query(StatementVote).count() > 0
    # Invented residents are sent no receipts (they would flood `make run`'s output and the outbox).
    assert not [m for _id, m in outbox.messages() if "resident" in m["To"]]
