"""Proposal pages over HTTP: posting on the first click with similar proposals as advice, the
list's sorts and filters, supporting with the form, the author's changes, and officials' answer
(audited, supporters and followers told in-app and by email in batches) and merge."""

from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.extensions import db
from civic.mail.mailings import send_mailings
from civic.notifications.models import Notification
from civic.proposals.models import Proposal
from civic.proposals.services import lifecycle, supporting
from tests.support.mail import mail_to
from tests.support.proposals import fields, supporters
from tests.support.web import Web

NEW = {
    "title": "A covered bicycle park beside the station",
    "summary": "Bikes get wet; a covered park would fit.",
    "body": "",
    "topic": "Transport",
    "area": "",
    "external_url": "",
    "image_alt": "",
}


def test_posting_creates_on_the_first_click_even_with_similar_proposals(web, login_as, small, frozen, author):
    lifecycle.create_proposal(author, fields())
    login_as("citizen")
    page = web.post("/proposals/new", {**NEW, "action": "check"}, form_url="/proposals/new")
    assert page.status_code == 200
    assert "Similar proposals" in page.get_data(as_text=True)
    response = web.post("/proposals/new", {**NEW, "action": "create"}, form_url="/proposals/new")
    assert response.status_code == 302
    assert db.session.query(Proposal).count() == 2


def test_posting_without_a_title_keeps_what_was_typed(web, login_as, small, frozen):
    login_as("citizen")
    response = web.post("/proposals/new", {**NEW, "title": "", "summary": "Kept summary"}, form_url="/proposals/new")
    assert response.status_code == 422
    assert "Kept summary" in response.get_data(as_text=True)
    assert db.session.query(Proposal).count() == 0


def test_similar_proposals_fragment_while_typing(client, open_proposal):
    page = client.get("/proposals/similar?title=covered+bicycle+park").get_data(as_text=True)
    assert open_proposal.title in page


