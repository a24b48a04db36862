"""Projects: entered by officials or taken from an accepted proposal (whose title and summary fill
in what was left empty), judged feasible or not with a public reason; only feasible ones reach
the ballot."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.budgets.services import budgets, projects
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from civic.proposals.services import answers, lifecycle
from tests.support.budgets import VOTING_OPENS, budget_fields, project_fields
from tests.support.proposals import fields as proposal_fields


@pytest.fixture
def reviewing(official, frozen):
    """A budget in its review phase."""
    frozen.set(VOTING_OPENS - timedelta(days=10))
    return budgets.create_budget(official, budget_fields())


def test_a_project_from_an_accepted_proposal_takes_its_title_and_summary(app, reviewing, official, citizen):
    app.config["CIVIC_LIMIT_PROPOSAL_CREATE"] = "100 per hour"
    proposal = lifecycle.create_proposal(citizen, proposal_fields())
    with pytest.raises(InvalidInput, match="has not been accepted"):
        projects.add_project(official, reviewing, project_fields("", 9000, proposal_id=str(proposal.id)))
    with pytest.raises(InvalidInput, match="no proposal number 999"):
        projects.add_project(official, reviewing, project_fields("Bikes", 9000, proposal_id="999"))
    answers.answer_proposal(official, proposal, "accepted", "A good idea; the council will cost it.")
    project = projects.add_project(
        official, reviewing, project_fields("", 9000, description="", proposal_id=f"#{proposal.id}")
    )
    assert (project.title, project.proposal_id) == (proposal.title, proposal.id)
    assert project.description_markdown == proposal.summary


def test_judging_feasibility_is_audited_and_a_refusal_needs_its_reason(reviewing, official):
    project = projects.add_project(official, reviewing, project_fields("Cable car", 90_000))
    assert not project.on_ballot  # not assessed yet
    with pytest.raises(InvalidInput, match="Say why"):
        projects.assess_feasibility(official, project, "not_feasible", "  ")
    projects.assess_feasibility(official, project, "not_feasible", "The hill is protected.")
    assert (project.feasibility, project.feasibility_reason, project.on_ballot) == (
        "not_feasible",
        "The hill is protected.",
        False,
    )
    projects.assess_feasibility(official, project, "feasible", "ignored when feasible")
    assert project.on_ballot and project.feasibility_reason == ""
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["budget.create", "budget.add_project", "budget.assess_project", "budget.assess_project"]


def test_projects_are_fixed_once_voting_starts(reviewing, official, citizen, frozen):
    project = projects.add_project(official, reviewing, project_fields("Benches", 5000))
    with pytest.raises(NotAllowed):
        projects.add_project(citizen, reviewing, project_fields("Mine", 5))
    frozen.set(VOTING_OPENS)
    for attempt in (
        lambda: projects.add_project(official, reviewing, project_fields("Late", 10)),
        lambda: projects.update_project(official, project, project_fields("Benches", 6000)),
        lambda: projects.assess_feasibility(official, project, "feasible", ""),
    ):
        with pytest.raises(Conflict, match="projects on the ballot can no longer change"):
            attempt()
    db.session.refresh(project)
    assert project.cost == 5000
