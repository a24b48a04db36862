"""The budget rules: hand-worked examples, the Method of Equal Shares examples published by its
authors, ties, and properties over random small budgets."""

import itertools
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic.insights import budget_rules
from civic.insights.budget_rules import (
    DID_NOT_FIT,
    FUNDED,
    FUNDED_IN_COMPLETION,
    NO_VOTES,
    RULES,
    STOPPED_AT_FIRST_MISFIT,
    SUPPORTERS_COULD_NOT_PAY,
    Project,
    compute_result,
    equal_shares_run,
)

PROPERTIES = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def approvals(*groups):
    """Ballots from (how many, "abc") pairs: that many voters approving projects a, b and c (or a list of ids)."""
    return [{project_id: 1 for project_id in letters} for count, letters in groups for _ in range(count)]


def outcome(result, project_id):
    return next(p for p in result.projects if p.id == project_id)


# --- greedy -------------------------------------------------------------------------------------


def test_greedy_takes_projects_by_votes_and_skips_those_that_do_not_fit():
    projects = [Project("a", 60), Project("b", 50), Project("c", 30), Project("d", 10)]
    ballots = approvals((5, "a"), (4, "b"), (3, "c"), (2, "d"))
    result = compute_result("greedy", 100, projects, ballots)
    assert result.funded == ("a", "c", "d")
    assert (result.spent, result.left) == (100, 0)
    assert outcome(result, "b").reason == DID_NOT_FIT
    assert outcome(result, "b").left_before == 40
    assert [p.id for p in result.projects] == ["a", "b", "c", "d"]
    assert [p.votes for p in result.projects] == [5, 4, 3, 2]


def test_greedy_no_skip_stops_at_the_first_project_that_does_not_fit():
    projects = [Project("a", 60), Project("b", 50), Project("c", 30), Project("d", 10)]
    ballots = approvals((5, "a"), (4, "b"), (3, "c"), (2, "d"))
    result = compute_result("greedy-no-skip", 100, projects, ballots)
    assert result.funded == ("a",)
    assert (outcome(result, "b").reason, outcome(result, "b").left_before) == (DID_NOT_FIT, 40)
    assert (outcome(result, "c").reason, outcome(result, "c").left_before) == (STOPPED_AT_FIRST_MISFIT, 40)
    assert outcome(result, "d").reason == STOPPED_AT_FIRST_MISFIT


def test_greedy_counts_points_of_cumulative_ballots():
    projects = [Project("a", 50), Project("b", 50)]
    ballots = [{"a": 1, "b": 4}, {"a": 3}, {"b": 1}]  # a: 4 points, b: 5 points
    result = compute_result("greedy", 50, projects, ballots)
    assert result.funded == ("b",)
    assert (outcome(result, "a").votes, outcome(result, "b").votes) == (4, 5)


def test_greedy_breaks_a_tie_in_votes_by_the_lower_cost_then_the_lower_id():
    projects = [Project("z", 30), Project("b", 40), Project("a", 40)]
    ballots = approvals((3, "abz"))
    result = compute_result("greedy", 70, projects, ballots)
    assert result.funded == ("z", "a")
    assert outcome(result, "b").left_before == 0
    assert [p.id for p in result.projects] == ["a", "b", "z"]  # listed by votes, ties by id


def test_numeric_ids_are_ordered_as_numbers():
    projects = [Project(10, 10), Project(9, 10)]
    result = compute_result("greedy", 10, projects, approvals((1, "")) + [{9: 1, 10: 1}])
    assert result.funded == (9,)


def test_a_project_nobody_voted_for_is_never_funded():
    projects = [Project("a", 10), Project("b", 10)]
    for rule in RULES:
        result = compute_result(rule, 1000, projects, approvals((3, "a")))
        assert result.funded == ("a",)
        assert outcome(result, "b").reason == NO_VOTES
        assert not outcome(result, "b").funded


def test_no_ballots_funds_nothing():
    for rule in RULES:
        result = compute_result(rule, 100, [Project("a", 10)], [])
        assert result.funded == () and result.left == 100


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: compute_result("borda", 10, [], []), "unknown rule"),
        (lambda: compute_result("greedy", -1, [], []), "negative"),
        (lambda: compute_result("greedy", 10, [Project("a", 0)], []), "more than 0"),
        (lambda: compute_result("greedy", 10, [Project("a", 2.5)], []), "whole amount"),
        (lambda: compute_result("greedy", 10, [Project("a", 1), Project("a", 2)], []), "twice"),
        (lambda: compute_result("greedy", 10, [Project("a", 1)], [{"b": 1}]), "unknown project"),
        (lambda: compute_result("greedy", 10, [Project("a", 1)], [{"a": -1}]), "negative points"),
    ],
)
def test_bad_input_is_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- Method of Equal Shares ---------------------------------------------------------------------


