"""Budget fixtures: the clock frozen where voting opens, and a budget with four projects on its ballot."""

import pytest

from tests.support.budgets import VOTING_OPENS, budget_with_projects


@pytest.fixture
def frozen_at():
    return VOTING_OPENS


@pytest.fixture
def voting(official, frozen):
    """(budget, [P1..P4]) of 100,000 EUR, projects costing 60,000, 30,000, 25,000 and 10,000; voting opens now."""
    return budget_with_projects(official, frozen, [60_000, 30_000, 25_000, 10_000])
