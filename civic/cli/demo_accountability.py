"""Demo implementation records: the accepted and implemented proposals and the finished budget's
funded projects, in every status, with dated milestones. The invented residents are told nothing."""

from datetime import timedelta

from sqlalchemy import select, update

from civic.accountability.models import ImplementationRecord
from civic.accountability.services import milestones, records
from civic.common import clock
from civic.extensions import db
from civic.mail.models import Mailing

# (status, progress, share of the cost spent, milestones as (days ago, text)). A cancelled record
# says why in its last milestone, added before it was cancelled.
ACCEPTED_PROPOSAL = (
    "in_progress",
    45,
    0.4,
    (
        (40, "Survey of the **twelve school crossings** finished: eight need new paint, four new lights."),
        (12, "Repainting started outside *Colegio Miraflores* and *Escuela del Río*."),
    ),
)
IMPLEMENTED_PROPOSAL = (
    "done",
    100,
    0.95,
    (
        (120, "Bus operator contract signed for the N1 and N2 night lines."),
        (60, "The first night buses ran, every 30 minutes until 04:00."),
    ),
)
FUNDED_PROJECTS = (
    ("in_progress", 70, 0.6, ((30, "Planting season: the first 40 trees are in."),)),
    ("planned", 0, 0.0, ((5, "Tender published; offers are open for four weeks."),)),
    (
        "cancelled",
        10,
        0.05,
        ((20, "The site turned out to be on a protected water main: the project cannot go ahead there."),),
    ),
    ("done", 100, 1.0, ((25, "Finished and opened to everyone."),)),
)
PROPOSAL_COST = 200_000  # a proposal has no cost of its own: the demo's figure for its spending


def seed_accountability(official):
    """Open the records of the finished budget (the periodic task would) and bring every record
    to a status with its milestones."""
    records.record_funded_projects()
    opened = list(db.session.scalars(select(ImplementationRecord).order_by(ImplementationRecord.id)))
    projects = iter(FUNDED_PROJECTS)
    for record in opened:
        if record.proposal_id is not None:
            plan = IMPLEMENTED_PROPOSAL if record.status == "done" else ACCEPTED_PROPOSAL
        else:
            plan = next(projects, None)
            if plan is None:
                break
        _follow_plan(official, record, plan)
    db.session.execute(
        update(Mailing)
        .where(Mailing.about_type == "implementation_milestone", Mailing.finished_at.is_(None))
        .values(finished_at=clock.now())
    )
    db.session.commit()


def _follow_plan(official, record, plan):
    status, progress, share, steps = plan
    today = clock.utc_to_local(clock.now()).date()
    for days_ago, text in steps:
        milestones.add_milestone(
            official, record, milestones.MilestoneFields(happened_on=today - timedelta(days=days_ago), text=text)
        )
    cost = record.project.cost if record.project is not None else PROPOSAL_COST
    if record.is_changeable:  # an implemented proposal's record is done already
        records.change_record(official, record, status=status, progress=str(progress), spent=str(int(cost * share)))