def test_equal_shares_example_11_of_lackner_and_skowron():
    """Lackner & Skowron, "Multi-Winner Voting with Approval Preferences" (2023), Example 11 as
    computed by abcvoting: unit costs, committee size 4, so each of the 12 voters holds 1/3.
    The Method of Equal Shares buys a (each of its 8 supporters pays 1/8), then nothing else."""
    projects = [Project(c, 1) for c in "abcdefg"]
    ballots = approvals((3, "ab"), (3, "ac"), (2, "ad"), (1, "bcf"), (1, "e"), (1, "f"), (1, "g"))
    run = equal_shares_run(4, projects, ballots)
    assert run.winners == ("a",)
    assert run.rho["a"] == pytest.approx(1 / 8)
    assert run.spent_per_ballot[0] == pytest.approx(1 / 8)
    assert run.spent_per_ballot[-1] == 0


def test_equal_shares_example_12_of_lackner_and_skowron():
    """The book's Example 12: 8 voters, committee size 3 (each voter holds 3/8). c is bought at
    1/5 per supporter; then a at 13/40 beats b at 1/3: the {a, c} voters pay their last 7/40."""
    projects = [Project(c, 1) for c in "abcd"]
    ballots = approvals((3, "cd"), (2, "ab"), (2, "ac"), (1, "bd"))
    run = equal_shares_run(3, projects, ballots)
    assert run.winners == ("c", "a")
    assert run.rho["c"] == pytest.approx(Fraction(1, 5))
    assert run.rho["a"] == pytest.approx(Fraction(13, 40))
    assert run.spent_per_ballot[3:7] == pytest.approx([13 / 40, 13 / 40, 3 / 8, 3 / 8])
    # With the completion, the add-one steps cannot help (a share of 1 per voter buys all four,
    # over the budget), and the greedy fill adds d, the most voted project that still fits.
    result = compute_result("equalshares", 3, projects, ballots)
    assert result.funded == ("c", "a", "d")
    assert outcome(result, "d").reason == FUNDED_IN_COMPLETION
    assert outcome(result, "b").reason == SUPPORTERS_COULD_NOT_PAY
    assert outcome(result, "b").left_before == 0


def test_equal_shares_removes_a_project_its_supporters_cannot_pay_for():
    """equalshares.net's explanation, scaled down: a budget of 1,000 for 100 voters gives each a
    share of 10; a project of 1,000 with 50 votes has only 500 behind it and cannot be bought,
    although greedy would fund it first."""
    projects = [Project("big", 1000), Project("small", 200), Project("other", 150)]
    ballots = approvals((50, ["big"]), (30, ["small"]), (20, ["other"]))
    assert compute_result("greedy", 1000, projects, ballots).funded == ("big",)
    run = equal_shares_run(1000, projects, ballots)
    assert set(run.winners) == {"small", "other"}
    result = compute_result("equalshares", 1000, projects, ballots)
    assert result.funded[:2] == ("small", "other")
    assert outcome(result, "big").reason == SUPPORTERS_COULD_NOT_PAY
    assert outcome(result, "big").left_before == 650  # 1,000 does not fit in it either
    assert outcome(result, "big").supporters_held == pytest.approx(500)  # its 50 supporters' 10 each


def test_equal_shares_is_proportional_where_greedy_is_not():
    """The 51% / 49% example of the method's authors: ten red projects for the majority, ten blue for
    the minority, money for ten. Greedy funds the ten red; Equal Shares five of each."""
    projects = [Project(f"red{i}", 100) for i in range(10)] + [Project(f"blue{i}", 100) for i in range(10)]
    ballots = [{f"red{i}": 1 for i in range(10)}] * 51 + [{f"blue{i}": 1 for i in range(10)}] * 49
    greedy = compute_result("greedy", 1000, projects, ballots)
    assert all(p.startswith("red") for p in greedy.funded)
    shares = compute_result("equalshares", 1000, projects, ballots)
    assert sum(p.startswith("red") for p in shares.funded) == 5
    assert sum(p.startswith("blue") for p in shares.funded) == 5
    assert all(p.reason in (FUNDED, SUPPORTERS_COULD_NOT_PAY) for p in shares.projects)
    # Without the completion, the 49 blue voters' 490 buy only four projects of 100; a share of 11
    # instead of 10 buys the fifth, and 5 + 5 projects still fit the budget.
    run = equal_shares_run(1000, projects, ballots)
    assert sum(p.startswith("blue") for p in run.winners) == 4
    assert shares.share_per_voter == 11


