"""Proposal test helpers: the moment proposals are posted in tests, their fields, and verified
supporters."""

from datetime import datetime

from civic.proposals.services import lifecycle
from tests.support.clock import UTC

START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # the frozen clock's start in tests/proposals


def fields(**overrides):
    data = dict(
        title="A covered bicycle park beside the station",
        summary="Commuters leave bikes in the rain; a covered park with 200 places would fit in the old car park.",
        body="The **old car park** is empty most days.\n\n- 200 places\n- lights",
        topic="Transport",
        area="",
        external_url="",
    )
    data.update(overrides)
    return lifecycle.ProposalFields(**data)


def supporters(make_user, n, start=0):
    """n verified citizens."""
    return [make_user(f"supporter{k}@example.org", name=f"Supporter {k}") for k in range(start, start + n)]
