"""Who wins a participatory budget: greedy, greedy without skipping, and the Method of Equal Shares.

Pure functions over plain values (project ids, costs in whole currency units, ballots as
``{project id: points}``); the budgets domain stores the ballots and calls ``compute_result``.

Tie-breaking:

* greedy and greedy-no-skip take projects by votes (the sum of points), then the cheaper
  project first, then the lower id (cheaper-first is also equalshares.net's reference's choice).
  Pabulib's own checker sorts by votes only and keeps the file's order, which is the city's
  published ranking (cities draw lots or apply their own rules for ties); pabutools' default
  breaks ties by the project's id. So a budget imported from Pabulib passes the file's order as
  ``tie_order``, which then decides ties in votes instead of cost and id.
* Equal Shares picks the project whose largest per-supporter payment is smallest; among equal
  payments, the cheaper project, then the one with more supporters (equalshares.net's reference
  ``break_ties``), then the lower id (where the reference gives up and raises).

Money is counted in floats. equalshares.net's reference compares floats exactly and pabutools
uses exact fractions; here two amounts within a billionth of each other count as equal, so that
three voters with 33.33... each can buy a project of 100, as they can with exact fractions.

Projects nobody voted for are never funded, under every rule (Pabulib marks them as projects
that probably did not reach the ballot). Under Equal Shares a cumulative ballot counts as
approval of every project it gives points to: the method here is the one for approval ballots.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

RULES = ("greedy", "greedy-no-skip", "equalshares")

# Reason codes of ProjectOutcome.reason; the results page turns them into sentences.
FUNDED = "funded"
FUNDED_IN_COMPLETION = "funded_in_completion"
DID_NOT_FIT = "did_not_fit"
STOPPED_AT_FIRST_MISFIT = "stopped_at_first_misfit"
SUPPORTERS_COULD_NOT_PAY = "supporters_could_not_pay"
NO_VOTES = "no_votes"

_TOLERANCE = 1e-9  # relative: amounts this close count as equal (see the module's docstring)

Ballot = Mapping[Hashable, int]


@dataclass(frozen=True)
class Project:
    id: Hashable
    cost: int  # whole currency units, > 0


@dataclass(frozen=True)
class ProjectOutcome:
    id: Hashable
    cost: int
    votes: int
    funded: bool
    reason: str
    # Money left in the real budget when the project was considered and did not fit (None otherwise).
    left_before: int | None
    # Equal Shares: the most any supporter paid for a project the method bought (None otherwise).
    payment_per_supporter: float | None = None
    # Equal Shares, a project it did not buy: what its supporters still held at the end (of its cost).
    supporters_held: float | None = None


@dataclass(frozen=True)
class BudgetResult:
    rule: str
    budget: int
    funded: tuple  # funded project ids, in the order they were chosen
    spent: int
    left: int
    projects: tuple[ProjectOutcome, ...]  # every project: votes descending, ties by id (or by tie_order)
    # Equal Shares: each voter's share of the budget after the add-one completion (None otherwise).
    share_per_voter: float | None = None


@dataclass(frozen=True)
class EqualSharesRun:
    """One run of the Method of Equal Shares with a fixed share per voter (what tests inspect)."""

    share: float
    winners: tuple  # project ids in the order bought
    payments: Mapping  # project id -> what its supporters paid in total
    spent_per_ballot: tuple[float, ...]  # in the order the ballots were given
    rho: Mapping  # project id -> the most one supporter paid for it


def compute_result(
    rule: str,
    budget: int,
    projects: Sequence[Project],
    ballots: Iterable[Ballot],
    *,
    tie_order: Sequence[Hashable] | None = None,
) -> BudgetResult:
    """The outcome of a budget under one of RULES, with the reason for every project.

    tie_order: a published ranking of the projects (a Pabulib file's order) that decides ties in
    votes instead of cost and id, and replaces the id as Equal Shares' last tie-break.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    if budget < 0:
        raise ValueError("the budget cannot be negative")
    profile = _Profile(projects, ballots, tie_order)
    if rule == "equalshares":
        return _equal_shares_result(budget, profile)
    return _greedy_result(rule, budget, profile)


def equal_shares_run(budget: float, projects: Sequence[Project], ballots: Iterable[Ballot]) -> EqualSharesRun:
    """The Method of Equal Shares without completion: every voter starts with budget / number of voters."""
    ballots = list(ballots)
    profile = _Profile(projects, ballots)
    share = budget / len(ballots) if ballots else 0.0
    run = _run_equal_shares(profile, share)
    ids = profile.ids
    spent = share - run.budgets
    return EqualSharesRun(
        share=share,
        winners=tuple(ids[p] for p in run.winners),
        payments={ids[p]: paid for p, paid in run.payments.items()},
        spent_per_ballot=tuple(float(spent[profile.group_of_ballot[i]]) for i in range(len(ballots))),
        rho={ids[p]: rho for p, rho in run.rho.items()},
    )


class _Profile:
    """Projects by index, votes, and the ballots grouped by the set of projects they approve."""

    def __init__(self, projects, ballots, tie_order=None):
        self.ids = [project.id for project in projects]
        self.costs = [int(project.cost) for project in projects]
        index = {}
        for position, project in enumerate(projects):
            if project.id in index:
                raise ValueError(f"project {project.id!r} is listed twice")
            if project.cost <= 0 or project.cost != int(project.cost):
                raise ValueError(f"project {project.id!r} must cost a whole amount more than 0")
            index[project.id] = position
        self.votes = [0] * len(self.ids)
        groups: dict[frozenset, int] = {}
        counts: list[int] = []
        self.group_of_ballot: list[int] = []
        for ballot in ballots:
            approved = []
            for project_id, points in ballot.items():
                if project_id not in index:
                    raise ValueError(f"a ballot names an unknown project {project_id!r}")
                if points < 0:
                    raise ValueError(f"a ballot gives negative points to project {project_id!r}")
                if points:
                    self.votes[index[project_id]] += points
                    approved.append(index[project_id])
            key = frozenset(approved)
            group = groups.setdefault(key, len(groups))
            if group == len(counts):
                counts.append(0)
            counts[group] += 1
            self.group_of_ballot.append(group)
        # Groups numbered by their sets of projects, not by the order the ballots came in, so that
        # money is added up in the same order (to the last bit) however the ballots are shuffled.
        renumber = {}
        for key in sorted(groups, key=sorted):
            renumber[groups[key]] = len(renumber)
        groups = {key: renumber[group] for key, group in groups.items()}
        self.group_of_ballot = [renumber[group] for group in self.group_of_ballot]
        self.weights = np.zeros(len(counts), dtype=np.float64)
        for old, count in enumerate(counts):
            self.weights[renumber[old]] = count
        self.voters = len(self.group_of_ballot)
        members: list[list[int]] = [[] for _ in self.ids]
        for key, group in groups.items():
            for p in key:
                members[p].append(group)
        self.supporters = [np.array(sorted(m), dtype=np.intp) for m in members]
        self.supporter_counts = [int(self.weights[m].sum()) for m in self.supporters]
        # The id order that breaks the last ties: numbers before text, each in its natural order.
        id_rank = sorted(range(len(self.ids)), key=lambda p: _id_key(self.ids[p]))
        self.ranked = tie_order is not None
        if self.ranked:
            position = {project_id: place for place, project_id in enumerate(tie_order)}
            id_rank.sort(key=lambda p: position.get(self.ids[p], len(position)))
        self.id_rank = [0] * len(self.ids)
        for rank, p in enumerate(id_rank):
            self.id_rank[p] = rank

    def by_votes(self):
        """Project indices by votes descending, then cost ascending, then id (greedy's order);
        with a tie_order, by votes and then that order, as Pabulib's checker reads a file."""
        if self.ranked:
            return sorted(range(len(self.ids)), key=lambda p: (-self.votes[p], self.id_rank[p]))
        return sorted(range(len(self.ids)), key=lambda p: (-self.votes[p], self.costs[p], self.id_rank[p]))

    def outcome(self, p, funded, reason, left_before=None, payment=None, held=None):
        return ProjectOutcome(self.ids[p], self.costs[p], self.votes[p], funded, reason, left_before, payment, held)

    def result(self, rule, budget, chosen, outcomes, share=None):
        spent = sum(self.costs[p] for p in chosen)
        listed = sorted(outcomes, key=lambda p: (-self.votes[p], self.id_rank[p]))
        return BudgetResult(
            rule=rule,
            budget=budget,
            funded=tuple(self.ids[p] for p in chosen),
            spent=spent,
            left=budget - spent,
            projects=tuple(outcomes[p] for p in listed),
            share_per_voter=share,
        )


def _id_key(project_id):
    if isinstance(project_id, bool) or not isinstance(project_id, int | float):
        return (1, str(project_id))
    return (0, project_id)


def _greedy_result(rule, budget, profile):
    left, chosen, outcomes, stopped = budget, [], {}, False
    for p in profile.by_votes():
        cost = profile.costs[p]
        if profile.votes[p] == 0:
            outcomes[p] = profile.outcome(p, False, NO_VOTES)
        elif stopped:
            outcomes[p] = profile.outcome(p, False, STOPPED_AT_FIRST_MISFIT, left)
        elif cost <= left:
            chosen.append(p)
            left -= cost
            outcomes[p] = profile.outcome(p, True, FUNDED)
        else:
            outcomes[p] = profile.outcome(p, False, DID_NOT_FIT, left)
            stopped = rule == "greedy-no-skip"
    return profile.result(rule, budget, chosen, outcomes)


@dataclass
class _Run:
    winners: list
    rho: dict
    payments: dict
    budgets: np.ndarray
    # Every branch the run took (see _equal_shares_result for why): which projects were looked at and
    # how each came out, the order of their supporters' money, who paid all they had.
    trace: list


def _run_equal_shares(profile, share):
    """The Method of Equal Shares for approval ballots with cost utilities, every voter starting with share.

    As in equalshares.net's reference code, a project's payment per supporter only grows as
    voters spend, so the last payment computed for a project is a lower bound of its next one and
    projects are looked at cheapest-bound first, stopping as soon as no bound can beat the best.
    """
    budgets = np.full(len(profile.weights), float(share))
    costs, supporters, weights = profile.costs, profile.supporters, profile.weights
    bound = {p: costs[p] / profile.supporter_counts[p] for p in range(len(costs)) if profile.supporter_counts[p]}
    tie = {p: (costs[p], -profile.supporter_counts[p], profile.id_rank[p]) for p in bound}
    run = _Run([], {}, {}, budgets, [])
    trace = run.trace
    while bound:
        # best_rho: the smallest payment seen this round, which ties are measured against;
        # best_own: the chosen project's own payment (the same up to rounding), which is charged.
        best, best_rho, best_own = None, None, None
        for p in sorted(bound, key=lambda p: (bound[p], tie[p])):
            if best_rho is not None and bound[p] > best_rho * (1 + _TOLERANCE):
                trace.append(("stop", p))
                break
            rho = _payment_per_supporter(costs[p], budgets[supporters[p]], weights[supporters[p]], trace)
            if rho is None:
                del bound[p]  # its supporters cannot pay for it now, and will never have more money
                trace.append(("short", p))
                continue
            bound[p] = rho
            if best_rho is None or rho < best_rho * (1 - _TOLERANCE):
                best, best_rho, best_own = p, rho, rho
                trace.append(("best", p))
            elif rho <= best_rho * (1 + _TOLERANCE) and tie[p] < tie[best]:
                best, best_own = p, rho
                trace.append(("tie", p))
            else:
                trace.append(("worse", p))
        if best is None:
            break
        del bound[best]
        members = supporters[best]
        before = budgets[members]
        pays_part = before > best_own
        after = np.where(pays_part, before - best_own, 0.0)
        budgets[members] = after
        trace.append(("bought", best, pays_part.tobytes()))
        run.winners.append(best)
        run.rho[best] = float(best_own)
        run.payments[best] = float(((before - after) * weights[members]).sum())
    return run


def _payment_per_supporter(cost, budgets, weights, trace):
    """The smallest rho such that supporters paying min(budget, rho) each raise cost; None if they cannot.

    Water-filling instead of sorting the supporters by money: whoever holds less than the equal
    split of what is still to pay pays everything they have, and the split is worked out again
    for the others until nobody else falls short. A few passes over the supporters instead of a
    sort; it is the same rho as the reference code's walk up the sorted budgets.
    """
    rho = cost / weights.sum()
    short = budgets < rho
    if not short.any():
        trace.append("equal")
        return rho
    if float(budgets @ weights) < cost * (1 - _TOLERANCE):
        return None
    while True:
        trace.append(short.tobytes())
        still_paying = float(weights @ ~short)
        if still_paying == 0:  # everyone pays all they have: enough, up to rounding
            return float(budgets.max())
        rho = (cost - float((budgets * weights) @ short)) / still_paying
        newly_short = (budgets < rho) & ~short
        if not newly_short.any():
            return rho
        short |= newly_short


def _equal_shares_result(budget, profile):
    rule = "equalshares"
    if profile.voters == 0:
        outcomes = {p: profile.outcome(p, False, NO_VOTES) for p in range(len(profile.ids))}
        return profile.result(rule, budget, [], outcomes)
    costs, n = profile.costs, profile.voters
    share = budget / n
    run = _run_equal_shares(profile, share)
    # The add-one completion of equalshares.net's reference code: from a whole share per voter,
    # raise it by one currency unit at a time while the outcome is not exhaustive and still fits the
    # real budget. With few voters and a large budget that is many thousands of runs, so runs are
    # skipped where they provably change nothing: every number in a run is the share times a
    # constant plus a constant once its branches are fixed, and every branch is a comparison of
    # two such numbers, so the shares that take one set of branches form an interval. When the
    # runs at shares s and s + k take the same branches (the same trace), so does every share in
    # between, with the same outcome: the one-by-one loop would have gone on to s + k.
    step_share = budget // n
    approved = sum(1 for count in profile.supporter_counts if count)
    stable_trace, jump = None, 1
    while True:
        spent = sum(costs[p] for p in run.winners)
        chosen = set(run.winners)
        exhaustive = all(p in chosen or spent + costs[p] > budget for p in range(len(costs)))
        if exhaustive or len(chosen) == approved:
            break
        candidate = _run_equal_shares(profile, step_share + jump)
        if jump > 1:
            if candidate.trace == stable_trace:
                step_share += jump
                run, share, jump = candidate, step_share, jump * 2
            else:
                jump = 1
            continue
        if sum(costs[p] for p in candidate.winners) > budget:
            break
        jump = 2 if candidate.trace == stable_trace else 1
        step_share += 1
        run, share, stable_trace = candidate, step_share, candidate.trace
    chosen = list(run.winners)
    outcomes = {p: profile.outcome(p, True, FUNDED, payment=run.rho[p]) for p in chosen}
    left = budget - sum(costs[p] for p in chosen)
    for p in profile.by_votes():
        if p in outcomes:
            continue
        if profile.votes[p] == 0:
            outcomes[p] = profile.outcome(p, False, NO_VOTES)
        elif costs[p] <= left:
            chosen.append(p)
            left -= costs[p]
            outcomes[p] = profile.outcome(p, True, FUNDED_IN_COMPLETION)
        else:
            members = profile.supporters[p]
            held = float(run.budgets[members] @ profile.weights[members])
            outcomes[p] = profile.outcome(p, False, SUPPORTERS_COULD_NOT_PAY, left, held=held)
    return profile.result(rule, budget, chosen, outcomes, share=float(share))