def test_equal_shares_stops_when_nothing_left_would_fit():
    """3 voters, budget 90 (30 each). x (60, voters 1 and 2) is bought at 30 each; y (45, voter 3)
    cannot be: 30 < 45. The 30 left cannot pay for y either, so the outcome is already exhaustive
    and the share is not raised."""
    projects = [Project("x", 60), Project("y", 45)]
    ballots = [{"x": 1}, {"x": 1}, {"y": 1}]
    result = compute_result("equalshares", 90, projects, ballots)
    assert result.funded == ("x",)
    assert outcome(result, "x").payment_per_supporter == 30
    assert (outcome(result, "y").reason, outcome(result, "y").left_before) == (SUPPORTERS_COULD_NOT_PAY, 30)
    assert result.share_per_voter == 30


def test_equal_shares_add_one_completion_keeps_the_larger_outcome_that_fits():
    """Budget 100 for 4 voters (25 each): a (40, voters 1-2) is bought at 20 each; b (50, voters 3-4)
    at 25 each: 90 spent, and c (60, voters 1-2) cannot be paid (10 left each). No extra share
    adds c without going over (a + b + c = 150), so the outcome is {a, b} and 10 stays unspent."""
    projects = [Project("a", 40), Project("b", 50), Project("c", 60)]
    ballots = approvals((2, "ac"), (2, "b"))
    result = compute_result("equalshares", 100, projects, ballots)
    assert result.funded == ("a", "b")
    assert (outcome(result, "c").reason, outcome(result, "c").left_before) == (SUPPORTERS_COULD_NOT_PAY, 10)


def test_equal_shares_add_one_completion_buys_more_with_a_larger_share():
    """Budget 100, 10 voters (10 each). p (40) has 3 supporters: 30 < 40. q (30) has 5: bought at 6.
    With a share of 14, p's 3 supporters hold 42 and it is bought too: 70 spent; the share goes on
    rising until r (50, the last 2 voters, approved by no one else) would be bought at 25 each."""
    projects = [Project("p", 40), Project("q", 30), Project("r", 50)]
    ballots = approvals((3, "p"), (5, "q"), (2, "r"))
    assert equal_shares_run(100, projects, ballots).winners == ("q",)
    result = compute_result("equalshares", 100, projects, ballots)
    assert set(result.funded) == {"p", "q"}
    assert all(outcome(result, p).reason == FUNDED for p in ("p", "q"))
    assert 14 <= result.share_per_voter < 25


def test_equal_shares_breaks_ties_by_lower_cost_then_more_supporters_then_id():
    # The example in equalshares.net's reference code: every project costs 50 per supporter.
    projects = [Project("p1", 100), Project("p2", 50), Project("p3", 50)]
    ballots = [{"p1": 1, "p2": 1}, {"p1": 1}, {"p3": 1}]
    run = equal_shares_run(150, projects, ballots)
    assert run.winners == ("p2", "p3")  # p2 and p3 cost less than p1; between them, the lower id
    projects = [Project("b", 10), Project("a", 20)]
    ballots = approvals((2, "a"), (1, "b"))
    assert equal_shares_run(30, projects, ballots).winners == ("b", "a")  # 10 per supporter each: cheaper first
    projects = [Project("b", 10), Project("a", 10), Project("c", 20)]
    ballots = approvals((1, "a"), (1, "b"), (2, "c"))
    assert equal_shares_run(40, projects, ballots).winners == ("a", "b", "c")


def test_a_given_tie_order_replaces_cost_and_id_in_greedy_and_id_in_equal_shares():
    projects = [Project("a", 10), Project("b", 10), Project("c", 5)]
    ballots = approvals((1, "a"), (1, "b"), (1, "c"), (1, "abc"))
    assert compute_result("greedy", 15, projects, ballots).funded == ("c", "a")
    assert compute_result("greedy", 15, projects, ballots, tie_order=["b", "a", "c"]).funded == ("b", "c")
    projects = [Project("a", 10), Project("b", 10)]
    ballots = approvals((1, "a"), (1, "b"))
    assert compute_result("equalshares", 10, projects, ballots).funded == ("a",)
    assert compute_result("equalshares", 10, projects, ballots, tie_order=["b", "a"]).funded == ("b",)
    result = compute_result("equalshares", 10, projects, ballots, tie_order=["b", "a"])
    assert [p.id for p in result.projects] == ["b", "a"]  # listed by votes, then the given order