def test_the_list_sorts_and_filters(client, small, frozen, author, make_user):
    a = lifecycle.create_proposal(author, fields(title="Benches in the old square", topic="Parks", area="Riverside"))
    b = lifecycle.create_proposal(author, fields(title="Fountains along the river walk", topic="Water"))
    supporting.support_proposal(make_user("x@example.org"), b)
    for query, present, absent in [
        ("", [a, b], []),
        ("?topic=Parks", [a], [b]),
        ("?area=Riverside", [a], [b]),
        ("?status=accepted", [], [a, b]),
        ("?sort=closing", [a, b], []),
        ("?sort=trending&page=99999999999", [], [a, b]),
        ("?status=bogus&sort=bogus", [a, b], []),
    ]:
        response = client.get(f"/proposals{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        for p in present:
            assert p.title in page, query
        for p in absent:
            assert p.title not in page, query
    page = client.get("/proposals?sort=supported").get_data(as_text=True)
    assert page.index(b.title) < page.index(a.title)


def test_supporting_with_the_form_and_the_page_shows_the_progress(web, login_as, open_proposal):
    login_as("citizen")
    response = web.post(
        f"/proposals/{open_proposal.id}/support",
        {"action": "support", "follow": "1"},
        form_url=f"/proposals/{open_proposal.id}",
    )
    assert response.status_code == 302
    page = web.get(f"/proposals/{open_proposal.id}").get_data(as_text=True)
    assert "You support this proposal" in page
    assert '<progress id="progress" max="3" value="1"' in page
    assert "Stop following" in page
    web.post(f"/proposals/{open_proposal.id}/support", {"action": "remove"}, form_url=f"/proposals/{open_proposal.id}")
    db.session.refresh(open_proposal)
    assert open_proposal.support_count == 0


def test_a_visitor_is_asked_to_sign_in_to_support(client, open_proposal):
    page = client.get(f"/proposals/{open_proposal.id}").get_data(as_text=True)
    assert "Sign in to support this proposal" in page
    assert client.post(f"/proposals/{open_proposal.id}/support").status_code in (302, 400, 401)


def test_the_author_changes_and_withdraws_through_the_pages(web, small, frozen, author):
    proposal = lifecycle.create_proposal(author, fields())
    web.sign_in(author.email)
    response = web.post(
        f"/proposals/{proposal.id}/edit",
        {**NEW, "title": "A better title for the bike park"},
        form_url=f"/proposals/{proposal.id}/edit",
    )
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.title == "A better title for the bike park"
    assert (
        web.post(f"/proposals/{proposal.id}/withdraw", {}, form_url=f"/proposals/{proposal.id}/withdraw").status_code
        == 302
    )
    db.session.refresh(proposal)
    assert proposal.state == "withdrawn"


def test_an_official_answers_audited_and_supporters_and_followers_are_told(
    app, web, open_proposal, make_user, official, outbox
):
    fans = supporters(make_user, 2)
    supporting.support_proposal(fans[0], open_proposal)
    supporting.follow_proposal(fans[1], open_proposal)
    web.sign_in(official.email)
    url = f"/proposals/{open_proposal.id}/answer"
    refused = web.post(url, {"outcome": "accepted", "explanation": ""}, form_url=url)
    assert refused.status_code == 422
    response = web.post(url, {"outcome": "accepted", "explanation": "We will build it in **2028**."}, form_url=url)
    assert response.status_code == 302
    db.session.refresh(open_proposal)
    assert open_proposal.state == "accepted" and "<strong>2028</strong>" in open_proposal.answer_html
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.answer"))
    assert entry.target_id == open_proposal.id and entry.details == {"outcome": "accepted"}
    told = sorted(db.session.scalars(select(Notification.user_id).where(Notification.kind == "proposal_answered")))
    assert told == sorted(p.id for p in fans)
    assert send_mailings() == 2
    assert "answered" in mail_to(outbox, fans[1].email)[-1]["Subject"]
    page = web.get(f"/proposals/{open_proposal.id}").get_data(as_text=True)
    assert "We will build it in" in page
    fan = Web(app.test_client())
    fan.sign_in(fans[0].email)
    notices = fan.get("/notifications/").get_data(as_text=True)
    assert "The council answered the proposal" in notices and f"/proposals/{open_proposal.id}" in notices


def test_a_citizen_cannot_answer_or_merge(web, login_as, open_proposal):
    login_as("citizen")
    assert web.get(f"/proposals/{open_proposal.id}/answer").status_code == 403
    assert web.get(f"/proposals/{open_proposal.id}/merge").status_code == 403


def test_an_official_merges_through_the_page(web, small, frozen, author, official):
    target = lifecycle.create_proposal(author, fields(title="Covered bike parking at the station"))
    duplicate = lifecycle.create_proposal(author, fields(title="Bike shelter by the station"))
    web.sign_in(official.email)
    url = f"/proposals/{duplicate.id}/merge"
    assert web.post(url, {"target_id": "abc"}, form_url=url).status_code == 422
    assert web.post(url, {"target_id": str(duplicate.id)}, form_url=url).status_code == 422
    response = web.post(url, {"target_id": str(target.id)}, form_url=url)
    assert response.status_code == 302
    page = web.get(f"/proposals/{duplicate.id}").get_data(as_text=True)
    assert "Merged into another proposal" in page and target.title in page


def test_officials_start_page_lists_proposals_waiting_for_an_answer(web, open_proposal, make_user, official):
    for person in supporters(make_user, 3):
        supporting.support_proposal(person, open_proposal)
    web.sign_in(official.email)
    page = web.get("/admin/").get_data(as_text=True)
    assert "Proposals waiting for the council" in page and open_proposal.title in page
    nav = page[page.index('aria-label="Staff pages"') : page.index("</nav>", page.index('aria-label="Staff pages"'))]
    assert 'Proposals to answer <span class="count-badge">1</span>' in nav
