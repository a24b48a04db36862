"""The demo seeds proposals in every state, each support a demo resident's account, and sends
the invented residents nothing."""

from sqlalchemy import func, select

from civic.extensions import db
from civic.mail.models import Mailing
from civic.proposals.models import Proposal, ProposalState, Support


def test_the_demo_has_proposals_in_every_state_with_real_supports(app, client):
    result = app.test_cli_runner().invoke(args=["civic", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    proposals = db.session.scalars(select(Proposal)).all()
    assert {p.current_state for p in proposals} == set(ProposalState)
    for proposal in proposals:
        rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal.id))
        assert rows == proposal.support_count, proposal.title
    unsent = select(Mailing).where(Mailing.about_type == "proposal", Mailing.finished_at.is_(None))
    assert not db.session.scalars(unsent).all()
    for proposal in proposals:
        assert client.get(f"/proposals/{proposal.id}").status_code == 200
    page = client.get("/proposals?status=all").get_data(as_text=True)
    assert "Night buses on Friday and Saturday" in page