def test_equal_shares_pays_exactly_with_shares_that_are_not_whole():
    """100 for 3 voters is 33.33... each: together they pay exactly 100 (floats would miss by a hair)."""
    result = compute_result("equalshares", 100, [Project("a", 100)], approvals((3, "a")))
    assert result.funded == ("a",)
    assert outcome(result, "a").reason == FUNDED


# --- properties ---------------------------------------------------------------------------------


@st.composite
def budgets(draw):
    count = draw(st.integers(1, 6))
    projects = [Project(f"p{i}", draw(st.integers(1, 40))) for i in range(count)]
    ids = [p.id for p in projects]
    ballots = draw(
        st.lists(
            st.dictionaries(st.sampled_from(ids), st.integers(1, 3) if draw(st.booleans()) else st.just(1)),
            max_size=12,
        )
    )
    return draw(st.integers(0, 120)), projects, ballots


def simple_greedy(budget, projects, ballots, skip=True):
    votes = {p.id: sum(b.get(p.id, 0) for b in ballots) for p in projects}
    order = sorted(projects, key=lambda p: (-votes[p.id], p.cost, p.id))
    funded, left = [], budget
    for project in order:
        if votes[project.id] == 0:
            continue
        if project.cost <= left:
            funded.append(project.id)
            left -= project.cost
        elif not skip:
            break
    return tuple(funded)


@PROPERTIES
@given(budgets())
def test_no_rule_ever_spends_more_than_the_budget(case):
    budget, projects, ballots = case
    for rule in RULES:
        result = compute_result(rule, budget, projects, ballots)
        costs = {p.id: p.cost for p in projects}
        assert result.spent == sum(costs[p] for p in result.funded) <= budget
        assert result.left == budget - result.spent
        assert {p.id for p in result.projects if p.funded} == set(result.funded)


def brute_force_greedy(budget, projects, ballots):
    """Every affordable set of voted projects; greedy's is the first in greedy's order of preference:
    compared project by project in that order, the set that has the project where the other has not."""
    votes = {p.id: sum(b.get(p.id, 0) for b in ballots) for p in projects}
    order = sorted((p for p in projects if votes[p.id]), key=lambda p: (-votes[p.id], p.cost, p.id))
    best = None
    for chosen in itertools.product((0, 1), repeat=len(order)):
        if sum(p.cost for p, taken in zip(order, chosen) if taken) <= budget:
            best = max(best or chosen, chosen)
    return {p.id for p, taken in zip(order, best) if taken}


@PROPERTIES
@given(budgets())
def test_greedy_equals_a_brute_force_search(case):
    budget, projects, ballots = case
    assert set(compute_result("greedy", budget, projects, ballots).funded) == brute_force_greedy(
        budget, projects, ballots
    )


@PROPERTIES
@given(budgets())
def test_greedy_equals_the_plain_rule_and_leaves_nothing_that_fits(case):
    budget, projects, ballots = case
    result = compute_result("greedy", budget, projects, ballots)
    assert result.funded == simple_greedy(budget, projects, ballots)
    assert not any(p.cost <= result.left and p.votes for p in result.projects if not p.funded)
    assert compute_result("greedy-no-skip", budget, projects, ballots).funded == simple_greedy(
        budget, projects, ballots, skip=False
    )


@PROPERTIES
@given(budgets())
def test_equal_shares_supporters_pay_each_cost_and_nobody_more_than_their_share(case):
    budget, projects, ballots = case
    if not ballots:
        return
    costs = {p.id: p.cost for p in projects}
    run = equal_shares_run(budget, projects, ballots)
    for project_id in run.winners:
        assert run.payments[project_id] == pytest.approx(costs[project_id])
    assert sum(run.spent_per_ballot) == pytest.approx(sum(costs[p] for p in run.winners))
    for ballot, spent in zip(ballots, run.spent_per_ballot):
        assert spent <= run.share * (1 + 1e-9)
        if not any(p in ballot for p in run.winners):
            assert spent == 0
    result = compute_result("equalshares", budget, projects, ballots)
    bought = tuple(p for p in result.funded if outcome(result, p).reason == FUNDED)
    assert bought == equal_shares_run(result.share_per_voter * len(ballots), projects, ballots).winners


