"""Implementation records: opened when a proposal is accepted or a budget's results are out,
changed by officials (all or nothing), kept in agreement with the proposal's own state."""

import pytest
from sqlalchemy import func, select

from civic.accountability.models import ImplementationRecord, RecordedBudget
from civic.accountability.services import records
from civic.audit.models import AuditEntry
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from civic.proposals.models import ProposalState
from civic.proposals.services import answers, lifecycle
from tests.support.accountability import accepted_proposal, budget_with_results
from tests.support.proposals import fields


def _actions(target_id):
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.target_type == "implementation", AuditEntry.target_id == target_id
            )
        )
    )


def test_accepting_a_proposal_opens_a_planned_record(small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official, area="")
    assert record is not None
    assert (record.status, record.progress, record.spent, record.title) == ("planned", 0, 0, proposal.title)
    assert record.kind.value == "proposal"


def test_an_answer_that_is_not_acceptance_opens_no_record(small, frozen, citizen, official):
    proposal = lifecycle.create_proposal(citizen, fields())
    answers.answer_proposal(official, proposal, "rejected", "Not this year.")
    assert db.session.scalar(select(func.count()).select_from(ImplementationRecord)) == 0


def test_an_acceptance_taken_back_cancels_the_record_and_a_new_one_reopens_it(small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    answers.answer_proposal(official, proposal, "rejected", "The money went elsewhere.")
    db.session.refresh(record)
    assert record.status == "cancelled"
    answers.answer_proposal(official, proposal, "accepted", "The money is back.")
    db.session.refresh(record)
    assert record.status == "planned"
    assert db.session.scalar(select(func.count()).select_from(ImplementationRecord)) == 1


def test_an_official_changes_status_progress_and_money_audited(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    records.change_record(official, record, status="in_progress", progress="40", spent="12500", currency="eur")
    db.session.refresh(record)
    assert (record.status, record.progress, record.spent, record.currency) == ("in_progress", 40, 12500, "EUR")
    assert _actions(record.id) == ["accountability.update"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"progress": "101"}, "progress"),
        ({"progress": "-5"}, "progress"),
        ({"progress": "forty"}, "progress"),
        ({"spent": "-1"}, "spent"),
        ({"spent": "1,000"}, "spent"),
        ({"spent": str(10**16)}, "spent"),
        ({"status": "finished"}, "status"),
        ({"currency": "euros"}, "currency"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(small, frozen, citizen, official, changes, field):
    _proposal, record = accepted_proposal(citizen, official)
    values = {"status": "in_progress", "progress": "50", "spent": "100", "currency": "EUR", **changes}
    with pytest.raises(InvalidInput) as refused:
        records.change_record(official, record, **values)
    assert field in refused.value.errors
    db.session.expire_all()
    record = db.session.get(ImplementationRecord, record.id)
    assert (record.status, record.progress, record.spent) == ("planned", 0, 0)
    assert _actions(record.id) == []


def test_every_problem_is_reported_at_once(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    with pytest.raises(InvalidInput) as refused:
        records.change_record(official, record, status="in_progress", progress="200", spent="-3")
    assert {"progress", "spent"} <= set(refused.value.errors)


def test_a_record_done_marks_its_proposal_implemented_through_the_proposals(small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    records.change_record(official, record, status="done", progress="80", spent="9000")
    db.session.refresh(proposal)
    db.session.refresh(record)
    assert proposal.current_state is ProposalState.IMPLEMENTED
    assert (record.status, record.progress) == ("done", 100)  # done reads 100%
    proposal_actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "proposal"))
    assert "proposal.implemented" in list(proposal_actions)
    with pytest.raises(Conflict):  # done is final
        records.change_record(official, record, status="in_progress", progress="50", spent="0")


def test_a_proposal_marked_implemented_on_its_page_finishes_its_record(small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    answers.mark_implemented(official, proposal, "Opened in May.")
    db.session.refresh(record)
    assert (record.status, record.progress) == ("done", 100)


def test_citizens_cannot_change_a_record(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    with pytest.raises(NotAllowed):
        records.change_record(citizen, record, status="done", progress="100", spent="0")


def test_funded_projects_get_records_once_results_are_out(official, frozen, make_user):
    voters = [make_user(f"v{k}@example.org", name=f"Voter {k}") for k in range(3)]
    budget, (p1, p2, p3) = budget_with_results(official, frozen, voters)
    opened = {r.project_id: r for r in db.session.scalars(select(ImplementationRecord))}
    assert set(opened) == {p1.id, p3.id}
    assert opened[p1.id].currency == "EUR"
    assert db.session.get(RecordedBudget, budget.id) is not None
    assert records.record_funded_projects() == 0  # each budget once


def test_no_record_before_the_results_are_out(official, frozen, citizen):
    from tests.support.budgets import budget_with_projects

    budget_with_projects(official, frozen, [10_000])
    assert records.record_funded_projects() == 0
    assert db.session.scalar(select(func.count()).select_from(RecordedBudget)) == 0


def test_an_official_opens_a_missing_record_by_hand(small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    db.session.delete(record)
    db.session.commit()
    opened = records.create_record(official, "proposal", proposal.id)
    assert opened.proposal_id == proposal.id
    assert _actions(opened.id) == ["accountability.create"]
    with pytest.raises(Conflict):
        records.create_record(official, "proposal", proposal.id)


def test_a_record_by_hand_needs_an_accepted_proposal_or_a_funded_project(official, frozen, citizen, make_user, app):
    app.config.update(CIVIC_PROPOSAL_SUPPORTS=3, CIVIC_LIMIT_PROPOSAL_CREATE="100 per hour")
    open_one = lifecycle.create_proposal(citizen, fields())
    with pytest.raises(InvalidInput):
        records.create_record(official, "proposal", open_one.id)
    with pytest.raises(InvalidInput):
        records.create_record(official, "proposal", 999_999)
    _budget, (_p1, p2, _p3) = budget_with_results(official, frozen, [make_user("v@example.org", name="V")])
    with pytest.raises(InvalidInput):
        records.create_record(official, "project", p2.id)  # nobody voted for it: not funded
    with pytest.raises(InvalidInput):
        records.create_record(official, "other", 1)
    with pytest.raises(NotAllowed):
        records.create_record(citizen, "proposal", open_one.id)


def test_following_a_record_is_one_row_however_often(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    records.follow_record(citizen, record, True)
    records.follow_record(citizen, record, True)
    assert records.is_following(citizen, record)
    records.follow_record(citizen, record, False)
    assert not records.is_following(citizen, record)


def test_a_change_based_on_a_stale_status_is_refused_whole(small, frozen, citizen, official):
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    _proposal, record = accepted_proposal(citizen, official)
    # Another official finished it meanwhile; this one's page still says "planned".
    db.session.execute(update(ImplementationRecord).values(status="done", progress=100))
    db.session.commit()
    set_committed_value(record, "status", "planned")  # what this official's page was built from
    with pytest.raises(Conflict):
        records.change_record(official, record, status="in_progress", progress="20", spent="5")
    db.session.expire_all()
    assert db.session.get(ImplementationRecord, record.id).status == "done"
    assert _actions(record.id) == []
