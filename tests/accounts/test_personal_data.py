""" "Download my data": the export covers every table that refers to a person (enumerated from
the models, so that a new table cannot be forgotten), holds no secrets and nothing other people
wrote, and is behind a password, CSRF and a rate limit."""

import io
import json
import zipfile
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import String, select

from civic.accounts.services import personal_data, two_factor
from civic.audit.models import AuditEntry
from civic.budgets.services import ballots
from civic.consultations.services import lifecycle as consultations
from civic.consultations.services import questions, responses, statements
from civic.discussions.services.comments import edit_comment, post_comment
from civic.discussions.services.votes import vote_on_comment
from civic.extensions import db
from civic.proposals.services import lifecycle as proposals
from civic.proposals.services import supporting
from tests.support import proposals as proposal_support
from tests.support.budgets import budget_with_projects
from tests.support.consultations import OPENS
from tests.support.petitions import START, opened_petition
from tests.support.users import DEFAULT_PASSWORD

EMAIL_WORDS = ("email", "mailbox")


@pytest.fixture
def frozen_at():
    return START


def _user_columns():
    """Every column of every model that points at a person: a foreign key to user.id, or a
    column named for a mail address."""
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "user" and fk.column.name == "id" for fk in column.foreign_keys):
                found.add(f"{table.name}.{column.name}")
            elif (
                table.name != "user" and isinstance(column.type, String) and any(w in column.name for w in EMAIL_WORDS)
            ):
                found.add(f"{table.name}.{column.name}")
    return found


def test_every_column_that_refers_to_a_person_is_exported_or_explained(app):
    covered = set().union(*(part.covered() for part in personal_data.PARTS))
    forgotten = _user_columns() - covered - set(personal_data.NOT_EXPORTED)
    assert not forgotten, (
        f"add these to PARTS (or NOT_EXPORTED with a reason) in accounts/services/personal_data.py: {sorted(forgotten)}"
    )
    # the enumeration itself finds what we know is there
    assert {
        "comment.author_id",
        "petition_signature.user_id",
        "petition_signature.email",
        "budget_ballot.voter_id",
    } <= _user_columns()


def test_every_part_names_real_tables_and_columns(app):
    tables = db.metadata.tables
    for part in personal_data.PARTS:
        table = tables[part.table]
        for column in (*part.by, part.mailbox, part.participant, *part.columns, *part.covers):
            if column:
                assert column in table.c, f"{part.table}.{column}"
        if part.parent:
            assert part.parent[1] in table.c
            assert part.parent[0] in {p.table for p in personal_data.PARTS if not p.columns}
    for secret in personal_data.SECRET_COLUMNS:
        name, column = secret.split(".")
        assert column in tables[name].c, secret


def _all_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _all_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _all_keys(inner)


@pytest.fixture
def petition(app, frozen, citizen, moderator, outbox):
    app.config.update(CIVIC_PETITION_SPONSORS=2, CIVIC_LIMIT_PETITION_CREATE="100 per hour")
    return opened_petition(citizen, moderator, outbox)


def test_the_export_holds_the_persons_data_and_no_secrets_nor_other_peoples_texts(
    app, web, make_user, open_discussion, petition, citizen
):
    person = make_user("Signer101@example.org", name="Sam Signer")
    other = make_user("other@example.org", name="Olivia Other")
    web.sign_in(person.email)
    secret = two_factor.new_totp_secret()
    two_factor.enable_two_factor(person, secret, pyotp.TOTP(secret).now())
    mine = post_comment(person, open_discussion, body="My first words")
    edit_comment(person, mine, body="My better words")
    reply = post_comment(other, open_discussion, body="Olivia's private thoughts", parent_id=mine.id)
    vote_on_comment(person, reply, 1)
    vote_on_comment(other, mine, 1)

    data = personal_data.collect_personal_data(person)

    assert [row["email"] for row in data["profile"]] == ["Signer101@example.org"]
    assert len(data["sessions"]) == 1
    assert len(data["recovery_codes"]) == 10
    assert [row["body_markdown"] for row in data["comments"]] == ["My better words"]
    assert [row["body_markdown"] for row in data["comment_edit_history"]] == ["My first words"]
    assert [(row["comment_id"], row["value"]) for row in data["comment_votes"]] == [(reply.id, 1)]
    # signed without an account, with the same mailbox: found by the address
    assert [(row["petition_id"], row["name"]) for row in data["petition_signatures"]] == [(petition.id, "Signer 101")]
    assert data["petitions"] == []

    text = json.dumps(data)
    assert "Olivia" not in text and "other@example.org" not in text
    assert "signer102" not in text
    keys = set(_all_keys(data))
    for secret_column in personal_data.SECRET_COLUMNS:
        assert secret_column.split(".")[1] not in keys, secret_column
    assert person.password_hash not in text and secret not in text


def test_the_creator_gets_the_petition_without_its_sponsor_link_and_no_one_elses_signature(app, petition, citizen):
    data = personal_data.collect_personal_data(citizen)
    assert [row["id"] for row in data["petitions"]] == [petition.id]
    assert "sponsor_token" not in data["petitions"][0]
    assert petition.sponsor_token not in json.dumps(data)
    assert [row["email"] for row in data["petition_signatures"]] == [citizen.email]


