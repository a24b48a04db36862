"""Casting ballots: one per verified account and budget, changeable while voting is open, stored as
the set of choices; a ballot over the limits or outside voting is refused whole; two tabs at
once still leave exactly one ballot."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.budgets.models import Ballot, BallotChoice
from civic.budgets.services import ballots, budgets, projects
from civic.errors import AuthenticationRequired, InvalidInput, NotAllowed, ParticipationClosed, RateLimited
from civic.extensions import db
from tests.support.budgets import VOTING_CLOSES, VOTING_OPENS, budget_with_projects


def _choices(*chosen):
    return {str(p.id): "1" for p in chosen}


def _stored(budget):
    rows = db.session.execute(
        select(Ballot.voter_id, BallotChoice.project_id, BallotChoice.points)
        .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.budget_id == budget.id)
        .order_by(BallotChoice.project_id)
    ).all()
    return [tuple(row) for row in rows]


def test_a_ballot_is_stored_as_its_choices_and_can_be_changed(voting, citizen):
    budget, (p1, p2, p3, p4) = voting
    ballots.cast_ballot(citizen, budget, None, _choices(p1, p3))
    assert _stored(budget) == [(citizen.id, p1.id, 1), (citizen.id, p3.id, 1)]
    ballots.cast_ballot(citizen, budget, None, _choices(p2))
    assert _stored(budget) == [(citizen.id, p2.id, 1)]
    assert ballots.my_ballot(citizen, budget) == (None, {p2.id: 1})
    assert ballots.ballot_count(budget) == 1


def test_only_projects_on_the_ballot_can_be_chosen(official, citizen, frozen):
    budget, (feasible, unjudged) = budget_with_projects(official, frozen, [10, 20], feasible=False)
    frozen.set(VOTING_OPENS - timedelta(days=1))
    projects.assess_feasibility(official, feasible, "feasible", "")
    frozen.set(VOTING_OPENS)
    with pytest.raises(InvalidInput, match="not on it"):
        ballots.cast_ballot(citizen, budget, None, _choices(feasible, unjudged))
    assert _stored(budget) == []


def test_an_empty_ballot_is_refused(voting, citizen):
    budget, _projects = voting
    with pytest.raises(InvalidInput, match="at least one"):
        ballots.cast_ballot(citizen, budget, None, {})


def test_over_k_projects_is_refused_and_the_old_ballot_stays(official, citizen, frozen):
    budget, (p1, p2, p3) = budget_with_projects(official, frozen, [10, 20, 30], max_projects="2")
    ballots.cast_ballot(citizen, budget, None, _choices(p1))
    with pytest.raises(InvalidInput, match="at most 2"):
        ballots.cast_ballot(citizen, budget, None, _choices(p1, p2, p3))
    assert _stored(budget) == [(citizen.id, p1.id, 1)]


def test_over_the_money_is_refused_when_the_ballot_must_fit(official, citizen, frozen):
    budget, (p1, p2, p3) = budget_with_projects(official, frozen, [60_000, 30_000, 25_000], within_budget=True)
    with pytest.raises(InvalidInput) as caught:
        ballots.cast_ballot(citizen, budget, None, _choices(p1, p2, p3))
    assert "115,000" in caught.value.message and "100,000" in caught.value.message
    ballots.cast_ballot(citizen, budget, None, _choices(p1, p2))
    assert len(_stored(budget)) == 2


def test_cumulative_points_are_kept_and_over_p_is_refused(official, citizen, frozen):
    budget, (p1, p2, p3) = budget_with_projects(official, frozen, [10, 20, 30], ballot_kind="cumulative", points="10")
    with pytest.raises(InvalidInput, match="11 points"):
        ballots.cast_ballot(citizen, budget, None, {str(p1.id): "6", str(p2.id): "5"})
    with pytest.raises(InvalidInput, match="whole number of points"):
        ballots.cast_ballot(citizen, budget, None, {str(p1.id): "-1"})
    ballots.cast_ballot(citizen, budget, None, {str(p1.id): "6", str(p2.id): "4", str(p3.id): "0"})
    assert _stored(budget) == [(citizen.id, p1.id, 6), (citizen.id, p2.id, 4)]


def test_voting_outside_the_voting_phase_is_refused(voting, citizen, frozen):
    budget, (p1, *_rest) = voting
    frozen.set(VOTING_OPENS - timedelta(minutes=1))
    with pytest.raises(ParticipationClosed, match="opens"):
        ballots.cast_ballot(citizen, budget, None, _choices(p1))
    frozen.set(VOTING_CLOSES)
    with pytest.raises(ParticipationClosed, match="closed"):
        ballots.cast_ballot(citizen, budget, None, _choices(p1))
    assert _stored(budget) == []


def test_only_signed_in_verified_accounts_vote(voting, make_user):
    budget, (p1, *_rest) = voting
    with pytest.raises(AuthenticationRequired):
        ballots.cast_ballot(None, budget, None, _choices(p1))
    unverified = make_user(verified=False)
    with pytest.raises(NotAllowed, match="Confirm your email"):
        ballots.cast_ballot(unverified, budget, None, _choices(p1))
    assert _stored(budget) == []


def test_with_areas_a_voter_chooses_city_wide_and_in_one_area(official, citizen, frozen):
    budget, (city, north, south) = budget_with_projects(
        official,
        frozen,
        {None: [50], "North": [40], "South": [30]},
        areas="North: 100\nSouth: 100",
        within_budget=True,
    )
    north_area = next(a for a in budget.areas if a.name == "North")
    with pytest.raises(InvalidInput, match="area"):
        ballots.cast_ballot(citizen, budget, None, _choices(city))
    with pytest.raises(InvalidInput, match="not on it"):
        ballots.cast_ballot(citizen, budget, north_area.id, _choices(city, south))
    ballots.cast_ballot(citizen, budget, north_area.id, _choices(city, north))
    assert ballots.my_ballot(citizen, budget) == (north_area.id, {city.id: 1, north.id: 1})


def test_casting_is_rate_limited(voting, citizen, app):
    app.config["CIVIC_LIMIT_BALLOT"] = "2 per hour"
    budget, (p1, p2, *_rest) = voting
    ballots.cast_ballot(citizen, budget, None, _choices(p1))
    ballots.cast_ballot(citizen, budget, None, _choices(p2))
    with pytest.raises(RateLimited):
        ballots.cast_ballot(citizen, budget, None, _choices(p1))
    assert _stored(budget) == [(citizen.id, p2.id, 1)]


def test_two_tabs_at_once_leave_exactly_one_ballot(voting, citizen, app):
    """Eight tabs of one person send different ballots at the same moment, five times over: one
    ballot, holding exactly one tab's choices, never a mixture."""
    app.config["CIVIC_LIMIT_BALLOT"] = "1000 per minute"
    budget, (p1, p2, p3, p4) = voting
    budget_id, voter_id = budget.id, citizen.id
    sets = [(p1,), (p2, p3), (p4,), (p1, p4), (p2,), (p3,), (p1, p2, p3), (p3, p4)]
    allowed = {frozenset(p.id for p in chosen) for chosen in sets}
    errors = []
    for _round in range(5):
        barrier = threading.Barrier(len(sets))

        def cast(chosen, barrier=barrier):
            with app.app_context():
                try:
                    from civic.accounts.models import User

                    voter = db.session.get(User, voter_id)
                    here = budgets.load_budget(budget_id)
                    barrier.wait(timeout=30)
                    ballots.cast_ballot(voter, here, None, _choices(*chosen))
                except Exception as exc:  # noqa: BLE001 - collected and reported below
                    errors.append(repr(exc))
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=cast, args=(chosen,), daemon=True) for chosen in sets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget_id)) == 1
        stored = frozenset(project_id for _voter, project_id, _points in _stored(budget))
        assert stored in allowed


def test_a_new_ballot_moves_the_live_count_and_a_changed_one_does_not(voting, citizen, make_user, monkeypatch):
    budget, (p1, p2, *_rest) = voting
    published = []
    monkeypatch.setattr(ballots, "publish_tally", lambda kind, object_id, counts: published.append((kind, counts)))
    ballots.cast_ballot(citizen, budget, None, _choices(p1))
    ballots.cast_ballot(citizen, budget, None, _choices(p2))
    ballots.cast_ballot(make_user("second@example.org"), budget, None, _choices(p2))
    assert published == [("budget", {"ballots": 1}), ("budget", {"ballots": 2})]


def test_anyone_may_watch_a_budgets_live_count(app, voting):
    from civic.extensions import socketio

    budget, _projects = voting
    client = socketio.test_client(app)
    assert client.emit("watch_tally", {"kind": "budget", "id": budget.id}, callback=True) == {"ok": True}
    assert client.emit("watch_tally", {"kind": "budget", "id": 999}, callback=True)["ok"] is False
    client.disconnect()
