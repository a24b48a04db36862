"""Statements: seeding, pre-moderation, votes (every vote kept, the last counts), and the Pol.is import."""

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from civic.common import clock
from civic.consultations.models import Consultation, Statement, StatementVote, StatementVoteEvent
from civic.consultations.services import lifecycle, statements
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db

UTC = UTC
POLIS = Path(__file__).resolve().parents[3] / "shared" / "data" / "polis"


@pytest.fixture
def open_consultation(app, make_user, frozen):
    frozen.set(datetime(2027, 3, 1, tzinfo=UTC))
    official = make_user("seeder@example.org", roles=("citizen", "official"))
    c = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Parks",
            summary="Green spaces",
            opens_local=datetime(2027, 3, 2, 9, 0),
            closes_local=datetime(2027, 4, 2, 9, 0),
        ),
    )
    lifecycle.publish_consultation(official, c)
    statements.set_statement_options(official, c, enabled=True, premoderated=True)
    frozen.set(datetime(2027, 3, 5, tzinfo=UTC))
    return c, official


def test_officials_seed_and_citizens_statements_wait_for_moderation(app, open_consultation, make_user):
    c, official = open_consultation
    seeded = statements.add_statement(official, c, "Parks should stay open until midnight in summer.")
    assert seeded.status == "approved" and seeded.seeded
    citizen = make_user()
    mine = statements.add_statement(citizen, c, "  More   shade   over the playground.  ")
    assert mine.status == "pending" and mine.text == "More shade over the playground."
    assert statements.next_statement(citizen, c) == seeded  # pending ones are not offered
    with pytest.raises(NotAllowed):
        statements.moderate_statement(citizen, mine, True)
    moderator = make_user(roles=("citizen", "moderator"))
    statements.moderate_statement(moderator, mine, True)
    assert mine.status == "approved"


def test_statement_length_and_emptiness(app, open_consultation, make_user):
    c, _official = open_consultation
    citizen = make_user()
    with pytest.raises(InvalidInput, match="280"):
        statements.add_statement(citizen, c, "x" * 281)
    with pytest.raises(InvalidInput):
        statements.add_statement(citizen, c, "   ")
    assert statements.add_statement(citizen, c, "x" * 280).id


def test_votes_keep_every_event_and_the_last_counts(app, open_consultation, make_user):
    c, official = open_consultation
    statement = statements.add_statement(official, c, "Dogs off the lead before 9:00.")
    voter = make_user()
    statements.vote_on_statement(voter, statement, 1)
    statements.vote_on_statement(voter, statement, -1)
    statements.vote_on_statement(make_user(), statement, 0)
    assert (statement.agree_count, statement.disagree_count, statement.pass_count) == (0, 1, 1)
    assert db.session.query(StatementVoteEvent).count() == 3
    assert db.session.query(StatementVote).count() == 2
    assert statements.next_statement(voter, c) is None
    with pytest.raises(InvalidInput):
        statements.vote_on_statement(voter, statement, 2)


def test_disabled_statements_and_pending_ones_take_no_votes(app, open_consultation, make_user):
    c, official = open_consultation
    citizen = make_user()
    pending = statements.add_statement(citizen, c, "Pending one")
    with pytest.raises(Conflict):
        statements.vote_on_statement(make_user(), pending, 1)
    statements.set_statement_options(official, c, enabled=False, premoderated=True)
    with pytest.raises(Conflict):
        statements.add_statement(citizen, c, "No more")


def test_statement_pages(web, login_as, open_consultation):
    c, official = open_consultation
    statement = statements.add_statement(official, c, "Benches every 200 metres.")
    login_as("citizen")
    url = f"/consultations/{c.id}/statements"
    page = web.get(url).get_data(as_text=True)
    assert "Benches every 200 metres." in page and "Agree" in page
    web.post(f"{url}/{statement.id}/vote", {"value": "1"}, form_url=url)
    db.session.refresh(statement)
    assert statement.agree_count == 1
    assert "You have voted on every statement" in web.get(url).get_data(as_text=True)
    too_long = web.post(url, {"text": "y" * 300}, form_url=url)
    assert too_long.status_code == 422 and "y" * 300 in too_long.get_data(as_text=True)


def test_the_vote_box_shows_while_statements_take_votes(app, web, login_as, open_consultation, monkeypatch):
    c, official = open_consultation
    statements.add_statement(official, c, "Benches every 200 metres.")
    url = f"/consultations/{c.id}/statements"
    assert "to vote and write statements" in app.test_client().get(url).get_data(as_text=True)
    login_as("citizen")
    assert 'id="vote-title"' in web.get(url).get_data(as_text=True)
    statements.set_statement_options(official, c, enabled=False, premoderated=True)
    assert 'id="vote-title"' not in web.get(url).get_data(as_text=True)
    statements.set_statement_options(official, c, enabled=True, premoderated=True)
    monkeypatch.setattr(clock, "now", lambda: c.closes_at)
    page = web.get(url).get_data(as_text=True)
    assert 'id="vote-title"' not in page and "Benches every 200 metres." in page


def require_polis(name):
    folder = POLIS / name
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"real data missing: {folder}")
        pytest.skip(f"real data not here: {folder}")
    return folder


def test_import_polis_brings_statements_and_every_vote(app, make_user):
    folder = require_polis("15-per-hour-seattle")
    admin = make_user(roles=("citizen", "admin"))
    consultation, statement_count, votes = statements.import_polis(admin, folder)
    with (folder / "comments.csv").open(newline="") as handle:
        comments = [row for row in csv.DictReader(handle) if row["comment-body"].strip()]
    with (folder / "votes.csv").open(newline="") as handle:
        vote_rows = list(csv.DictReader(handle))
    assert statement_count == len(comments) and votes == len(vote_rows)
    assert consultation.title == "$15/hour" and consultation.phase.value == "closed"
    # the final vote matrix matches participants-votes.csv exactly
    with (folder / "participants-votes.csv").open(newline="") as handle:
        matrix = list(csv.DictReader(handle))
    expected = {
        (int(row["participant"]), int(col)): int(row[col])
        for row in matrix
        for col in row
        if col.isdigit() and row[col] != ""
    }
    ids = {s.id: s.external_id for s in db.session.query(Statement).filter_by(consultation_id=consultation.id)}
    found = {
        (int(v.participant.split(":")[1]), ids[v.statement_id]): v.value
        for v in db.session.query(StatementVote).filter(StatementVote.statement_id.in_(ids))
    }
    assert found == expected
    rejected = sum(1 for row in comments if row["moderated"] == "-1")
    assert db.session.query(Statement).filter_by(consultation_id=consultation.id, status="rejected").count() == rejected


def test_import_polis_from_the_vote_matrix_when_votes_csv_is_missing(app, make_user):
    folder = require_polis("american-assembly.bowling-green")
    admin = make_user(roles=("citizen", "admin"))
    _consultation, statement_count, votes = statements.import_polis(admin, folder)
    assert statement_count > 800 and votes > 10_000


def test_import_polis_command(app, make_user, tmp_path):
    folder = require_polis("brexit-consensus")
    make_user(roles=("citizen", "admin"))
    result = app.test_cli_runner().invoke(args=["civic", "import-polis", str(folder)])
    assert result.exit_code == 0 and "statements" in result.output
    assert db.session.query(Consultation).count() == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = app.test_cli_runner().invoke(args=["civic", "import-polis", str(empty)])
    assert refused.exit_code != 0 and "comments.csv" in refused.output
