"""Petition pages for everyone: lists, the petition, signing through the page and its links,
drafting with similar petitions, and the JSON; signers' details never appear."""

import json
from datetime import timedelta

import pytest

from civic.extensions import db
from civic.petitions.models import Petition, Signature
from civic.petitions.services import lifecycle, moderation, signing
from tests.support.mail import link_in, mail_to, path_of
from tests.support.petitions import fields, sign_and_confirm, signer, token_in


def _sign_form(**overrides):
    data = {"name": "Lucía Gómez", "email": "lucia@example.org", "area": "Riverside", "consent": "y", "notify": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_signing_through_the_page_and_the_emailed_link(open_petition, web, outbox):
    url = f"/petitions/{open_petition.id}"
    page = web.get(url).get_data(as_text=True)
    assert "Sign this petition" in page and 'data-tally-kind="petition"' in page and "<progress" in page
    sent = web.post(f"{url}/sign", _sign_form(), form_url=url)
    assert sent.status_code == 302 and "status=check_email" in sent.headers["Location"]
    assert "Check your email" in web.get(sent.headers["Location"]).get_data(as_text=True)
    link = path_of(link_in(mail_to(outbox, "lucia@example.org")[-1], "/confirm"))
    confirmed = web.get(link)
    assert confirmed.status_code == 200 and "Your signature is confirmed" in confirmed.get_data(as_text=True)
    again = web.get(link)
    assert "confirmed already" in again.get_data(as_text=True)
    db.session.refresh(open_petition)
    assert open_petition.signature_count == 4
    bad = web.get(link[:-6] + "xxxxxx/confirm" if link.endswith("/confirm") else link + "x")
    assert bad.status_code in (400, 404)


def test_bad_signatures_keep_what_was_typed(open_petition, web):
    url = f"/petitions/{open_petition.id}"
    response = web.post(f"{url}/sign", _sign_form(email="not-an-email", consent=None, area="Mars"), form_url=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Lucía Gómez" in page and "not-an-email" in page
    assert "Choose where you live from the list." in page and "privacy notice" in page
    assert db.session.query(Signature).count() == 3


def test_a_closed_petition_cannot_be_signed(open_petition, web, frozen):
    frozen.set(open_petition.closes_at + timedelta(seconds=1))
    url = f"/petitions/{open_petition.id}"
    page = web.get(url).get_data(as_text=True)
    assert "Sign this petition" not in page and "Closed on" in page
    refused = web.post(f"{url}/sign", _sign_form(), form_url="/petitions/")
    assert refused.status_code == 409 and "closed on" in refused.get_data(as_text=True)


def test_signing_twice_is_answered_politely(open_petition, web, outbox, login_as):
    url = f"/petitions/{open_petition.id}"
    sign_and_confirm(open_petition, 1, outbox, email="lucia@example.org")
    second = web.post(f"{url}/sign", _sign_form(), form_url=url)
    assert second.status_code == 302  # not an error page
    assert "already signed" in mail_to(outbox, "lucia@example.org")[-1]["Subject"]
    member = login_as(email="member@example.org")
    first = web.post(f"{url}/sign", _sign_form(email="member@example.org"), form_url=url)
    assert "status=counted" in first.headers["Location"]
    twice = web.post(f"{url}/sign", _sign_form(email="member@example.org"), form_url=url)
    assert "status=already_signed" in twice.headers["Location"]
    assert "You have already signed" in web.get(twice.headers["Location"]).get_data(as_text=True)
    assert member.id


def test_withdrawing_through_the_link(open_petition, web, outbox):
    sign_and_confirm(open_petition, 1, outbox, email="lucia@example.org")
    signing.sign_petition(open_petition, signer(1, email="lucia@example.org"))
    link = path_of(link_in(mail_to(outbox, "lucia@example.org")[-1], "/withdraw"))
    assert "Withdraw my signature" in web.get(link).get_data(as_text=True)
    done = web.post(link, {}, form_url=link)
    assert done.status_code == 302
    db.session.refresh(open_petition)
    assert open_petition.signature_count == 3
    assert web.post(link, {}, form_url="/petitions/").status_code == 400


def test_similar_petitions_are_advice_and_the_first_click_creates(small, frozen, web, login_as, moderator):
    """Issue 12: "Create the petition" first re-showed the form with similar petitions and no
    message; only a second click created it. Similar petitions are advice (shown while typing,
    or on asking without JavaScript); creating takes one click."""
    small.config["CIVIC_PETITION_SPONSORS"] = 0
    existing = lifecycle.create_petition(moderator, fields(title="Plant more trees in the Old Town"))
    moderation.approve_petition(moderator, existing)
    small.config["CIVIC_PETITION_SPONSORS"] = 2
    creator = login_as(email="new@example.org")
    form = {"title": "More trees for the Old Town", "background": "Shade in summer.", "area": "Old Town"}
    asked = web.post("/petitions/new", {**form, "action": "check"}, form_url="/petitions/new")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Similar petitions" in page and "Plant more trees in the Old Town" in page
    assert db.session.query(Petition).filter_by(creator_id=creator.id).count() == 0
    nothing = web.post(
        "/petitions/new", {**form, "title": "Zebra crossings", "action": "check"}, form_url="/petitions/new"
    )
    assert "No similar petition found" in nothing.get_data(as_text=True)
    created = web.post("/petitions/new", {**form, "action": "create"}, form_url="/petitions/new")
    assert created.status_code == 302
    petition = db.session.query(Petition).filter_by(creator_id=creator.id).one()
    shown = web.get(created.headers["Location"]).get_data(as_text=True)
    assert petition.sponsor_token in shown  # the creator sees the link to share
    fragment = web.get("/petitions/similar?title=trees+old+town").get_data(as_text=True)
    assert "Plant more trees in the Old Town" in fragment


def test_bad_drafts_are_refused_with_the_text_kept(small, frozen, web, login_as):
    login_as()
    response = web.post(
        "/petitions/new",
        {"title": "https://example.org", "background": "y" * 301, "area": "Old Town", "action": "create"},
        form_url="/petitions/new",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "only a link" in page and "y" * 301 in page
    assert db.session.query(Petition).count() == 0


def test_drafts_are_private_until_published(small, frozen, creator, web, make_user, login_as):
    petition = lifecycle.create_petition(creator, fields())
    assert web.get(f"/petitions/{petition.id}").status_code in (302, 401)
    assert web.get(f"/petitions/{petition.id}.json").status_code in (302, 401, 403)
    sponsor_page = web.get(f"/petitions/{petition.id}/sponsor/{petition.sponsor_token}")
    assert sponsor_page.status_code == 200 and "Support this petition" in sponsor_page.get_data(as_text=True)
    assert web.get(f"/petitions/{petition.id}/sponsor/wrong").status_code in (302, 401)
    assert web.get(f"/petitions/{petition.id}/sponsor/%C3%A9").status_code in (302, 401)  # not a 500
    login_as()
    assert web.get(f"/petitions/{petition.id}").status_code == 403


def test_lists_and_json(open_petition, web, outbox, frozen, moderator, creator, small):
    sign_and_confirm(open_petition, 1, outbox, email="secret.signer@example.org", name="Secret Signer")
    page = web.get("/petitions/").get_data(as_text=True)
    assert open_petition.title in page and 'data-tally-value="signatures">4</span> signatures' in page
    data = json.loads(web.get("/petitions.json").get_data(as_text=True))
    assert data["total"] == 1 and data["petitions"][0]["signature_count"] == 4
    one = json.loads(web.get(f"/petitions/{open_petition.id}.json").get_data(as_text=True))
    assert one["state"] == "open" and one["thresholds"] == {"response": 4, "debate": 6}
    assert {row["area"]: row["signature_count"] for row in one["signatures_by_area"]}["Old Town"] == 3
    assert one["response_threshold_reached_at"] is not None
    awaiting = web.get("/petitions/?show=awaiting_response").get_data(as_text=True)
    assert open_petition.title in awaiting
    assert open_petition.title not in web.get("/petitions/?show=rejected").get_data(as_text=True)
    assert open_petition.title in web.get("/petitions/?q=trees+riverside").get_data(as_text=True)
    assert open_petition.title not in web.get("/petitions/?q=library").get_data(as_text=True)


def test_signers_details_never_appear_in_public(open_petition, web, outbox, login_as):
    sign_and_confirm(open_petition, 1, outbox, email="secret.signer@example.org", name="Secret Signer")
    pages = [
        f"/petitions/{open_petition.id}",
        f"/petitions/{open_petition.id}.json",
        "/petitions/",
        "/petitions.json",
        f"/petitions/{open_petition.id}?x=1",
    ]
    for viewer in ("anonymous", "official"):
        if viewer == "official":
            login_as("official")
        for url in pages:
            text = web.get(url).get_data(as_text=True)
            assert "secret.signer" not in text and "Secret Signer" not in text, (viewer, url)
            assert "signer101" not in text  # the sponsors


def test_the_petitions_discussion_links_back_and_closes_with_it(open_petition, web, frozen, login_as):
    from civic.discussions.contexts import context_of
    from civic.discussions.models import Discussion

    discussion = db.session.get(Discussion, open_petition.discussion_id)
    about = context_of(discussion)
    assert about.link_text == open_petition.title and about.accepts_comments
    page = web.get(f"/discussions/{discussion.id}").get_data(as_text=True)
    assert f"/petitions/{open_petition.id}" in page and "This discussion is about the petition" in page
    frozen.set(open_petition.closes_at + timedelta(seconds=1))
    assert not context_of(discussion).accepts_comments


def test_the_creator_changes_the_text_until_it_goes_to_moderation(small, frozen, web, creator, moderator, outbox):
    from civic.errors import Conflict, NotAllowed

    petition = lifecycle.create_petition(creator, fields())
    with pytest.raises(NotAllowed):
        lifecycle.update_draft(moderator, petition, fields(title="Changed by someone else"))
    web.sign_in(creator.email)
    url = f"/petitions/{petition.id}/edit"
    bad = web.post(url, {"title": "", "background": "Still here."}, form_url=url)
    assert bad.status_code == 422 and "Still here." in bad.get_data(as_text=True)
    ok = web.post(url, {"title": "Plant 600 trees on Riverside Avenue", "background": "Shade."}, form_url=url)
    assert ok.status_code == 302
    db.session.refresh(petition)
    assert petition.title == "Plant 600 trees on Riverside Avenue" and petition.background == "Shade."
    for n in (1, 2):
        signing.sign_petition(petition, signer(n), sponsor_token=petition.sponsor_token, client=f"203.0.{n}.1")
        signing.confirm_signature(petition, token_in(outbox, f"signer{n}@example.org"))
    db.session.refresh(petition)
    assert petition.state == "pending"
    with pytest.raises(Conflict):
        lifecycle.update_draft(creator, petition, fields(title="Too late"))
    late = web.post(url, {"title": "Too late", "background": "Shade."}, form_url=url)
    assert late.status_code == 422 and "with the moderators" in late.get_data(as_text=True)


def test_home_lists_the_open_petitions_with_most_signatures(client, open_petition):
    """Issue 12: the home page always said "No petition is open right now"."""
    html = client.get("/").get_data(as_text=True)
    assert open_petition.title in html and f"/petitions/{open_petition.id}" in html
    count = open_petition.signature_count
    assert f'<span data-tally-value="signatures">{count}</span> signatures' in html
    assert "No petition is open right now." not in html


def test_home_says_when_no_petition_is_open(client):
    assert "No petition is open right now." in client.get("/").get_data(as_text=True)
