"""Issue 13: "Results of a budget with 60 projects and 56,000 approval ballots (Wroclaw's size):
greedy and Equal Shares with completion, each under 5 s on this machine."

A synthetic city-wide budget, the same every run (seeded): 60 projects in 10 districts, costs
log-uniform between 100,000 and 2,000,000 (rounded to 1,000), a budget of about 40% of their
total, and 56,000 approval ballots of 1 to 6 projects (most choose 1 to 3), drawn by each project's
popularity (a log-normal draw) and three times as likely from the voter's own district.
Each rule is timed from the ballots (as the budgets domain hands them over) to the result.
"""

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from civic.insights.budget_rules import Project, compute_result  # noqa: E402

TARGET_SECONDS = 5.0


def wroclaw_sized(seed=13, projects=60, ballots=56_000, districts=10):
    rng = random.Random(seed)
    items = [
        Project(f"P{number:03d}", int(math.exp(rng.uniform(math.log(100_000), math.log(2_000_000))) // 1000 * 1000))
        for number in range(1, projects + 1)
    ]
    district_of = {project.id: rng.randrange(districts) for project in items}
    popularity = {project.id: rng.lognormvariate(0, 1) for project in items}
    budget = int(sum(project.cost for project in items) * 0.4) // 1000 * 1000
    sizes, size_weights = [1, 2, 3, 4, 5, 6], [30, 25, 20, 12, 8, 5]
    ids = [project.id for project in items]
    cast = []
    for _ in range(ballots):
        home = rng.randrange(districts)
        weights = [popularity[p] * (3 if district_of[p] == home else 1) for p in ids]
        size = rng.choices(sizes, size_weights)[0]
        chosen = set()
        while len(chosen) < size:
            chosen.add(rng.choices(ids, weights)[0])
        cast.append({project_id: 1 for project_id in chosen})
    return budget, items, cast


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--ballots", type=int, default=56_000)
    parser.add_argument("--projects", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()

    started = time.perf_counter()
    budget, projects, ballots = wroclaw_sized(arguments.seed, arguments.projects, arguments.ballots)
    print(
        f"{len(projects)} projects costing {sum(p.cost for p in projects):,}, budget {budget:,}, "
        f"{len(ballots):,} ballots ({sum(len(b) for b in ballots) / len(ballots):.2f} projects each, "
        f"{len({frozenset(b) for b in ballots}):,} distinct); generated in {time.perf_counter() - started:.1f} s"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = False
    for rule in ("greedy", "greedy-no-skip", "equalshares"):
        timings, cpu = [], []
        for _ in range(arguments.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = compute_result(rule, budget, projects, ballots)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        best, worst = min(timings), max(timings)
        failed |= worst > TARGET_SECONDS
        extra = f", share per voter {result.share_per_voter:,.0f}" if result.share_per_voter else ""
        print(
            f"{rule:15} best {best:6.2f} s, worst {worst:6.2f} s, CPU {min(cpu):.2f} s "
            f"({'ok' if worst <= TARGET_SECONDS else 'FAIL'}, target {TARGET_SECONDS:.0f} s): "
            f"{len(result.funded)} funded, {result.spent:,} spent, {result.left:,} left{extra}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
