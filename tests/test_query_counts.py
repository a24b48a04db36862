"""Every public page runs the same number of SQL statements with a little data and with more
(3 and then 30 items): a count that grows with the data is an N+1."""

from datetime import datetime

import pytest

from civic.accountability.services import milestones
from civic.accountability.services.queries import record_of_proposal
from civic.consultations.services import draft_text, statements
from civic.consultations.services import lifecycle as consultations
from civic.discussions.services.comments import post_comment
from civic.discussions.services.discussions import start_discussion
from civic.discussions.services.threads import thread_page
from civic.petitions.services import lifecycle as petitions
from civic.petitions.services import moderation, signing
from civic.proposals.services import answers, supporting
from civic.proposals.services import lifecycle as proposals
from tests.support.accountability import milestone_fields
from tests.support.petitions import START, fields, sign_and_confirm, signer, token_in
from tests.support.proposals import fields as proposal_fields
from tests.support.queries import queries_for

FEW, MANY = 3, 30


@pytest.fixture
def frozen_at():
    return START


def _consultation(official, n):
    """Open since a month before START; statements on, and a draft text of one passage."""
    c = consultations.create_consultation(
        official,
        consultations.ConsultationFields(
            title=f"Consultation {n}",
            summary="How do you travel?",
            opens_local=datetime(2027, 2, 1, 9, 0),
            closes_local=datetime(2027, 6, 1, 9, 0),
        ),
    )
    statements.set_statement_options(official, c, enabled=True, premoderated=False)
    draft_text.set_draft_text(official, c, "# The plan\n\nA first passage.")
    consultations.publish_consultation(official, c)
    return c


def _grow_consultation(official, c, authors, start, n):
    """Statements and passages of the draft text up to n (a published text changes by correction)."""
    for k in range(start, n):
        statements.add_statement(authors[k % len(authors)], c, f"Statement number {k} about buses")
    passages = "\n\n".join(f"Passage number {k} of the plan." for k in range(n))
    draft_text.set_draft_text(official, c, f"# The plan\n\n{passages}", correction_note="More passages")


def _petition(creator, moderator, outbox, n):
    petition = petitions.create_petition(creator, fields(title=f"Plant more trees on street number {n}"))
    for sponsor in (1000 + 2 * n, 1001 + 2 * n):
        person = signer(sponsor)
        signing.sign_petition(petition, person, sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, person.email))
    moderation.approve_petition(moderator, petition)
    return petition


def _comments(discussion, authors, count, start=0):
    for n in range(start, count):
        parent = None
        if n % 3 == 2:  # some replies, so that the page shows threads
            parent = discussion_comments(discussion)[-1].id
        post_comment(authors[n % len(authors)], discussion, body=f"Comment {n}", parent_id=parent)


def discussion_comments(discussion):
    return thread_page(discussion).roots


def _counts(client, paths):
    return {path: queries_for(client, path) for path in paths}


def _assert_same(few, many):
    for path in few:
        assert many[path].count == few[path].count, (path, few[path], many[path])


@pytest.fixture
def site(app, frozen, official, moderator, make_user, category, outbox):
    """Builds the site's content in two steps: `grow(n)` brings every list and page to n items."""
    app.config.update(CIVIC_PETITION_SPONSORS=2, RATELIMIT_ENABLED=False)  # many items from one "person"
    authors = [make_user(f"author{n}@example.org", name=f"Author {n}") for n in range(4)]
    discussion = start_discussion(authors[0], category, title="Buses at night", body="Shall we?")
    state = {"n": 0, "consultations": [], "petitions": [], "discussions": [discussion], "proposals": []}

    def grow(n):
        for k in range(state["n"], n):
            state["consultations"].append(_consultation(official, k))
            state["petitions"].append(_petition(authors[1], moderator, outbox, k))
            state["proposals"].append(
                proposals.create_proposal(authors[2], proposal_fields(title=f"A covered bike park at stop {k}"))
            )
            supporting.support_proposal(make_user(f"supporter{k}@example.org"), state["proposals"][0], follow=True)
            if k:  # accepted proposals get implementation records; the first one's gets the milestones
                answers.answer_proposal(official, state["proposals"][k], "accepted", "We will do it.")
                first = record_of_proposal(state["proposals"][1].id)
                milestones.add_milestone(official, first, milestone_fields(happened_on="2027-01-15"))
            petition = state["petitions"][0]
            frozen.advance(hours=1)
            sign_and_confirm(petition, k, outbox, client=f"198.51.100.{k % 250}")
            state["discussions"].append(
                start_discussion(authors[k % 4], category, title=f"Topic {k}", body="What now?")
            )
        _comments(discussion, authors, n * 2, start=state["n"] * 2)  # twice as many comments
        _grow_consultation(official, state["consultations"][0], authors, state["n"], n)
        state["n"] = n
        return state

    return grow


def _public_paths(state, authors_profile):
    c = state["consultations"][0]
    p = state["petitions"][0]
    d = state["discussions"][0]
    return [
        "/",
        "/consultations/",
        f"/consultations/{c.id}",
        f"/consultations/{c.id}/text",
        f"/consultations/{c.id}/statements",
        "/petitions/",
        f"/petitions/{p.id}",
        "/proposals",
        "/proposals?sort=trending&status=open",
        f"/proposals/{state['proposals'][0].id}",
        f"/proposals/{state['proposals'][1].id}",
        "/accountability",
        "/accountability?status=planned&kind=proposal",
        f"/accountability/{record_of_proposal(state['proposals'][1].id).id}",
        "/discussions/",
        f"/discussions/{d.id}",
        f"/discussions/{d.id}?sort=newest",
        f"/people/{authors_profile}",
    ]


def test_public_pages_run_as_many_queries_with_more_data(client, site):
    state = site(FEW)
    paths = _public_paths(state, state["discussions"][0].author_id)
    few = _counts(client, paths)
    site(MANY)
    many = _counts(client, paths)
    _assert_same(few, many)


def test_signed_in_pages_run_as_many_queries_with_more_data(web, login_as, site):
    state = site(FEW)
    login_as("citizen")
    d = state["discussions"][0]
    c = state["consultations"][0]
    paths = [
        f"/discussions/{d.id}",
        "/",
        "/account",
        f"/consultations/{c.id}/statements",
        "/consultations/",
        "/proposals",
        f"/proposals/{state['proposals'][0].id}",
    ]
    few = _counts(web, paths)
    site(MANY)
    # Growing the site moved the clock by hours: the session's "last seen" (written at most once
    # a minute, accounts.services.sessions) is noted here rather than in the first counted page.
    web.get("/account")
    many = _counts(web, paths)
    _assert_same(few, many)


def test_the_home_page_counts_nothing_it_does_not_show(client, site):
    site(FEW)
    home = queries_for(client, "/")
    assert not [s for s in home.statements if "count(" in s.lower()], home


def test_a_page_loads_its_petition_proposal_or_discussion_once(web, login_as, site):
    """The hidden-by-moderation check and the permission check share one load (the session's identity
    map keeps an object only while something holds it)."""
    state = site(FEW)
    login_as("citizen")
    pages = {
        f"/petitions/{state['petitions'][0].id}": "petition",
        f"/proposals/{state['proposals'][0].id}": "proposal",
        f"/discussions/{state['discussions'][0].id}": "discussion",
    }
    for path, table in pages.items():
        web.get(path)
        statements = queries_for(web, path).statements
        loads = [
            s for s in statements if s.split(" FROM ", 1)[-1].startswith(f"{table} ") and f"WHERE {table}.id = " in s
        ]
        assert len(loads) == 1, (path, statements)
