"""Demo proposals: one in every state, supported by the demo's residents (real accounts, so
every support is one person), with answers from the demo official."""

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from civic.accounts.models import User
from civic.common import clock
from civic.discussions.services.discussions import create_attached_discussion
from civic.extensions import db
from civic.mail.models import Mailing
from civic.proposals.models import Proposal, Support
from civic.proposals.services import answers, lifecycle, supporting

# title, summary, topic, area, author, state, supports, days since published
DEMO_PROPOSALS = [
    (
        "A covered bicycle park beside the station",
        "Commuters leave their bikes in the rain. A covered, lit park with 200 places would fit in the "
        "unused corner of the station car park.",
        "Transport",
        "",
        "ana",
        "open",
        212,
        38,
    ),
    (
        "Drinking fountains along the river walk",
        "There is no water for walkers and runners for three kilometres. Four fountains would do.",
        "Parks",
        "Riverside",
        "grace",
        "open",
        37,
        6,
    ),
    (
        "Free swimming lessons for every eight-year-old",
        "Too many children leave primary school unable to swim. The municipal pool is empty on weekday mornings.",
        "Sport",
        "",
        "tomas",
        "review",
        305,
        51,
    ),
    (
        "Repaint the zebra crossings near schools every year",
        "Faded crossings outside three schools are hard to see in winter.",
        "Transport",
        "Old Town",
        "grace",
        "accepted",
        301,
        120,
    ),
    (
        "Replace the bandstand with a car park",
        "Parking near the square is hard on market days.",
        "Transport",
        "Old Town",
        "tomas",
        "rejected",
        18,
        95,
    ),
    (
        "Benches every 200 metres on Calle Mayor",
        "Older residents cannot walk the length of the street without a rest.",
        "Streets",
        "",
        "grace",
        "planned",
        88,
        100,
    ),
    (
        "Lower the speed limit on the ring road",
        "The ring road is loud and dangerous at night.",
        "Transport",
        "",
        "ana",
        "not_ours",
        140,
        92,
    ),
    (
        "A community garden on the empty plot in Northfield",
        "Neighbours would grow vegetables and flowers where there are weeds now.",
        "Parks",
        "Northfield",
        "ana",
        "more_info",
        64,
        93,
    ),
    (
        "Night buses on Friday and Saturday",
        "The last bus leaves the centre at 23:30; taxis are scarce and expensive.",
        "Transport",
        "",
        "tomas",
        "implemented",
        310,
        200,
    ),
    (
        "Dog waste bins in every park",
        "Two bins for the whole of the river park are not enough.",
        "Parks",
        "Riverside",
        "tomas",
        "expired",
        41,
        120,
    ),
    (
        "A weekly farmers' market in the old square",
        "Local growers have nowhere to sell in the centre.",
        "Markets",
        "Old Town",
        "grace",
        "withdrawn",
        3,
        20,
    ),
    (
        "Shelter for bikes at the railway station",
        "Somewhere dry to leave a bike by the trains.",
        "Transport",
        "",
        "tomas",
        "duplicate",
        25,
        30,
    ),
]

ANSWERS = {
    "accepted": "Yes. From next school year the crossings outside every school are repainted each August.",
    "rejected": "No: the bandstand is a listed structure, and the square is kept for people on foot.",
    "planned": "This is already in the **Calle Mayor plan**: 24 benches go in this autumn.",
    "not_ours": "The ring road belongs to the regional government. We have passed your proposal on to them.",
    "more_info": "Who would look after the garden? Tell us in the discussion whether a neighbours' "
    "association would take it on.",
    "implemented": "Night buses N1 and N2 run since March, every 30 minutes until 04:00.",
}


def seed_proposals(people, official):
    """`people`: the named demo citizens by first name. Residents (resident*@...) support."""
    if db.session.scalar(select(func.count()).select_from(Proposal)):
        return
    residents = list(
        db.session.scalars(select(User.id).where(User.email_normalized.like("resident%")).order_by(User.id))
    )
    rng = random.Random(13)
    now = clock.now()
    threshold = lifecycle.supports_needed()
    by_title = {}
    for title, summary, topic, area, who, state, count, days in DEMO_PROPOSALS:
        author = people[who]
        published = now - timedelta(days=days)
        count = min(count, len(residents))
        proposal = Proposal(
            title=title,
            summary=summary,
            body_markdown="",
            body_html="",
            topic=topic,
            area=area,
            author_id=author.id,
            author_name=author.display_name,
            state="open",
            published_at=published,
            created_at=published,
            deadline=published + timedelta(days=lifecycle.days_to_collect()),
            # With few residents (tests) a proposal that reached its supports still did.
            supports_needed=min(threshold, count) if state in ("review", "accepted", "implemented") else threshold,
            support_count=count,
        )
        db.session.add(proposal)
        db.session.flush()
        proposal.discussion_id = create_attached_discussion("proposal", proposal.id, title).id
        span = min(days, lifecycle.days_to_collect()) * 86400
        if count:
            db.session.execute(
                insert(Support),
                [
                    {
                        "proposal_id": proposal.id,
                        "user_id": user_id,
                        "created_at": published + timedelta(seconds=span * rng.random() ** 1.5),
                    }
                    for user_id in rng.sample(residents, count)
                ],
            )
        supporting.rebuild_support_days(proposal.id)
        if proposal.total_supports >= proposal.supports_needed:
            proposal.state, proposal.review_started_at = "review", published + timedelta(days=days // 3)
        elif proposal.deadline <= now:
            proposal.state, proposal.expired_at = "expired", proposal.deadline
        db.session.commit()
        by_title[title] = proposal
        if state == "withdrawn":
            lifecycle.withdraw_proposal(author, proposal)
        elif state == "duplicate":
            answers.merge_proposal(
                official, proposal, by_title[DEMO_PROPOSALS[0][0]].id, "The same request as the bicycle park."
            )
        elif state == "implemented":
            answers.answer_proposal(official, proposal, "accepted", "Yes: night buses start in March.")
            answers.mark_implemented(official, proposal, ANSWERS["implemented"])
        elif state in ANSWERS:
            answers.answer_proposal(official, proposal, state, ANSWERS[state])
        if proposal.answered_at is not None:  # answered a while ago, not as the demo was seeded
            proposal.answered_at = min(now, published + timedelta(days=min(days - 5, 95)))
            db.session.commit()
    supporting.refresh_trending()
    # The residents are invented: the answers' mailings to them are written off, not sent (as their
    # consultation receipts are not).
    db.session.execute(
        update(Mailing).where(Mailing.about_type == "proposal", Mailing.finished_at.is_(None)).values(finished_at=now)
    )
    db.session.commit()