def test_an_unverified_account_gets_nothing_found_by_mailbox(app, petition, make_user):
    stranger = make_user("signer101@example.org", verified=False)
    assert personal_data.collect_personal_data(stranger)["petition_signatures"] == []


def test_proposals_supports_ballots_and_their_choices_are_exported(app, frozen, make_user, official):
    app.config.update(CIVIC_LIMIT_PROPOSAL_CREATE="100 per hour")
    author, person = make_user(name="Ada Author"), make_user(name="Sam Supporter")
    proposal = proposals.create_proposal(author, proposal_support.fields())
    supporting.support_proposal(person, proposal, follow=True)
    budget, (p1, _p2, p3) = budget_with_projects(official, frozen, [60_000, 30_000, 10_000])
    ballots.cast_ballot(person, budget, None, {str(p1.id): "1", str(p3.id): "1"})

    data = personal_data.collect_personal_data(person)
    assert [row["proposal_id"] for row in data["proposal_supports"]] == [proposal.id]
    assert [row["proposal_id"] for row in data["proposal_follows"]] == [proposal.id]
    assert data["proposals"] == []
    assert [row["budget_id"] for row in data["budget_ballots"]] == [budget.id]
    assert sorted(row["project_id"] for row in data["budget_ballot_choices"]) == [p1.id, p3.id]
    assert [row["title"] for row in personal_data.collect_personal_data(author)["proposals"]] == [proposal.title]
    created = personal_data.collect_personal_data(official)
    assert [row["id"] for row in created["budgets_created"]] == [budget.id]
    assert {row["action"] for row in created["audit_entries"]} >= {"budget.create"}


def test_consultation_responses_answers_statements_and_statement_votes_are_exported(app, frozen, official, make_user):
    frozen.set(OPENS - timedelta(days=10))
    consultation = consultations.create_consultation(
        official,
        consultations.ConsultationFields(
            title="Getting around",
            summary="How do you travel?",
            opens_local=OPENS.replace(tzinfo=None),
            closes_local=datetime(2027, 4, 1, 9, 0),
        ),
    )
    question = questions.save_question(
        official, consultation, questions.QuestionData(kind="long_text", prompt="What would help?", required=True)
    )
    consultations.publish_consultation(official, consultation)
    statements.set_statement_options(official, consultation, enabled=True, premoderated=False)
    frozen.set(OPENS + timedelta(days=1))
    person, other = make_user(name="Rosa Respondent"), make_user(name="Otto Other")
    responses.submit_response(person, consultation, {question.id: ("Night buses, please.", "")})
    responses.submit_response(other, consultation, {question.id: ("Otto's own answer.", "")})
    own = statements.add_statement(person, consultation, "Buses should run all night.")
    theirs = statements.add_statement(other, consultation, "Bikes should be free.")
    statements.vote_on_statement(person, theirs, 1)
    statements.vote_on_statement(other, own, -1)

    data = personal_data.collect_personal_data(person)
    assert len(data["consultation_responses"]) == 1
    assert "Night buses, please." in json.dumps(data["consultation_answers"])
    assert [row["text"] for row in data["statements"]] == ["Buses should run all night."]
    assert [(row["statement_id"], row["value"]) for row in data["statement_votes"]] == [(theirs.id, 1)]
    assert len(data["statement_vote_history"]) == 1
    assert "Otto" not in json.dumps(data)


def test_download_needs_the_password_and_gives_a_zip_of_json_files(app, web, citizen):
    web.sign_in(citizen.email)
    page = web.get("/account/data")
    assert page.status_code == 200
    assert "Download my data" in page.get_data(as_text=True)

    wrong = web.post("/account/data", {"password": "not my password"}, form_url="/account/data")
    assert wrong.status_code == 422
    assert "Your password is not right." in wrong.get_data(as_text=True)

    response = web.post("/account/data", {"password": DEFAULT_PASSWORD}, form_url="/account/data")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = set(archive.namelist())
    assert {"about.json", "profile.json", "comments.json", "petition_signatures.json"} <= names
    assert {f"{part.file}.json" for part in personal_data.PARTS} <= names
    profile = json.loads(archive.read("profile.json"))
    assert profile[0]["email"] == citizen.email and "password_hash" not in profile[0]
    about = json.loads(archive.read("about.json"))
    assert "user.password_hash" in about["not_included"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.data_exported"))
    assert entry.actor_id == citizen.id


def test_download_is_a_post_with_csrf_and_needs_signing_in(app, web, client, citizen):
    assert client.get("/account/data").status_code in (302, 401)
    web.sign_in(citizen.email)
    refused = client.post("/account/data", data={"password": DEFAULT_PASSWORD}, headers={"Origin": "http://localhost"})
    assert refused.status_code == 400


def test_download_is_rate_limited(app, web, citizen):
    app.config.update(RATELIMIT_ENABLED=True, CIVIC_LIMIT_DATA_EXPORT="2 per hour")
    web.sign_in(citizen.email)
    statuses = [
        web.post("/account/data", {"password": DEFAULT_PASSWORD}, form_url="/account/data").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
