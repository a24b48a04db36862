""" "Delete my account": personal data erased, contributions kept under "Deleted user", every
count (signatures, supports, ballots) exactly the same, signed out everywhere, audited."""

import pyotp
import pytest
from sqlalchemy import func, select

from civic.accounts.models import RecoveryCode, User, UserSession
from civic.accounts.services import account_deletion, two_factor
from civic.audit.models import AuditEntry
from civic.budgets.services import ballots
from civic.discussions.models import Comment
from civic.discussions.services.comments import post_comment
from civic.extensions import db
from civic.petitions.models import Petition, Signature
from civic.petitions.services import lifecycle, moderation, signing
from civic.proposals.models import Proposal
from civic.proposals.services import lifecycle as proposals
from civic.proposals.services import supporting
from tests.support import proposals as proposal_support
from tests.support.budgets import budget_with_projects
from tests.support.petitions import START, fields, signer, token_in
from tests.support.users import DEFAULT_PASSWORD
from tests.support.web import Web


@pytest.fixture
def frozen_at():
    return START


def _user_columns():
    return {
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "user" for fk in column.foreign_keys)
    }


def test_every_column_that_refers_to_a_person_is_deleted_erased_or_kept(app):
    listed = account_deletion.DELETED_WITH_THE_ACCOUNT | set(account_deletion.ERASED) | account_deletion.KEPT
    forgotten = _user_columns() - listed
    assert not forgotten, (
        f"say what deletion does with these in accounts/services/account_deletion.py: {sorted(forgotten)}"
    )
    tables = db.metadata.tables
    for name in listed:
        table, column = name.split(".")
        assert column in tables[table].c, name


def _counts():
    return {
        "signatures": db.session.scalar(select(func.count()).select_from(Signature)),
        "signature_count": db.session.scalar(select(func.sum(Petition.signature_count))),
        "supports": db.session.scalar(select(func.count()).select_from(db.metadata.tables["proposal_support"])),
        "support_count": db.session.scalar(select(func.sum(Proposal.support_count))),
        "ballots": db.session.scalar(select(func.count()).select_from(db.metadata.tables["budget_ballot"])),
        "choices": db.session.scalar(select(func.count()).select_from(db.metadata.tables["budget_ballot_choice"])),
        "comments": db.session.scalar(select(func.count()).select_from(Comment)),
    }


def test_deleting_erases_the_person_and_keeps_every_count(
    app, frozen, make_user, official, moderator, outbox, open_discussion
):
    app.config.update(CIVIC_PETITION_SPONSORS=2, CIVIC_LIMIT_PETITION_CREATE="100 per hour")
    app.config.update(CIVIC_LIMIT_PROPOSAL_CREATE="100 per hour")
    person = make_user("Dana.Doe@example.org", name="Dana Doe")
    creator = make_user(name="Pat Petitioner")
    petition = lifecycle.create_petition(person, fields())
    for n in (101, 102):
        signing.sign_petition(petition, signer(n), sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, signer(n).email))
    moderation.approve_petition(moderator, petition)
    other_petition = lifecycle.create_petition(creator, fields(title="Light the park paths at night"))
    # signed from the person's mailbox, before they had thought of signing in
    signing.sign_petition(
        other_petition,
        signer(7, email="dana.doe@example.org", name="Dana D."),
        sponsor_token=other_petition.sponsor_token,
        client="198.51.100.23",
    )
    signing.confirm_signature(other_petition, token_in(outbox, "dana.doe@example.org"))
    proposal = proposals.create_proposal(creator, proposal_support.fields())
    supporting.support_proposal(person, proposal, follow=True)
    mine = post_comment(person, open_discussion, body="Keep the trees")
    budget, (p1, _p2) = budget_with_projects(official, frozen, [60_000, 30_000])
    ballots.cast_ballot(person, budget, None, {str(p1.id): "1"})

    web = Web(app.test_client())
    assert web.sign_in(person.email).status_code == 302
    elsewhere = Web(app.test_client())
    assert elsewhere.sign_in(person.email).status_code == 302
    before = _counts()

    response = web.post("/account/delete", {"password": DEFAULT_PASSWORD}, form_url="/account/delete")
    assert response.status_code == 302

    assert _counts() == before
    db.session.expire_all()
    gone = db.session.get(User, person.id)
    assert gone.display_name == "Deleted user"
    assert gone.email.endswith("@deleted.invalid") and "dana" not in gone.email.lower()
    assert gone.handle == f"deleted_{person.id}" and gone.bio == ""
    assert not gone.is_active and gone.role_names == []
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id)) == 0
    follows = db.metadata.tables["proposal_follow"]
    assert db.session.scalar(select(func.count()).select_from(follows).where(follows.c.user_id == person.id)) == 0
    assert db.session.get(Comment, mine.id).author_id == person.id
    assert db.session.get(Petition, petition.id).creator_name == "Deleted user"
    signatures = db.session.scalars(select(Signature).where(Signature.email.like("%deleted.invalid"))).all()
    assert len(signatures) == 2  # their own on their petition, and the one from their mailbox
    assert all(s.name == "Deleted user" for s in signatures)
    assert "198.51.100.0/24" in {s.ip_address for s in signatures}  # the range is kept, not the address
    assert "198.51.100.23" not in {s.ip_address for s in signatures}
    assert all(s.validated_at is not None for s in signatures)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted"))
    assert entry.actor_id == person.id and "Dana" not in entry.target_label

    # signed out everywhere, and the old password opens nothing
    assert web.get("/account").status_code == 302
    assert elsewhere.get("/account").status_code == 302
    assert Web(app.test_client()).sign_in("dana.doe@example.org").status_code == 422


def test_a_wrong_password_deletes_nothing(app, web, citizen):
    web.sign_in(citizen.email)
    response = web.post("/account/delete", {"password": "not it"}, form_url="/account/delete")
    assert response.status_code == 422
    assert "Your password is not right." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, citizen.id).display_name == "Carmen Citizen"


def test_two_factor_accounts_need_a_code(app, web, make_user):
    secret = pyotp.random_base32()
    person = make_user("tf@example.org", name="Tess Twofactor")
    two_factor.enable_two_factor(person, secret, pyotp.TOTP(secret).now())
    person.totp_last_step = None  # let the test sign in with a fresh code
    db.session.commit()
    web.sign_in(person.email)
    web.post("/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert "code" in web.get("/account/delete").get_data(as_text=True)
    missing = web.post("/account/delete", {"password": DEFAULT_PASSWORD}, form_url="/account/delete")
    assert missing.status_code == 422
    recovery = two_factor.regenerate_recovery_codes(person, DEFAULT_PASSWORD)[0]
    done = web.post("/account/delete", {"password": DEFAULT_PASSWORD, "code": recovery}, form_url="/account/delete")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).totp_secret is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_the_last_administrator_cannot_delete_their_account(app, web, admin):
    web.sign_in(admin.email)
    response = web.post("/account/delete", {"password": DEFAULT_PASSWORD}, form_url="/account/delete")
    assert response.status_code == 409
    assert "last administrator" in response.get_data(as_text=True)
