"""Consultation pages: officials draft, publish and report back; everyone browses and reads."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from civic.common import clock
from civic.consultations.models import Consultation, Correction
from civic.consultations.services import lifecycle
from civic.extensions import db
from tests.support.consultations import draft_fields
from tests.support.users import seen_just_now

UTC = UTC
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("frozen")  # at NOW


FORM = {
    "title": "Night buses",
    "summary": "Where should night buses run?",
    "body_markdown": "Read *this*.",
    "topic": "Transport",
    "area": "Whole city",
    "contact": "buses@council.example",
    "opens_local": "2027-03-05T09:00",
    "closes_local": "2027-04-05T18:00",
}


def test_official_drafts_and_publishes_a_consultation(app, web, login_as):
    login_as("official")
    response = web.post("/consultations/new", FORM, form_url="/consultations/new")
    assert response.status_code == 302
    consultation = db.session.query(Consultation).one()
    assert consultation.opens_at == datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
    anonymous = app.test_client()
    assert anonymous.get(f"/consultations/{consultation.id}").status_code == 302  # to sign in: drafts are hidden
    publish = web.post(f"/consultations/{consultation.id}/publish", {}, form_url=f"/consultations/{consultation.id}")
    assert publish.status_code == 302
    page = web.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Upcoming" in page and "<em>this</em>" in page
    listing = web.get("/consultations/?show=upcoming").get_data(as_text=True)
    assert "Night buses" in listing


def test_bad_dates_are_refused_beside_the_field_and_the_text_kept(web, login_as):
    login_as("official")
    response = web.post(
        "/consultations/new", {**FORM, "closes_local": "2027-03-01T09:00"}, form_url="/consultations/new"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "closing time must be after" in html and 'href="#closes_local"' in html
    assert "Where should night buses run?" in html
    garbage = web.post("/consultations/new", {**FORM, "opens_local": "next tuesday"}, form_url="/consultations/new")
    assert garbage.status_code == 422
    assert db.session.query(Consultation).count() == 0


def test_citizens_cannot_create_or_see_drafts(web, login_as, make_user):
    official = make_user(roles=("citizen", "official"))
    draft = lifecycle.create_consultation(official, draft_fields(title="Hidden"))
    login_as("citizen")
    assert web.get("/consultations/new").status_code == 403
    assert web.get(f"/consultations/{draft.id}").status_code == 403
    assert "Hidden" not in web.get("/consultations/?show=draft").get_data(as_text=True)


def test_published_changes_need_a_public_correction_note(web, login_as):
    login_as("official")
    web.post("/consultations/new", FORM, form_url="/consultations/new")
    consultation = db.session.query(Consultation).one()
    web.post(f"/consultations/{consultation.id}/publish", {}, form_url=f"/consultations/{consultation.id}")
    edit_url = f"/consultations/{consultation.id}/edit"
    refused = web.post(edit_url, {**FORM, "summary": "Where should night buses go?"}, form_url=edit_url)
    assert refused.status_code == 422 and "Say what you corrected" in refused.get_data(as_text=True)
    ok = web.post(
        edit_url,
        {**FORM, "summary": "Where should night buses go?", "correction_note": "Clearer summary."},
        form_url=edit_url,
    )
    assert ok.status_code == 302
    assert db.session.query(Correction).count() == 1
    assert "Clearer summary." in web.get(f"/consultations/{consultation.id}").get_data(as_text=True)


def test_open_list_shows_days_left_and_filters(web, login_as, make_user, client):
    official = make_user(roles=("citizen", "official"))
    for title, topic in (("Bins", "Waste"), ("Bikes", "Transport")):
        c = lifecycle.create_consultation(
            official,
            lifecycle.ConsultationFields(
                title=title,
                summary="s",
                topic=topic,
                opens_local=datetime(2027, 3, 1, 9, 0),
                closes_local=datetime(2027, 3, 11, 9, 0),
            ),
        )
        lifecycle.publish_consultation(official, c)
    html = client.get("/consultations/").get_data(as_text=True)
    assert "Bins" in html and "Bikes" in html and "10 days left" in html
    filtered = client.get("/consultations/?show=open&topic=Waste").get_data(as_text=True)
    assert "Bins" in filtered and "Bikes" not in filtered
    assert "Bins" in client.get("/").get_data(as_text=True)


def test_close_early_outcome_and_delete_through_the_pages(web, login_as, frozen):
    login_as("official")
    web.post("/consultations/new", {**FORM, "opens_local": "2027-03-01T09:00"}, form_url="/consultations/new")
    consultation = db.session.query(Consultation).one()
    base = f"/consultations/{consultation.id}"
    web.post(f"{base}/publish", {}, form_url=base)
    assert web.post(f"{base}/close", {"reason": ""}, form_url=f"{base}/close").status_code == 422
    assert web.post(f"{base}/close", {"reason": "Plan withdrawn"}, form_url=f"{base}/close").status_code == 302
    frozen.set(NOW + timedelta(minutes=5))
    assert (
        web.post(f"{base}/outcome", {"outcome": "We will not go ahead."}, form_url=f"{base}/outcome").status_code == 302
    )
    page = web.get(base).get_data(as_text=True)
    assert "You said, we did" in page and "We will not go ahead." in page and "Plan withdrawn" in page
    assert web.post(f"{base}/delete", {}, form_url=f"{base}/delete").status_code == 302
    assert db.session.query(Consultation).count() == 1  # published: kept on record


def test_timeline_page(web, login_as):
    login_as("official")
    web.post("/consultations/new", FORM, form_url="/consultations/new")
    consultation = db.session.query(Consultation).one()
    url = f"/consultations/{consultation.id}/timeline"
    assert web.get(url).status_code == 200
    bad = web.post(
        url,
        {"phases-0-name": "Analysis", "phases-0-starts_on": "2027-05-01", "phases-0-ends_on": "2027-04-01"},
        form_url=url,
    )
    assert bad.status_code == 422 and "cannot end before it starts" in bad.get_data(as_text=True)
    ok = web.post(
        url,
        {"phases-0-name": "Information", "phases-1-name": "Consultation", "phases-1-starts_on": "2027-03-05"},
        form_url=url,
    )
    assert ok.status_code == 302
    page = web.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert re.search(r"Information.*Consultation", page, re.S)


def test_the_officials_tools_follow_the_phase(web, login_as, monkeypatch):
    login_as("official")
    web.post("/consultations/new", FORM, form_url="/consultations/new")
    consultation = db.session.query(Consultation).one()
    url = f"/consultations/{consultation.id}"

    def tools():
        page = web.get(url).get_data(as_text=True)
        return {
            name
            for name in (
                "Publish",
                "Delete draft",
                "Close early",
                "Publish the outcome",
                "Update the outcome",
                ">Edit<",
                ">Draft text<",
                ">Responses<",
                "Follow this consultation",
            )
            if (f">{name}<" if not name.startswith(">") else name) in page
        }

    assert tools() == {"Publish", "Delete draft", ">Edit<", ">Draft text<"}
    web.post(f"{url}/publish", {}, form_url=url)
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=5))  # open
    assert tools() == {"Close early", ">Edit<", ">Draft text<", ">Responses<", "Follow this consultation"}
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=40))  # closed
    seen_just_now()  # the official stayed signed in all along
    assert tools() == {"Publish the outcome", ">Edit<", ">Draft text<", ">Responses<", "Follow this consultation"}
    done = web.post(f"{url}/outcome", {"outcome": "We will run the night buses."}, form_url=f"{url}/outcome")
    assert done.status_code == 302
    assert tools() == {"Update the outcome", ">Responses<", "Follow this consultation"}


def test_the_question_editor_asks_the_kind_first_and_shows_only_its_settings(web, login_as):
    """Issue 12: the question editor showed every option field whatever the question's kind."""
    import re as _re

    official = login_as("official")
    consultation = lifecycle.create_consultation(official, draft_fields(title="Buses"))
    url = f"/consultations/{consultation.id}/questions"

    def shown_settings(html):
        return {name for name, rest in _re.findall(r'data-setting="(\w+)"([^>]*)>', html) if " hidden" not in rest}

    first = web.get(url).get_data(as_text=True)
    assert 'name="kind"' in first and 'name="prompt"' not in first  # the kind first
    for kind, expected in (
        ("short_text", set()),
        ("single_choice", {"options", "allow_other"}),
        ("ranking", {"options"}),
        ("scale", {"scale"}),
    ):
        html = web.get(f"{url}?kind={kind}").get_data(as_text=True)
        assert 'name="prompt"' in html and f'<option selected value="{kind}">' in html
        assert shown_settings(html) == expected, kind
    # Without JavaScript, changing the kind posts the form back for the new kind, saving nothing.
    back = web.post(
        url, {"kind": "scale", "prompt": "How often?", "action": "choose_kind"}, form_url=f"{url}?kind=yes_no"
    )
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and shown_settings(html) == {"scale"} and 'value="How often?"' in html
    assert consultation.questions == []
    added = web.post(url, {"kind": "scale", "prompt": "How often?", "scale": "0-10"}, form_url=f"{url}?kind=scale")
    assert added.status_code == 302
