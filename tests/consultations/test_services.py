"""Consultation lifecycle with frozen time, time zones, corrections, closing early and the outcome."""

from datetime import UTC, datetime, timedelta

import pytest

from civic.audit.models import AuditEntry
from civic.consultations.models import Consultation, Correction, Phase
from civic.consultations.services import lifecycle
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db

UTC = UTC


def fields(**changes):
    base = dict(
        title="Summer trial on Calle Mayor",
        summary="Should the street close to cars on Saturdays?",
        body_markdown="Read the **plan**.",
        topic="Transport",
        area="Old Town",
        contact="transport@council",
        opens_local=datetime(2027, 3, 10, 9, 0),
        closes_local=datetime(2027, 4, 10, 23, 59),
    )
    base.update(changes)
    return lifecycle.ConsultationFields(**base)


def test_get_consultation_finds_it_then_checks_the_view_and_the_action(app, frozen, official, make_user):
    c = lifecycle.create_consultation(official, fields())
    assert lifecycle.get_consultation(c.id, official, "consultation.manage") is c
    with pytest.raises(NotFound):
        lifecycle.get_consultation(c.id + 1000, official)
    with pytest.raises(NotAllowed):  # a draft is for officials
        lifecycle.get_consultation(c.id, make_user())
    lifecycle.publish_consultation(official, c)
    assert lifecycle.get_consultation(c.id, make_user()) is c
    with pytest.raises(NotAllowed):
        lifecycle.get_consultation(c.id, make_user(), "consultation.manage")