@PROPERTIES
@given(budgets(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_the_ballots(case, rng):
    budget, projects, ballots = case
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    for rule in RULES:
        assert compute_result(rule, budget, projects, shuffled) == compute_result(rule, budget, projects, ballots)


def test_a_larger_random_budget_is_computed_the_same_whatever_the_order():
    rng = random.Random(13)
    projects = [Project(f"p{i:02d}", rng.randrange(1000, 20000, 100)) for i in range(20)]
    ballots = [{f"p{j:02d}": 1 for j in rng.sample(range(20), rng.randint(1, 5))} for _ in range(500)]
    first = compute_result("equalshares", 100_000, projects, ballots)
    rng.shuffle(ballots)
    assert compute_result("equalshares", 100_000, projects, ballots) == first
    assert first.spent <= 100_000


# --- an exact oracle ----------------------------------------------------------------------------


def exact_equal_shares(budget, projects, ballots, share):
    """The Method of Equal Shares voter by voter in exact fractions (as pabutools computes it)."""
    money = [Fraction(share)] * len(ballots)
    supporters = {p.id: [i for i, b in enumerate(ballots) if b.get(p.id)] for p in projects}
    left = [p for p in projects if supporters[p.id]]
    winners = []
    while True:
        best = None
        for project in left:
            voters = supporters[project.id]
            if sum(money[i] for i in voters) < project.cost:
                continue
            paid, rho = Fraction(0), None
            for position, amount in enumerate(sorted(money[i] for i in voters)):
                rho = (project.cost - paid) / (len(voters) - position)
                if rho <= amount:
                    break
                paid += amount
            key = (rho, project.cost, -len(voters), project.id)
            best = min(best, (key, project)) if best else (key, project)
        if best is None:
            return winners
        (rho, *_), project = best
        for i in supporters[project.id]:
            money[i] = max(money[i] - rho, Fraction(0))
        winners.append(project.id)
        left.remove(project)


def exact_equal_shares_with_completion(budget, projects, ballots):
    cost = {p.id: p.cost for p in projects}
    approved = {p.id for p in projects if any(b.get(p.id) for b in ballots)}
    winners = exact_equal_shares(budget, projects, ballots, Fraction(budget, len(ballots)))
    share = budget // len(ballots)
    while True:
        spent = sum(cost[p] for p in winners)
        if set(winners) == approved or all(p in winners or spent + cost[p] > budget for p in cost):
            break
        bigger = exact_equal_shares(budget, projects, ballots, share + 1)
        if sum(cost[p] for p in bigger) > budget:
            break
        share, winners = share + 1, bigger
    left = budget - sum(cost[p] for p in winners)
    votes = {p.id: sum(b.get(p.id, 0) for b in ballots) for p in projects}
    for project in sorted(projects, key=lambda p: (-votes[p.id], p.cost, p.id)):
        if project.id not in winners and votes[project.id] and project.cost <= left:
            winners.append(project.id)
            left -= project.cost
    return tuple(winners)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(budgets())
def test_equal_shares_agrees_with_an_exact_computation(case):
    budget, projects, ballots = case
    if not ballots:
        return
    approval = [{p: 1 for p, points in b.items() if points} for b in ballots]
    expected = exact_equal_shares_with_completion(budget, projects, approval)
    assert compute_result("equalshares", budget, projects, approval).funded == expected


@st.composite
def large_shares(draw):
    """Few voters and costs in thousands: the add-one completion takes hundreds of steps."""
    budget, projects, ballots = draw(budgets())
    return budget * 50, [Project(p.id, p.cost * 50) for p in projects], ballots[:4]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(large_shares())
def test_skipping_shares_gives_what_raising_them_one_by_one_gives(case):
    budget, projects, ballots = case
    if not ballots:
        return
    approval = [{p: 1 for p in b} for b in ballots]
    expected = exact_equal_shares_with_completion(budget, projects, approval)
    assert compute_result("equalshares", budget, projects, approval).funded == expected


def test_few_voters_with_a_large_budget_need_few_runs(monkeypatch):
    """5 voters and 1,000,000: one run per currency unit would be over 100,000 runs."""
    rng = random.Random(1)
    projects = [Project(f"p{i}", rng.randrange(20_000, 200_000, 1000)) for i in range(12)]
    ballots = [{f"p{j}": 1 for j in rng.sample(range(12), rng.randint(1, 4))} for _ in range(5)]
    runs = []
    real_run = budget_rules._run_equal_shares
    monkeypatch.setattr(budget_rules, "_run_equal_shares", lambda *args: runs.append(1) or real_run(*args))
    result = compute_result("equalshares", 1_000_000, projects, ballots)
    assert result.share_per_voter - 1_000_000 / 5 > 100_000
    assert len(runs) < 1000
    assert result.spent <= 1_000_000
