"""Issue 14, transparency: the public moderation log lists every moderation decision without
personal data (no names, no hidden text, no moderator's free text), with monthly totals and a CSV,
linked from every page's footer."""

from datetime import UTC, datetime

import pytest

from civic.audit import public_log
from civic.audit.labels import MODERATION_ACTIONS
from civic.audit.services import record_staff_action
from civic.discussions.services.comments import post_comment
from civic.extensions import db
from civic.petitions.services import lifecycle, moderation
from tests.support.downloads import csv_rows
from tests.support.moderation import hide_comment
from tests.support.petitions import fields


@pytest.fixture
def decisions(app, make_user, open_discussion):
    """A hidden comment and a rejected petition, each with a moderator's free text naming
    someone, and a role granted (not moderation)."""
    app.config["CIVIC_PETITION_SPONSORS"] = 0
    moderator = make_user(roles=("citizen", "moderator"), name="Mona Moderatrix")
    author = make_user(name="Zebedee Writer")
    comment = post_comment(author, open_discussion, body="Secret rude words about Quentin")
    hide_comment(moderator, comment, "Insulted Quentin Neighbour by name")
    petition = lifecycle.create_petition(author, fields(title="Ban the Tuesday market"))
    moderation.reject_petition(moderator, petition, "offensive", "Mentions Quentin Neighbour's address")
    admin = make_user(roles=("citizen", "admin"), name="Ada Admin")
    record_staff_action(admin, "role.grant", "user", author.id, author.display_name, "Trusted helper", {"role": "x"})
    db.session.commit()
    return open_discussion


PRIVATE = (
    "Mona Moderatrix",
    "Zebedee Writer",
    "Quentin",
    "Secret rude words",
    "Ban the Tuesday market",
    "Ada Admin",
    "Trusted helper",
)


def test_every_moderation_action_says_what_it_publishes():
    assert set(public_log.PUBLISHED_DETAILS) == MODERATION_ACTIONS
    assert set(public_log.PUBLIC_ACTION_LABELS) == MODERATION_ACTIONS


def test_anyone_sees_the_decisions_with_their_kind_action_and_standard_reason(web, decisions):
    response = web.get("/moderation-log")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html[html.index("<table") : html.index("</table>")]
    assert "Comment hidden" in table and "Petition rejected" in table
    assert "It was offensive, nonsense, a joke, or an advert" in table
    assert table.index("Petition rejected") < table.index("Comment hidden")  # newest first
    assert "<td>Comment</td>" in table and "<td>Petition</td>" in table
    assert "Download the whole log (CSV)" in html