def test_the_phase_at_a_given_moment(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    lifecycle.publish_consultation(official, c)
    assert c.phase_at(c.opens_at - timedelta(seconds=1)) is Phase.SCHEDULED
    assert c.phase_at(c.opens_at) is Phase.OPEN
    assert c.phase_at(c.closes_at) is Phase.CLOSED and c.phase is Phase.SCHEDULED


def test_lifecycle_follows_the_clock_without_anyone_pressing_a_button(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    assert c.phase is Phase.DRAFT
    lifecycle.publish_consultation(official, c)
    assert c.phase is Phase.SCHEDULED and c.discussion_id
    frozen.set(c.opens_at - timedelta(seconds=1))
    assert c.phase is Phase.SCHEDULED
    frozen.set(c.opens_at)
    assert c.phase is Phase.OPEN
    frozen.set(c.closes_at - timedelta(seconds=1))
    assert c.phase is Phase.OPEN and c.days_left == 1
    frozen.set(c.closes_at)
    assert c.phase is Phase.CLOSED and c.days_left is None
    lifecycle.publish_outcome(official, c, "We will run the trial in July, with deliveries until 10:00.")
    assert c.phase is Phase.OUTCOME_PUBLISHED


def test_dates_are_entered_in_the_site_time_zone(app, frozen, official):
    app.config["CIVIC_TIMEZONE"] = "Europe/Madrid"
    c = lifecycle.create_consultation(
        official, fields(opens_local=datetime(2027, 3, 10, 9, 0), closes_local=datetime(2027, 7, 10, 9, 0))
    )
    assert c.opens_at == datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert c.closes_at == datetime(2027, 7, 10, 7, 0, tzinfo=UTC)  # CEST, UTC+2


def test_a_time_skipped_by_the_clock_change_is_refused(app, frozen, official):
    app.config["CIVIC_TIMEZONE"] = "Europe/Madrid"
    with pytest.raises(InvalidInput, match="does not exist") as info:
        lifecycle.create_consultation(official, fields(opens_local=datetime(2027, 3, 28, 2, 30)))
    assert info.value.field == "opens_local"
    assert db.session.query(Consultation).count() == 0


def test_an_ambiguous_time_means_its_first_occurrence(app, frozen, official):
    app.config["CIVIC_TIMEZONE"] = "Europe/Madrid"
    c = lifecycle.create_consultation(official, fields(closes_local=datetime(2027, 10, 31, 2, 30)))
    assert c.closes_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still summer time


def test_closing_must_come_after_opening(app, frozen, official):
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_consultation(official, fields(closes_local=datetime(2027, 3, 10, 9, 0)))
    assert info.value.field == "closes_local"


def test_fields_are_checked_and_nothing_is_saved(app, frozen, official):
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_consultation(official, fields(title="  ", summary="x" * 501))
    assert set(info.value.errors) == {"title", "summary"}
    assert db.session.query(Consultation).count() == 0


def test_a_draft_has_its_dates_from_the_start(app, frozen, official):
    """Issue 12: a draft saved with no opening date, and only Publish said so."""
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_consultation(official, fields(opens_local=None, closes_local=None))
    assert set(info.value.errors) == {"opens_local", "closes_local"}
    assert "Choose when the consultation opens." in info.value.errors["opens_local"]
    assert db.session.query(Consultation).count() == 0


def test_publishing_needs_a_summary_and_future_dates(app, frozen, official):
    c = lifecycle.create_consultation(official, fields(summary=""))
    with pytest.raises(InvalidInput) as info:
        lifecycle.publish_consultation(official, c)
    assert {"summary"} <= set(info.value.errors)
    assert c.published_at is None
    past = lifecycle.create_consultation(
        official, fields(opens_local=datetime(2027, 1, 1, 9, 0), closes_local=datetime(2027, 2, 1, 9, 0))
    )
    with pytest.raises(InvalidInput, match="passed"):
        lifecycle.publish_consultation(official, past)


def test_only_officials_and_admins_manage_consultations(app, frozen, make_user):
    for role in ("citizen", "moderator"):
        person = make_user(roles=("citizen", role) if role != "citizen" else ("citizen",))
        with pytest.raises(NotAllowed):
            lifecycle.create_consultation(person, fields())
    admin = make_user(roles=("citizen", "admin"))
    assert lifecycle.create_consultation(admin, fields()).id


def test_drafts_change_freely_but_published_changes_are_public_corrections(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    lifecycle.update_consultation(official, c, fields(title="Saturday trial on Calle Mayor"))
    assert c.title == "Saturday trial on Calle Mayor" and c.corrections == []
    lifecycle.publish_consultation(official, c)
    with pytest.raises(InvalidInput) as info:
        lifecycle.update_consultation(official, c, fields(title="Saturday trial on Calle Mayor", summary="Fixed typo"))
    assert info.value.field == "correction_note"
    lifecycle.update_consultation(
        official,
        c,
        fields(title="Saturday trial on Calle Mayor", summary="Fixed typo"),
        correction_note="Corrected a typo in the summary.",
    )
    [correction] = db.session.query(Correction).all()
    assert correction.note == "Corrected a typo in the summary." and correction.fields == "summary"


def test_an_open_consultation_cannot_move_its_opening(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    lifecycle.publish_consultation(official, c)
    frozen.set(c.opens_at + timedelta(days=1))
    with pytest.raises(InvalidInput):
        lifecycle.update_consultation(
            official, c, fields(opens_local=datetime(2027, 3, 20, 9, 0)), correction_note="Moved"
        )
    lifecycle.update_consultation(
        official,
        c,
        fields(closes_local=datetime(2027, 4, 20, 23, 59)),
        correction_note="Extended by ten days after requests.",
    )
    assert c.phase is Phase.OPEN


def test_close_early_needs_a_reason_and_an_open_consultation(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    with pytest.raises(Conflict):
        lifecycle.close_early(official, c, "not open yet")
    lifecycle.publish_consultation(official, c)
    frozen.set(c.opens_at + timedelta(days=2))
    with pytest.raises(InvalidInput):
        lifecycle.close_early(official, c, "  ")
    lifecycle.close_early(official, c, "The council decided to withdraw the plan.")
    assert c.phase is Phase.CLOSED and c.closes_at == frozen.moment
    assert db.session.query(AuditEntry).filter_by(action="consultation.close_early").count() == 1


def test_only_drafts_can_be_deleted(app, frozen, official):
    draft = lifecycle.create_consultation(official, fields())
    published = lifecycle.create_consultation(official, fields())
    lifecycle.publish_consultation(official, published)
    with pytest.raises(Conflict):
        lifecycle.delete_consultation(official, published)
    lifecycle.delete_consultation(official, draft)
    assert db.session.query(Consultation).count() == 1


def test_outcome_only_after_closing(app, frozen, official):
    c = lifecycle.create_consultation(official, fields())
    lifecycle.publish_consultation(official, c)
    frozen.set(c.opens_at + timedelta(days=1))
    with pytest.raises(Conflict):
        lifecycle.publish_outcome(official, c, "Too early")
    frozen.set(c.closes_at + timedelta(days=1))
    with pytest.raises(InvalidInput):
        lifecycle.publish_outcome(official, c, "   ")
    lifecycle.publish_outcome(official, c, "We decided **yes**.")
    assert "<strong>yes</strong>" in c.outcome_html
    with pytest.raises(Conflict):
        lifecycle.update_consultation(official, c, fields(title="New"), correction_note="x")


def test_lists_by_phase_topic_and_area(app, frozen, official):
    open_now = lifecycle.create_consultation(official, fields(opens_local=datetime(2027, 2, 1, 9, 0)))
    frozen.set(datetime(2027, 1, 15, tzinfo=UTC))
    lifecycle.publish_consultation(official, open_now)
    upcoming = lifecycle.create_consultation(official, fields(title="Budget", topic="Budget", area="Whole city"))
    lifecycle.publish_consultation(official, upcoming)
    lifecycle.create_consultation(official, fields(title="Secret draft"))
    frozen.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    titles = lambda kind, **kw: [c.title for c in lifecycle.list_consultations(kind, **kw).items]  # noqa: E731
    assert titles("open") == ["Summer trial on Calle Mayor"]
    assert titles("upcoming") == ["Budget"]
    assert titles("closed") == [] and titles("outcome") == []
    assert titles("upcoming", topic="Transport") == []
    assert titles("open", area="Old Town") == ["Summer trial on Calle Mayor"]
    assert titles("draft") == ["Secret draft"]
    assert lifecycle.filter_values() == (["Budget", "Transport"], ["Old Town", "Whole city"])


def test_timeline_rows(app, frozen, official):
    from datetime import date

    c = lifecycle.create_consultation(official, fields())
    rows = [
        lifecycle.TimelineRow("Information", "Read the plan", date(2027, 3, 1), date(2027, 3, 9)),
        lifecycle.TimelineRow("", "", None, None),
        lifecycle.TimelineRow("Consultation", "", date(2027, 3, 10), date(2027, 4, 10)),
    ]
    lifecycle.set_timeline(official, c, rows)
    assert [p.name for p in c.timeline] == ["Information", "Consultation"]
    with pytest.raises(InvalidInput) as info:
        lifecycle.set_timeline(official, c, [lifecycle.TimelineRow("Analysis", "", date(2027, 5, 1), date(2027, 4, 1))])
    assert info.value.field == "phases-0-ends_on"
    with pytest.raises(InvalidInput):
        lifecycle.set_timeline(official, c, [lifecycle.TimelineRow("", "orphan description")])
    assert [p.name for p in c.timeline] == ["Information", "Consultation"]
