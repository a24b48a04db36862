"""Automatic pre-moderation of consultation statements: held ones wait for a moderator (even in a
consultation that is not pre-moderated), blocked ones are refused, and the author is told why."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.common.models import utcnow
from civic.consultations.models import Statement
from civic.consultations.services import lifecycle, statements
from civic.errors import InvalidInput
from civic.extensions import db
from civic.moderation.services.held import approve_held, held_items, reject_held

ON = pytest.mark.app_config(CIVIC_PREMODERATION=True)


@pytest.fixture
def consultation(app, frozen, official):
    frozen.set(datetime(2027, 3, 1, tzinfo=UTC))
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
    statements.set_statement_options(official, c, enabled=True, premoderated=False)
    frozen.set(datetime(2027, 3, 5, tzinfo=UTC))
    return c


def aged(user):
    user.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    return user


@ON
def test_a_held_statement_waits_for_a_moderator_in_a_consultation_that_is_not_premoderated(
    app, consultation, make_user, moderator
):
    fine = statements.add_statement(aged(make_user()), consultation, "More benches near the pond.")
    held = statements.add_statement(aged(make_user()), consultation, "The park keepers are bastards.")
    assert fine.status == "approved" and not fine.held_rule
    assert held.status == "pending" and held.held_rule == "hold_word"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "premoderation.hold"))
    assert entry.target_type == "statement" and entry.target_id == held.id and entry.actor_id is None
    items, total = held_items(moderator)
    assert total == 1 and (items[0].kind, items[0].id) == ("statement", held.id)
    approve_held(moderator, "statement", held.id)
    assert held.status == "approved"


@ON
def test_a_burst_of_statements_is_held_and_a_rejection_is_recorded(app, consultation, make_user, moderator):
    text = "Close the park at night to stop the noise from the parties"
    results = [statements.add_statement(aged(make_user()), consultation, text) for _ in range(3)]
    assert [s.status for s in results] == ["approved", "approved", "pending"]
    assert results[2].held_rule == "burst"
    reject_held(moderator, "statement", results[2].id, "Duplicate campaign")
    assert results[2].status == "rejected"


@ON
def test_a_blocked_statement_is_refused_and_nothing_is_stored(app, consultation, make_user, tmp_path):
    path = tmp_path / "block.txt"
    path.write_text("scumbag\n", encoding="utf-8")
    app.config["CIVIC_PREMODERATION_BLOCK_WORDS_FILE"] = str(path)
    with pytest.raises(InvalidInput) as refused:
        statements.add_statement(aged(make_user()), consultation, "The mayor is a scumbag")
    assert refused.value.field == "text"
    assert db.session.scalar(select(Statement.id)) is None


@ON
def test_officials_seeding_statements_are_not_premoderated(app, consultation, official):
    assert statements.add_statement(official, consultation, "Bastards welcome? https://x.example.com").status == (
        "approved"
    )


@ON
def test_the_author_is_told_their_statement_is_held_and_sees_it_waiting(app, consultation, web, login_as):
    aged(login_as())
    url = f"/consultations/{consultation.id}/statements"
    response = web.post(url, {"text": "What a bunch of bastards."}, form_url=url)
    assert response.status_code == 302
    page = web.client.get(url).get_data(as_text=True)
    assert "held for review because of a word or phrase that a moderator reads first" in page
    assert "Your statements not published" in page and "What a bunch of bastards." in page
    assert "bastards" not in app.test_client().get(url).get_data(as_text=True)
