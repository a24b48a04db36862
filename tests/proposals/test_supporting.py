"""Supports: one per verified account (also from many threads at once), removable while open,
the kept count and supports per day, following, merging duplicates (each person once), and the
trending score."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.errors import NotAllowed, ParticipationClosed
from civic.extensions import db
from civic.proposals.models import Proposal, ProposalFollow, Support, SupportDay
from civic.proposals.services import answers, lifecycle, supporting
from tests.support.proposals import START, fields, supporters


def _count(proposal_id):
    return db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id))


def test_one_support_per_account_and_it_can_be_removed_while_open(open_proposal, make_user):
    person = make_user("one@example.org")
    assert supporting.support_proposal(person, open_proposal) is True
    assert supporting.support_proposal(person, open_proposal) is False
    db.session.refresh(open_proposal)
    assert open_proposal.support_count == 1 == _count(open_proposal.id)
    assert supporting.remove_support(person, open_proposal) is True
    assert supporting.remove_support(person, open_proposal) is False
    db.session.refresh(open_proposal)
    assert open_proposal.support_count == 0 == _count(open_proposal.id)
    assert db.session.scalar(select(SupportDay.count).where(SupportDay.proposal_id == open_proposal.id)) == 0


def test_authors_may_support_their_own_proposal(open_proposal, author):
    assert supporting.support_proposal(author, open_proposal) is True


def test_an_unverified_account_cannot_support(open_proposal, make_user):
    person = make_user("new@example.org", verified=False)
    with pytest.raises(NotAllowed) as info:
        supporting.support_proposal(person, open_proposal)
    assert "Confirm your email" in info.value.message


def test_an_expired_proposal_takes_no_support_and_keeps_its_supports(open_proposal, make_user, frozen):
    person = make_user("one@example.org")
    supporting.support_proposal(person, open_proposal)
    frozen.set(open_proposal.deadline)
    with pytest.raises(ParticipationClosed):
        supporting.support_proposal(make_user("late@example.org"), open_proposal)
    with pytest.raises(ParticipationClosed):
        supporting.remove_support(person, open_proposal)
    db.session.refresh(open_proposal)
    assert open_proposal.support_count == 1


def test_supporting_with_follow_follows(open_proposal, make_user):
    person = make_user("one@example.org")
    supporting.support_proposal(person, open_proposal, follow=True)
    assert supporting.is_following(person, open_proposal)
    supporting.follow_proposal(person, open_proposal, False)
    assert not supporting.is_following(person, open_proposal)


def test_the_live_counter_is_published_after_each_support(open_proposal, make_user, monkeypatch):
    sent = []
    monkeypatch.setattr(supporting, "publish_tally", lambda kind, oid, counts: sent.append((kind, oid, counts)))
    supporting.support_proposal(make_user("one@example.org"), open_proposal)
    assert sent == [("proposal", open_proposal.id, {"supports": 1})]


PATIENCE = 600


@pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_timeout": PATIENCE})
def test_twenty_threads_supporting_from_two_tabs_each_count_each_person_once(open_proposal, small, make_user):
    """Forty requests at once: twenty people, each from two tabs. Each counted exactly once."""
    small.config.update(RATELIMIT_ENABLED=False, CIVIC_PROPOSAL_SUPPORTS=1000)
    db.session.execute(Proposal.__table__.update().values(supports_needed=1000))
    db.session.commit()
    people = [p.id for p in supporters(make_user, 20)]
    proposal_id = open_proposal.id
    jobs = people + people
    errors, lock = [], threading.Lock()
    start = threading.Barrier(10)

    def run():
        with small.app_context():
            try:
                start.wait(timeout=60)
            except threading.BrokenBarrierError:
                pass
            while True:
                with lock:
                    if not jobs:
                        return
                    user_id = jobs.pop()
                try:
                    from civic.accounts.models import User

                    supporting.support_proposal(db.session.get(User, user_id), db.session.get(Proposal, proposal_id))
                except Exception as exc:  # noqa: BLE001 - collected and reported below
                    errors.append(repr(exc))
                finally:
                    db.session.remove()

    workers = [threading.Thread(target=run, daemon=True) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=PATIENCE)
    assert not [w for w in workers if w.is_alive()]
    assert errors == []
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal_id)
    assert _count(proposal_id) == 20 == proposal.support_count
    assert db.session.scalar(select(func.sum(SupportDay.count)).where(SupportDay.proposal_id == proposal_id)) == 20


def test_merging_moves_supports_and_followers_counting_each_person_once(small, frozen, author, make_user, official):
    small.config["CIVIC_PROPOSAL_SUPPORTS"] = 100
    target = lifecycle.create_proposal(author, fields(title="Covered bike parking at the station"))
    duplicate = lifecycle.create_proposal(author, fields(title="Bike shelter by the railway station"))
    both, only_target, only_duplicate = (
        supporters(make_user, 2),
        supporters(make_user, 3, 2),
        supporters(make_user, 4, 5),
    )
    for person in both + only_target:
        supporting.support_proposal(person, target)
    for person in both + only_duplicate:
        supporting.support_proposal(person, duplicate, follow=True)

    answers.merge_proposal(official, duplicate, target.id, "The same request.")

    db.session.refresh(target)
    db.session.refresh(duplicate)
    assert target.support_count == 2 + 3 + 4 == _count(target.id)
    assert _count(duplicate.id) == 0 == duplicate.support_count
    assert duplicate.state == "duplicate" and duplicate.merged_into_id == target.id
    followers = db.session.scalars(select(ProposalFollow.user_id).where(ProposalFollow.proposal_id == target.id))
    assert sorted(followers) == sorted(p.id for p in both + only_duplicate)
    assert db.session.scalar(select(func.sum(SupportDay.count)).where(SupportDay.proposal_id == target.id)) == 9
    with pytest.raises(ParticipationClosed):
        supporting.support_proposal(make_user("late@example.org"), duplicate)


def test_merging_into_itself_or_a_withdrawn_one_is_refused(open_proposal, official, author):
    from civic.errors import InvalidInput

    with pytest.raises(InvalidInput):
        answers.merge_proposal(official, open_proposal, open_proposal.id)
    other = lifecycle.create_proposal(author, fields(title="Something different for the park"))
    lifecycle.withdraw_proposal(author, other)
    with pytest.raises(InvalidInput):
        answers.merge_proposal(official, open_proposal, other.id)
    with pytest.raises(NotAllowed):
        answers.merge_proposal(author, open_proposal, other.id)


def test_trending_weighs_recent_supports_more(small, frozen, author, make_user):
    small.config["CIVIC_PROPOSAL_SUPPORTS"] = 100
    old = lifecycle.create_proposal(author, fields(title="An older idea about benches"))
    new = lifecycle.create_proposal(author, fields(title="A newer idea about fountains"))
    people = supporters(make_user, 6)
    for person in people[:4]:
        supporting.support_proposal(person, old)
    frozen.set(START + timedelta(days=6))
    for person in people[4:]:
        supporting.support_proposal(person, new)
    assert supporting.refresh_trending() == 2
    assert supporting.refresh_trending() == 0  # nothing changed since: nothing written
    db.session.refresh(old)
    db.session.refresh(new)
    assert old.trending_score == pytest.approx(4 * 0.25)
    assert new.trending_score == pytest.approx(2)
    frozen.set(START + timedelta(days=40))
    supporting.refresh_trending()
    db.session.refresh(new)
    assert new.trending_score == 0
