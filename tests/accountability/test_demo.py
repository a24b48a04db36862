"""The demo has implementation records in every status, with milestones, for its accepted
proposals and its finished budget's funded projects; the invented residents are sent nothing."""

from sqlalchemy import select

from civic.accountability.models import ImplementationRecord, Status
from civic.extensions import db
from civic.mail.models import Mailing
from civic.proposals.models import ProposalState


def test_the_demo_has_records_in_every_status_with_milestones(app, client):
    result = app.test_cli_runner().invoke(args=["civic", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    found = db.session.scalars(select(ImplementationRecord)).all()
    assert {r.current_status for r in found} == set(Status)
    assert {r.kind.value for r in found} == {"proposal", "project"}
    assert all(r.milestone_count >= 1 for r in found)
    for record in found:
        if record.proposal is not None and record.status == "done":
            assert record.proposal.current_state is ProposalState.IMPLEMENTED
    unsent = select(Mailing).where(Mailing.about_type == "implementation_milestone", Mailing.finished_at.is_(None))
    assert not db.session.scalars(unsent).all()
    assert client.get("/accountability").status_code == 200
    for record in found:
        assert client.get(f"/accountability/{record.id}").status_code == 200
