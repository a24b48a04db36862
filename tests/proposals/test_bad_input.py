"""Bad input and limits over HTTP: a refused image or a rate limit keeps what was typed (422),
never a 500 nor a half-written proposal; the image is served with its checked type."""

import io

import pytest

from civic.errors import RateLimited
from civic.extensions import db
from civic.mail.mailings import send_mailings
from civic.proposals.models import Proposal
from civic.proposals.services import lifecycle, supporting
from tests.support import sample_files
from tests.support.mail import mail_to
from tests.support.proposals import fields, supporters

FORM = {"title": "Benches along the river walk", "summary": "Older walkers need somewhere to rest.", "area": ""}


def test_a_fake_image_is_refused_beside_its_field_with_the_text_kept(web, login_as, small, frozen):
    login_as("citizen")
    data = {**FORM, "image_alt": "A bench", "image": (io.BytesIO(b"<svg></svg>"), "bench.png")}
    response = web.post("/proposals/new", data, form_url="/proposals/new", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a PNG, JPEG or WebP image" in page and "Older walkers need somewhere to rest." in page
    assert db.session.query(Proposal).count() == 0


def test_an_image_is_posted_and_served_with_its_checked_type(web, login_as, client, small, frozen, tmp_path):
    login_as("citizen")
    data = {**FORM, "image_alt": "A bench by the water", "image": (io.BytesIO(sample_files.png()), "bench.png")}
    response = web.post("/proposals/new", data, form_url="/proposals/new", content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.query(Proposal).one()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'alt="A bench by the water"' in page
    image = client.get(f"/proposals/{proposal.id}/image")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff" and image.get_data() == sample_files.png()
    lifecycle.update_proposal(proposal.author, proposal, fields(remove_image=True))
    assert client.get(f"/proposals/{proposal.id}/image").status_code == 404


def test_posting_too_often_is_refused_with_the_text_kept(web, login_as, small, frozen):
    small.config["CIVIC_LIMIT_PROPOSAL_CREATE"] = "1 per hour"
    login_as("citizen")
    assert web.post("/proposals/new", FORM, form_url="/proposals/new").status_code == 302
    again = web.post("/proposals/new", {**FORM, "title": "A second idea about benches"}, form_url="/proposals/new")
    assert again.status_code in (422, 429)
    assert "Please wait" in again.get_data(as_text=True) and "A second idea about benches" in again.get_data(
        as_text=True
    )
    assert db.session.query(Proposal).count() == 1


def test_supporting_too_often_is_refused(open_proposal, small, author, make_user):
    small.config["CIVIC_LIMIT_PROPOSAL_SUPPORT"] = "2 per minute"
    person = make_user("busy@example.org")
    supporting.support_proposal(person, open_proposal)
    supporting.remove_support(person, open_proposal)
    with pytest.raises(RateLimited):
        supporting.support_proposal(person, open_proposal)


def test_officials_are_mailed_when_a_proposal_needs_an_answer(open_proposal, make_user, official, outbox):
    for person in supporters(make_user, 3):
        supporting.support_proposal(person, open_proposal)
    send_mailings()
    assert "needs an answer" in mail_to(outbox, official.email)[-1]["Subject"]


def test_your_proposals_page_lists_them(web, small, frozen, author):
    lifecycle.create_proposal(author, fields())
    web.sign_in(author.email)
    assert "A covered bicycle park beside the station" in web.get("/proposals/mine").get_data(as_text=True)
