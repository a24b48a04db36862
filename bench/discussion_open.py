"""How long does opening a discussion take, with 5,000 comments and with 50?

Issue 3: "Opening a discussion with 5,000 comments (first page) and with 50 comments: report both
medians; the first must be within 2x of the second."

Builds a throw-away database with the Alembic migrations (SQLite in a temporary directory, or a
temporary database on the PostgreSQL server of --database-url), seeds two discussions with bulk
inserts (a realistic comment tree: threads of very different sizes, replies up to depth 8, votes
spread so that "best" ordering matters), then times GET /discussions/<id> with Flask's test client.
It prints, for each case, the median and p95 time, the SQL statements per render (an N+1 would
show here), the comments on the page and the HTML size, and the big/small ratio of medians.

Exit status 1 when a ratio exceeds --max-ratio (2.0).

    .venv/bin/python bench/discussion_open.py
    .venv/bin/python bench/discussion_open.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import bisect
import contextlib
import cProfile
import io
import os
import pstats
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate

import _common

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
WORDS = (
    "the council bus lane street bike park budget school square market noise tree library "
    "parking tram safety children shop neighbour traffic plan vote proposal cost summer winter "
    "river bridge housing rent light bench path crossing speed water clean air quiet local"
).split()


# --- seeding -------------------------------------------------------------------------------


def _sentence(rng):
    words = rng.choices(WORDS, k=rng.randint(6, 18))
    return " ".join(words).capitalize() + "."


def _body(rng):
    """Comment text of varied length, with some Markdown."""
    paragraphs = []
    for _ in range(rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
        sentences = [_sentence(rng) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.2:
            sentences[0] = f"**{sentences[0]}**"
        paragraphs.append(" ".join(sentences))
    if rng.random() < 0.1:
        paragraphs.append("- " + _sentence(rng) + "\n- " + _sentence(rng))
    if rng.random() < 0.05:
        paragraphs.insert(0, "> " + _sentence(rng))
    return "\n\n".join(paragraphs)


def plan_tree(rng, total, top_level, max_depth):
    """A comment tree as a list of dicts in id order (parents before replies).

    Each top-level comment gets a popularity drawn from a Pareto distribution; replies go to
    threads in proportion to it, so a few threads hold hundreds of replies and most hold none
    (as on real sites). Inside a thread a reply answers the top comment 35% of the time,
    otherwise one of the latest four replies (35%) or any earlier reply (30%), down to
    max_depth. Popular threads also collect more votes, so the first page sorted by "best"
    shows the big threads."""
    span = 10 * 24 * 3600.0  # the discussion runs for ten days
    nodes = []
    roots = []
    for _ in range(top_level):
        node = {"parent": None, "depth": 0, "t": rng.uniform(0, span), "pop": rng.paretovariate(1.1)}
        node["thread"] = node
        nodes.append(node)
        roots.append(node)
    cumulative = list(accumulate(r["pop"] for r in roots))
    members = {id(r): [r] for r in roots}
    for _ in range(total - top_level):
        root = roots[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
        candidates = members[id(root)]
        draw = rng.random()
        if draw < 0.35 or len(candidates) == 1:
            parent = root
        elif draw < 0.7:  # the conversation goes on under one of the latest replies
            parent = rng.choice(candidates[-4:] if len(candidates) > 4 else candidates[1:])
        else:
            parent = rng.choice(candidates[1:])
        while parent["depth"] >= max_depth:
            parent = parent["parent"]
        node = {
            "parent": parent,
            "depth": parent["depth"] + 1,
            "thread": root,
            "t": parent["t"] + rng.expovariate(1 / 3600.0) + 1.0,
            "pop": 0.0,
        }
        nodes.append(node)
        candidates.append(node)
    nodes.sort(key=lambda n: n["t"])  # ids follow time, so a reply's id is above its parent's
    for n, node in enumerate(nodes):
        node["index"] = n
    for node in reversed(nodes):  # descendants counted bottom-up (reply_count)
        node.setdefault("descendants", 0)
        if node["parent"] is not None:
            parent = node["parent"]
            parent["descendants"] = parent.get("descendants", 0) + node["descendants"] + 1
    for node in nodes:
        if node["depth"] == 0:
            base = min(500.0, 2 + node["pop"] * 6 + node["descendants"] * 0.8)
        else:
            base = rng.expovariate(1 / 4.0) + node["descendants"] * 0.5
        up = int(rng.expovariate(1 / base)) if base > 0 else 0
        down = int(up * rng.betavariate(1.2, 3.0)) + (1 if rng.random() < 0.3 else 0)
        node["up"], node["down"] = up, down
    return nodes


def seed_discussion(app, *, starter, category, authors, viewer, total, top_level, max_depth, rng, title):
    """One discussion with `total` comments inserted in bulk; counters as post_comment keeps them."""
    from sqlalchemy import func, insert, select, update

    from civic.discussions.models import PATH_SEGMENT_WIDTH, Comment, CommentVote, Discussion
    from civic.discussions.scoring import controversy, wilson_lower_bound
    from civic.discussions.services._shared import render_comment_body
    from civic.discussions.services.discussions import start_discussion
    from civic.extensions import db

    discussion = start_discussion(starter, category, title=title, body="What should the council do? " + _sentence(rng))
    start = datetime.now(UTC) - timedelta(days=11)
    first_id = (db.session.scalar(select(func.max(Comment.id))) or 0) + 1
    nodes = plan_tree(rng, total, top_level, max_depth)
    rows, votes = [], []
    stances = {"in_favour": 0, "against": 0, "neutral": 0}
    html_cache = {}
    for node in nodes:
        cid = first_id + node["index"]
        node["id"] = cid
        parent = node["parent"]
        segment = str(cid).zfill(PATH_SEGMENT_WIDTH)
        node["path"] = f"{parent['path']}{segment}/" if parent else f"{segment}/"
        body = _body(rng)
        if body not in html_cache:
            html_cache[body] = render_comment_body(body)
        stance = rng.choices((None, "in_favour", "against", "neutral"), weights=(4, 3, 3, 1))[0]
        if stance:
            stances[stance] += 1
        created = start + timedelta(seconds=node["t"])
        rows.append(
            {
                "id": cid,
                "discussion_id": discussion.id,
                "parent_id": parent["id"] if parent else None,
                "root_id": node["thread"]["id"],
                "depth": node["depth"],
                "path": node["path"],
                "author_id": rng.choice(authors).id,
                "body_markdown": body,
                "body_html": html_cache[body],
                "stance": stance,
                "created_at": created,
                "edited_at": None,
                "deleted_at": None,
                "hidden_at": None,
                "hidden_reason": "",
                "pinned_at": None,
                "upvotes": node["up"],
                "downvotes": node["down"],
                "best_score": wilson_lower_bound(node["up"], node["down"]),
                "controversy": controversy(node["up"], node["down"]),
                "reply_count": node["descendants"],
            }
        )
        if viewer is not None and rng.random() < 0.08:
            votes.append(
                {"comment_id": cid, "user_id": viewer.id, "value": rng.choice((1, 1, 1, -1)), "created_at": created}
            )
    db.session.execute(insert(Comment.__table__), rows)
    if votes:
        db.session.execute(insert(CommentVote.__table__), votes)
    db.session.execute(
        update(Discussion)
        .where(Discussion.id == discussion.id)
        .values(
            comment_count=total,
            top_level_count=top_level,
            in_favour_count=stances["in_favour"],
            against_count=stances["against"],
            neutral_count=stances["neutral"],
            last_activity_at=start + timedelta(seconds=max(n["t"] for n in nodes)),
        )
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        from sqlalchemy import text

        for table in ("comment", "comment_vote"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )
        db.session.commit()
    depths = [n["depth"] for n in nodes]
    biggest = sorted((n["descendants"] for n in nodes if n["depth"] == 0), reverse=True)
    return discussion.id, {
        "comments": total,
        "top_level": top_level,
        "max_depth": max(depths),
        "threads_with_replies": sum(1 for b in biggest if b),
        "largest_threads": biggest[:5],
        "viewer_votes": len(votes),
    }


def seed(app, args):
    from civic.extensions import db

    rng = random.Random(args.seed)
    with app.app_context():
        t0 = time.perf_counter()
        admin = _common.make_users(1, prefix="admin", roles=("citizen", "admin"))[0]
        authors = _common.make_users(args.authors, prefix="author")
        viewer = _common.make_users(1, prefix="viewer")[0]
        category = _common.make_category(admin)
        big_id, big = seed_discussion(
            app,
            starter=authors[0],
            category=category,
            authors=authors,
            viewer=viewer,
            total=args.comments,
            top_level=args.top_level,
            max_depth=args.max_depth,
            rng=rng,
            title="Should Calle Mayor be car-free? (big)",
        )
        small_top = max(1, round(args.small * args.top_level / args.comments))
        small_id, small = seed_discussion(
            app,
            starter=authors[0],
            category=category,
            authors=authors,
            viewer=viewer,
            total=args.small,
            top_level=small_top,
            max_depth=args.max_depth,
            rng=rng,
            title="Should Calle Mayor be car-free? (small)",
        )
        viewer_email = viewer.email
        db.session.remove()
        print(f"seeded in {time.perf_counter() - t0:.1f} s")
    for name, info in (("big", big), ("small", small)):
        print(
            f"  {name}: {info['comments']} comments, {info['top_level']} top-level, max depth "
            f"{info['max_depth']}, {info['threads_with_replies']} threads with replies, "
            f"largest threads {info['largest_threads']} replies, viewer voted on {info['viewer_votes']}"
        )
    return {"big": big_id, "small": small_id}, viewer_email


# --- timing --------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.statements, self.keep = 0, [], False
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.keep:
            self.statements.append(" ".join(statement.split()))

    def reset(self, keep=False):
        self.count, self.statements, self.keep = 0, [], keep


def sign_in(client, email):
    page = client.get("/sign-in").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": _common.PASSWORD})
    if response.status_code != 302:
        sys.exit(f"could not sign in as {email}: HTTP {response.status_code}")


def measure(app, ids, viewer_email, args):
    from civic.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
    clients = {"anonymous": app.test_client()}
    if not args.anonymous_only:
        clients["signed-in"] = app.test_client()
        sign_in(clients["signed-in"], viewer_email)
    cases = [(who, sort) for who in clients for sort in args.sorts]
    samples = {(who, sort, size): [] for who, sort in cases for size in ids}
    info = {}

    def get(who, sort, size):
        url = f"/discussions/{ids[size]}" + ("" if sort == "best" else f"?sort={sort}")
        counter.reset()
        start = time.perf_counter()
        response = clients[who].get(url)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            sys.exit(f"GET {url} as {who}: HTTP {response.status_code}")
        return elapsed, response, counter.count

    for who, sort in cases:  # warm-up, and what each page holds
        for size in ids:
            for _ in range(args.warmup):
                get(who, sort, size)
            _elapsed, response, queries = get(who, sort, size)
            html = response.get_data(as_text=True)
            info[(who, sort, size)] = {
                "queries": queries,
                "comments": html.count('data-comment-id="'),
                "kib": len(response.data) / 1024,
            }
    trivial = samples["trivial"] = []  # a page that runs one query: what the framework costs
    for _ in range(args.warmup):
        clients["anonymous"].get("/about")
    watch = _common.CpuWatch([os.getpid()])
    for _ in range(args.runs):  # interleaved, so that drift affects every case alike
        counter.reset()
        start = time.perf_counter()
        clients["anonymous"].get("/about")
        trivial.append(time.perf_counter() - start)
        for who, sort in cases:
            for size in ids:
                elapsed, _response, queries = get(who, sort, size)
                samples[(who, sort, size)].append(elapsed)
                info[(who, sort, size)].setdefault("query_counts", set()).add(queries)
    cpu = watch.report()

    if args.show_queries:
        for who, sort in cases:
            counter.reset(keep=True)
            clients[who].get(f"/discussions/{ids['big']}?sort={sort}")
            print(f"\nSQL for one render ({who}, sort={sort}, big): {len(counter.statements)} statements")
            for statement in counter.statements:
                print("   ", statement[:160])
    if args.profile:
        for who, sort in [case for case in cases if case[1] == cases[0][1]]:  # each reader, first sort
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                clients[who].get(f"/discussions/{ids['big']}?sort={sort}")
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            ).print_stats(40)
            print(f"\nprofile of 5 renders ({who}, sort={sort}, big):\n{out.getvalue()}")
    return cases, samples, info, cpu


def report(cases, samples, info, cpu, args, database):
    print(f"\nGET /discussions/<id>, {args.runs} runs each after {args.warmup} warm-up, database: {database}")
    header = (
        f"{'viewer':<10} {'sort':<8} {'discussion':<18} {'median ms':>9} {'p95 ms':>8} {'SQL/page':>8} "
        f"{'comments shown':>14} {'KiB':>6}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    ratios = []
    for who, sort in cases:
        medians = {}
        for size, label in (("big", f"{args.comments} comments"), ("small", f"{args.small} comments")):
            values = samples[(who, sort, size)]
            median, p95, _max = _common.summary_ms(values)
            medians[size] = median
            data = info[(who, sort, size)]
            queries = "/".join(str(q) for q in sorted(data["query_counts"]))
            print(
                f"{who:<10} {sort:<8} {label:<18} {median:>9.1f} {p95:>8.1f} {queries:>8} "
                f"{data['comments']:>14} {data['kib']:>6.0f}"
            )
        ratio = medians["big"] / medians["small"]
        ratios.append((who, sort, ratio, medians["big"]))
        worst = max(worst, ratio)
    trivial, _p95, _max = _common.summary_ms(samples["trivial"])
    print(f"{'anonymous':<10} {'-':<8} {'GET /about':<18} {trivial:>9.1f} {_p95:>8.1f}   (a trivial page, for scale)")
    print(cpu + (" (the PostgreSQL server counts as another process)" if database == "PostgreSQL" else ""))
    print()
    for who, sort, ratio, big in ratios:
        verdict = "ok" if ratio <= args.max_ratio else "FAIL"
        print(
            f"ratio big/small ({who}, sort={sort}): {ratio:.2f}  [{verdict}: target <= {args.max_ratio}]; "
            f"big/trivial page: {big / trivial:.1f}"
        )
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to use (a temporary database is created on it "
        "and dropped afterwards); default: SQLite in a temporary directory",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the temporary PostgreSQL database")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--comments", type=int, default=5000, help="comments in the big discussion")
    parser.add_argument("--top-level", type=int, default=1500, help="top-level comments in the big discussion")
    parser.add_argument(
        "--small", type=int, default=50, help="comments in the small discussion (same top-level share as the big one)"
    )
    parser.add_argument("--max-depth", type=int, default=8)
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--sorts", nargs="+", default=["best", "newest"], choices=["best", "newest", "oldest", "controversial"]
    )
    parser.add_argument("--anonymous-only", action="store_true", help="skip the signed-in reader")
    parser.add_argument(
        "--page-cache",
        metavar="REDIS_URL",
        help="turn the page cache on with this Redis (anonymous pages kept whole; signed-in readers "
        "share the comments: civic/discussions/shared_threads.py)",
    )
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one render per case")
    parser.add_argument("--profile", action="store_true", help="cProfile five renders of the big page")
    parser.add_argument(
        "--what-if-replies-per-thread",
        type=int,
        metavar="N",
        help="what-if: set threads.REPLIES_SHOWN_PER_THREAD (30) to N in this process only",
    )
    parser.add_argument(
        "--what-if-visible-depth",
        type=int,
        metavar="N",
        help="what-if: set threads.MAX_VISIBLE_DEPTH (4) to N in this process only",
    )
    args = parser.parse_args()

    from civic.discussions.services import threads

    for option, name in (
        ("what_if_replies_per_thread", "REPLIES_SHOWN_PER_THREAD"),
        ("what_if_visible_depth", "MAX_VISIBLE_DEPTH"),
    ):
        value = getattr(args, option)
        if value is not None:
            print(f"WHAT-IF: threads.{name} = {value} (was {getattr(threads, name)}); not the shipped setting")
            setattr(threads, name, value)

    from civic import create_app
    from civic.extensions import db

    with tempfile.TemporaryDirectory(prefix="civic-bench-") as workdir:
        pg = _common.TemporaryPostgres(args.database_url, keep=args.keep_database) if args.database_url else None
        with pg if pg else contextlib.nullcontext() as url:
            overrides = {"SQLALCHEMY_DATABASE_URI": url} if url else {}
            if args.page_cache:
                overrides.update(
                    REDIS_URL=args.page_cache,
                    CIVIC_PAGE_CACHE=True,
                    CIVIC_REDIS_KEY_PREFIX=f"civic-bench-{os.getpid()}",
                )
            config = _common.bench_config(workdir, **overrides)
            _common.migrate(config)
            app = create_app(config)
            ids, viewer_email = seed(app, args)
            database = "PostgreSQL" if url else "SQLite (file)"
            cases, samples, info, cpu = measure(app, ids, viewer_email, args)
            worst = report(cases, samples, info, cpu, args, database)
            with app.app_context():
                db.engine.dispose()
    sys.exit(0 if worst <= args.max_ratio else 1)


if __name__ == "__main__":
    main()
