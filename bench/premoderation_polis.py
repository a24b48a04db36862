"""How the automatic pre-moderation rules (civic/insights/premoderation.py) would have judged the
statements of the real Pol.is conversations in ../shared/data/polis (issue 14).

For each conversation, the comments are judged in time order with the default settings. The
moderator's real decision is the column `moderated`: -1 rejected, 1 accepted, 0 never moderated.
Printed per conversation and in total:

* recall: rejected (-1) statements the rules hold or block, out of all rejected ones
* false positives: accepted (1) statements the rules hold or block, out of all accepted ones
* how often each rule fired, and on which kind of statement

Pol.is has no accounts: the "account age" of a statement is the time since its author's first
statement in the conversation, and every email counts as verified (`--unverified` counts none as
verified, so every link is held). The data is read in place, never copied.

    .venv/bin/python bench/premoderation_polis.py [--polis DIR] [--show-held] [--unverified]
"""

import argparse
import csv
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from civic.insights import premoderation  # noqa: E402

DEFAULT_POLIS = PROJECT_ROOT.parent / "shared" / "data" / "polis"


def read_comments(path):
    """[(moment, author, moderated, text)] in time order (then by comment id)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    comments = []
    for row in rows:
        moment = datetime.fromtimestamp(int(row["timestamp"]) / 1000, UTC)
        comments.append((moment, int(row["comment-id"]), row["author-id"], int(row["moderated"]), row["comment-body"]))
    comments.sort()
    return [(moment, author, moderated, text) for moment, _id, author, moderated, text in comments]


def judge_conversation(comments, settings, *, verified=True):
    """[(moderated, verdict, text)] for every comment, judged in time order."""
    judge = premoderation.Judge(settings)
    first_seen = {}
    judged = []
    for moment, author, moderated, text in comments:
        first_seen.setdefault(author, moment)
        submission = premoderation.Submission(
            text=text,
            author=author,
            at=moment,
            account_age=moment - first_seen[author],
            email_verified=verified,
        )
        judged.append((moderated, judge.judge(submission), text))
    return judged


def tally(judged):
    counts = Counter()
    for moderated, verdict, _text in judged:
        counts[("all", moderated)] += 1
        if not verdict.allowed:
            counts[("flagged", moderated)] += 1
            counts[(verdict.rule, moderated)] += 1
    return counts


def percent(part, whole):
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def measure(folder, settings=None, *, verified=True):
    """Counter of ("all"|"flagged"|rule, moderated) for the conversations under `folder`."""
    settings = settings or premoderation.default_settings()
    total = Counter()
    for path in sorted(Path(folder).glob("*/comments.csv")):
        total.update(tally(judge_conversation(read_comments(path), settings, verified=verified)))
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polis", type=Path, default=DEFAULT_POLIS)
    parser.add_argument("--show-held", action="store_true", help="print every held or blocked statement")
    parser.add_argument("--unverified", action="store_true", help="count no email as verified")
    args = parser.parse_args(argv)
    paths = sorted(args.polis.glob("*/comments.csv"))
    if not paths:
        print(f"no comments.csv under {args.polis}", file=sys.stderr)
        return 1
    settings = premoderation.default_settings()
    print(f"{'conversation':40} {'rejected':>8} {'held':>5} {'recall':>7} {'accepted':>8} {'held':>5} {'FP rate':>7}")
    total = Counter()
    for path in paths:
        judged = judge_conversation(read_comments(path), settings, verified=not args.unverified)
        counts = tally(judged)
        total.update(counts)
        rejected, accepted = counts[("all", -1)], counts[("all", 1)]
        held_rejected, held_accepted = counts[("flagged", -1)], counts[("flagged", 1)]
        print(
            f"{path.parent.name[:40]:40} {rejected:8} {held_rejected:5} {percent(held_rejected, rejected):>7}"
            f" {accepted:8} {held_accepted:5} {percent(held_accepted, accepted):>7}"
        )
        if args.show_held:
            for moderated, verdict, text in judged:
                if not verdict.allowed:
                    print(f"    [{moderated:+d}] {verdict.action} {verdict.reason} | {text[:110]!r}")
    rejected, accepted = total[("all", -1)], total[("all", 1)]
    held_rejected, held_accepted = total[("flagged", -1)], total[("flagged", 1)]
    print(
        f"{'TOTAL':40} {rejected:8} {held_rejected:5} {percent(held_rejected, rejected):>7}"
        f" {accepted:8} {held_accepted:5} {percent(held_accepted, accepted):>7}"
    )
    print(f"never moderated (0): {total[('all', 0)]}, of which held: {total[('flagged', 0)]}")
    print("\nby rule:            rejected  accepted  never moderated")
    for rule in premoderation.RULES:
        print(f"  {rule:18} {total[(rule, -1)]:8} {total[(rule, 1)]:9} {total[(rule, 0)]:9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
