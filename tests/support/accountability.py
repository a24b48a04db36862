"""Accountability test helpers: an accepted proposal with its record, a budget whose results are
out with records for its funded projects, and a milestone's fields."""

from datetime import timedelta

from civic.accountability.services import milestones, records
from civic.accountability.services.queries import record_of_proposal
from civic.budgets.services import ballots
from civic.proposals.services import answers, lifecycle
from tests.support.budgets import VOTING_CLOSES, budget_with_projects
from tests.support.proposals import fields


def accepted_proposal(author, official, **overrides):
    """A proposal posted by `author` and accepted by `official`; (proposal, its record)."""
    proposal = lifecycle.create_proposal(author, fields(**overrides))
    answers.answer_proposal(official, proposal, "accepted", "We will build it next spring.")
    return proposal, record_of_proposal(proposal.id)


def budget_with_results(official, frozen, voters):
    """A budget of 100,000 EUR whose voters chose P1 (60,000) and P3 (10,000) and never P2
    (50,000): after voting closes P1 and P3 are funded. The clock is left after the close and
    the periodic task has opened their records; (budget, [P1, P2, P3])."""
    budget, made = budget_with_projects(official, frozen, [60_000, 50_000, 10_000])
    p1, _p2, p3 = made
    for voter in voters:
        ballots.cast_ballot(voter, budget, None, {str(p1.id): "1", str(p3.id): "1"})
    frozen.set(VOTING_CLOSES + timedelta(hours=1))
    records.record_funded_projects()
    return budget, made


def milestone_fields(**overrides):
    data = dict(happened_on="2027-03-01", text="The **foundations** are laid.", photo=None, photo_alt="")
    data.update(overrides)
    return milestones.MilestoneFields(**data)
