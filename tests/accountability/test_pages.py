"""Accountability pages over HTTP: the public list with progress and filters, one record with its
milestones and photo, following, officials' changes (422 with what was typed kept), and the links
from a proposal and a budget to their records."""

import io

from sqlalchemy import func, select

from civic.accountability.models import ImplementationRecord, Milestone
from civic.accountability.services import milestones, records
from civic.extensions import db
from tests.support.accountability import accepted_proposal, budget_with_results, milestone_fields
from tests.support.sample_files import png


def test_the_list_shows_every_record_with_its_progress(client, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    records.change_record(official, record, status="in_progress", progress="35", spent="0")
    page = client.get("/accountability").get_data(as_text=True)
    assert record.title in page
    assert '<progress id="progress-' in page and 'value="35"' in page
    assert "35% done" in page


def test_the_list_filters_by_status_area_and_kind(client, small, frozen, citizen, official, make_user, app):
    app.config.update(CIVIC_PETITION_AREAS=["North", "South"])
    _p1, north = accepted_proposal(citizen, official, title="A library in the north", area="North")
    _p2, south = accepted_proposal(citizen, official, title="A pool in the south", area="South")
    records.change_record(official, south, status="in_progress", progress="10", spent="0")
    by_area = client.get("/accountability?area=North").get_data(as_text=True)
    assert north.title in by_area and south.title not in by_area
    by_status = client.get("/accountability?status=in_progress").get_data(as_text=True)
    assert south.title in by_status and north.title not in by_status
    projects_only = client.get("/accountability?kind=project").get_data(as_text=True)
    assert north.title not in projects_only and "No records here." in projects_only
    assert client.get("/accountability?status=nonsense&page=abc").status_code == 200


def test_a_record_shows_its_milestones_and_photo(client, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    milestone = milestones.add_milestone(
        official,
        record,
        milestone_fields(
            text="The roof is on.", photo=milestones.Upload("roof.png", io.BytesIO(png())), photo_alt="The new roof"
        ),
    )
    page = client.get(f"/accountability/{record.id}").get_data(as_text=True)
    assert "The roof is on." in page and 'alt="The new roof"' in page
    photo = client.get(f"/accountability/{record.id}/milestones/{milestone.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/accountability/{record.id}/milestones/999/photo").status_code == 404
    assert client.get("/accountability/999").status_code == 404


def test_an_official_adds_a_milestone_by_the_form(web, login_as, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    login_as("official")
    url = f"/accountability/{record.id}"
    response = web.post(f"{url}/milestones", {"happened_on": "2027-02-20", "text": "Works began."}, form_url=url)
    assert response.status_code == 302
    assert "Works began." in web.get(url).get_data(as_text=True)


def test_a_bad_milestone_keeps_what_was_typed(web, login_as, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    login_as("official")
    url = f"/accountability/{record.id}"
    response = web.post(f"{url}/milestones", {"happened_on": "2099-01-01", "text": "Kept words"}, form_url=url)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Kept words" in page and "give a date up to today" in page
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 0


def test_a_bad_change_keeps_what_was_typed(web, login_as, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    login_as("official")
    url = f"/accountability/{record.id}"
    response = web.post(
        url,
        {"action": "change", "status": "in_progress", "progress": "150", "spent": "-2", "currency": "EUR"},
        form_url=url,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="150"' in page and 'value="-2"' in page
    assert "from 0 to 100" in page
    db.session.expire_all()
    assert db.session.get(ImplementationRecord, record.id).progress == 0
    ok = web.post(
        url,
        {"action": "change", "status": "in_progress", "progress": "60", "spent": "500", "currency": "EUR"},
        form_url=url,
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(ImplementationRecord, record.id).progress == 60


def test_citizens_see_no_staff_forms_and_cannot_post_them(web, login_as, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    login_as("citizen", email="other@example.org", name="Other")
    url = f"/accountability/{record.id}"
    page = web.get(url).get_data(as_text=True)
    assert "Add a milestone" not in page and "Follow this work" in page
    assert web.post(f"{url}/milestones", {"happened_on": "2027-02-20", "text": "x"}, form_url=url).status_code == 403
    assert (
        web.post(url, {"action": "change", "status": "done", "progress": "1", "spent": "1"}, form_url=url).status_code
        == 403
    )
    assert web.post(f"{url}/follow", {"follow": "1"}, form_url=url).status_code == 302
    assert "Stop following" in web.get(url).get_data(as_text=True)


def test_an_official_opens_a_record_by_hand(web, login_as, small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    db.session.delete(record)
    db.session.commit()
    login_as("official")
    proposal_page = web.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f"/accountability/new?kind=proposal&amp;id={proposal.id}" in proposal_page
    form = web.get(f"/accountability/new?kind=proposal&id={proposal.id}").get_data(as_text=True)
    assert f'value="{proposal.id}"' in form
    bad = web.post("/accountability/new", {"kind": "proposal", "subject_id": "abc"}, form_url="/accountability/new")
    assert bad.status_code == 422 and 'value="abc"' in bad.get_data(as_text=True)
    good = web.post(
        "/accountability/new", {"kind": "proposal", "subject_id": str(proposal.id)}, form_url="/accountability/new"
    )
    assert good.status_code == 302
    again = web.post(
        "/accountability/new", {"kind": "proposal", "subject_id": str(proposal.id)}, form_url="/accountability/new"
    )
    assert again.status_code == 409 and "has a record already" in again.get_data(as_text=True)


def test_the_proposal_page_links_to_its_record(client, small, frozen, citizen, official):
    proposal, record = accepted_proposal(citizen, official)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f"/accountability/{record.id}" in page and "Carrying it out" in page


def test_the_budget_pages_link_to_the_records_of_funded_projects(client, official, frozen, make_user):
    budget, (p1, p2, _p3) = budget_with_results(official, frozen, [make_user("v@example.org", name="V")])
    record = db.session.scalar(select(ImplementationRecord).where(ImplementationRecord.project_id == p1.id))
    results = client.get(f"/budgets/{budget.id}/results").get_data(as_text=True)
    assert f"/accountability/{record.id}" in results
    show = client.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert f"/accountability/{record.id}" in show
    assert f"/budgets/{budget.id}#project-{p1.id}" in client.get(f"/accountability/{record.id}").get_data(as_text=True)


def test_a_cancelled_record_says_why_it_takes_no_milestone(web, login_as, small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    records.change_record(official, record, status="cancelled", progress="0", spent="0")
    login_as("official")
    url = f"/accountability/{record.id}"
    response = web.post(f"{url}/milestones", {"happened_on": "2027-02-20", "text": "Late news"}, form_url=url)
    assert response.status_code == 409
    assert "A cancelled record takes no milestones." in response.get_data(as_text=True)