def test_names_and_free_text_never_appear_on_the_page_or_in_the_csv(web, decisions):
    html = web.get("/moderation-log").get_data(as_text=True)
    response = web.get("/moderation-log.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    for private in PRIVATE:
        assert private not in html, private
        assert private not in text, private
    assert str(decisions.title) not in html  # the discussion a comment was hidden in
    rows = csv_rows(text)
    assert rows[0] == ["date", "kind", "action", "reason", "appealed", "appeal_outcome"]
    assert [row[1:3] for row in rows[1:]] == [["Petition", "Petition rejected"], ["Comment", "Comment hidden"]]
    assert rows[1][3] == "It was offensive, nonsense, a joke, or an advert" and rows[2][3] == ""


def test_other_staff_actions_never_appear(web, decisions):
    html = web.get("/moderation-log").get_data(as_text=True)
    assert "role" not in html[html.index("<table") : html.index("</table>")].lower()
    assert len(csv_rows(web.get("/moderation-log.csv"))) == 3


def test_an_unknown_or_typed_reason_code_is_not_published(app):
    assert public_log.published_reason("petition.reject", {"reason": "offensive"}) == "offensive"
    assert public_log.published_reason("petition.reject", {"reason": "Quentin's address"}) is None
    assert public_log.published_reason("comment.hide", {"reason": "offensive"}) is None


def test_monthly_totals_by_action_and_reason(app, frozen, monkeypatch):
    frozen.set(datetime(2026, 11, 20, 12, tzinfo=UTC))

    def at(moment, action, details=None):
        monkeypatch.setattr("civic.audit.services.utcnow", lambda: moment)
        record_staff_action(None, action, action.split(".")[0], 1, "label", "typed text", details)
        db.session.commit()

    at(datetime(2026, 11, 2, tzinfo=UTC), "comment.hide")
    at(datetime(2026, 11, 3, tzinfo=UTC), "comment.hide")
    at(datetime(2026, 11, 4, tzinfo=UTC), "petition.reject", {"reason": "duplicate"})
    at(datetime(2026, 10, 31, 23, tzinfo=UTC), "petition.reject", {"reason": "offensive"})
    at(datetime(2026, 10, 5, tzinfo=UTC), "role.grant")  # not moderation
    at(datetime(2025, 11, 30, tzinfo=UTC), "comment.hide")  # more than twelve months ago
    months = public_log.monthly_totals()
    assert [(m.month.isoformat(), m.total) for m in months] == [("2026-11-01", 3), ("2026-10-01", 1)]
    assert months[0].by_action == [("Comment hidden", 2), ("Petition rejected", 1)]
    assert months[0].by_reason == [("There's already a petition about this", 1)]
    assert months[1].by_reason == [("It was offensive, nonsense, a joke, or an advert", 1)]


def test_the_totals_table_is_labelled_by_its_month(web, app, frozen, monkeypatch):
    frozen.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    monkeypatch.setattr("civic.audit.services.utcnow", lambda: datetime(2026, 11, 2, tzinfo=UTC))
    record_staff_action(None, "discussion.lock", "discussion", 1, "x", "typed")
    db.session.commit()
    html = web.get("/moderation-log").get_data(as_text=True)
    assert "<caption>November 2026: 1 decision</caption>" in html
    assert '<th scope="row">Discussion locked</th><td>1</td>' in html


def test_the_log_is_paginated(web, app):
    for n in range(public_log.PER_PAGE + 1):
        record_staff_action(None, "petition.approve", "petition", n, f"Petition {n}")
    db.session.commit()
    first = web.get("/moderation-log").get_data(as_text=True)
    second = web.get("/moderation-log?page=2").get_data(as_text=True)
    assert first.count("<td>Petition approved</td>") == public_log.PER_PAGE
    assert second.count("<td>Petition approved</td>") == 1
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert web.get("/moderation-log?page=99999999999").status_code == 200


def test_an_empty_log_says_so(web, app):
    html = web.get("/moderation-log").get_data(as_text=True)
    assert "No moderation decision yet." in html and "No moderation decision in the last twelve months." in html


def test_every_page_links_to_it_in_the_footer(web, app):
    for path in ("/", "/about", "/petitions/"):
        html = web.get(path).get_data(as_text=True)
        footer = html[html.index("<footer") :]
        assert 'href="/moderation-log"' in footer, path


def test_in_spanish(web, decisions):
    web.post("/language", {"language": "es", "next": "/"})
    html = web.get("/moderation-log").get_data(as_text=True)
    assert "Comentario ocultado" in html and "Petición rechazada" in html and "<td>Comentario</td>" in html
    assert 'href="/moderation-log"' in html[html.index("<footer") :]
    rows = csv_rows(web.get("/moderation-log.csv"))
    assert rows[1][2] == "Petición rechazada"


def test_anonymous_visitors_may_share_the_page_but_not_the_csv(client, app):
    assert client.get("/moderation-log").headers["Cache-Control"].startswith("public")
    assert client.get("/moderation-log.csv").headers["Cache-Control"] == "no-store"


@pytest.mark.app_config(CIVIC_PAGE_CACHE=True)
def test_a_new_decision_renders_the_cached_page_afresh(stack, client, app):
    if stack != "services":
        pytest.skip("the page cache lives in Redis")
    assert client.get("/moderation-log").headers["X-Civic-Page-Cache"] == "miss"
    assert client.get("/moderation-log").headers["X-Civic-Page-Cache"] == "hit"
    record_staff_action(None, "statement.reject", "statement", 1, "x", "typed")
    db.session.commit()
    after = client.get("/moderation-log")
    assert after.headers["X-Civic-Page-Cache"] == "miss" and "Statement rejected" in after.get_data(as_text=True)
