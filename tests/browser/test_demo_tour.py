"""The demo content as a resident and an official first meet it (issue 12): the main pages of a site
filled by `flask civic seed-demo`, at 1280 and 375 px, each checked with axe and for sideways
scrolling. With CIVIC_SCREENSHOTS=<folder> it also saves each page as a PNG (the README's
pictures: `make screenshots` writes them to docs/screenshots/)."""

import os
from pathlib import Path

import pytest

from tests.support.browser import (
    assert_accessible,
    assert_fits_narrow_screen,
    live_server_fixture,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.browser

# Screenshots show the demo at its real volume; the check alone needs only a few residents.
live_server = live_server_fixture(
    "live-demo-tour", CIVIC_DEMO_RESIDENTS=320 if os.environ.get("CIVIC_SCREENSHOTS") else 12
)

WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.fixture(scope="module")
def demo(live_server):
    from civic.cli.demo import DEMO_DOMAIN, DEMO_PASSWORD
    from civic.consultations.models import Consultation
    from civic.discussions.models import Discussion
    from civic.extensions import db
    from civic.petitions.models import Petition
    from civic.proposals.models import Proposal

    result = live_server.app.test_cli_runner().invoke(args=["civic", "seed-demo"])
    assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        consultation = db.session.query(Consultation).filter(Consultation.published_at.isnot(None)).first()
        petition = db.session.query(Petition).order_by(Petition.signature_count.desc()).first()
        discussion = db.session.query(Discussion).order_by(Discussion.comment_count.desc()).first()
        proposal = db.session.query(Proposal).filter(Proposal.state == "accepted").first()
        ids = {
            "consultation": consultation.id,
            "petition": petition.id,
            "discussion": discussion.id,
            "proposal": proposal.id,
        }
        db.session.remove()
    official = {"email": f"official@{DEMO_DOMAIN}", "password": DEMO_PASSWORD, "name": "Oscar Lindqvist"}
    return ids, official


def _tour(ids):
    return [
        ("home", "/"),
        ("consultation", f"/consultations/{ids['consultation']}"),
        ("petitions", "/petitions/"),
        ("petition", f"/petitions/{ids['petition']}"),
        ("discussion", f"/discussions/{ids['discussion']}"),
        ("proposals", "/proposals"),
        ("proposal", f"/proposals/{ids['proposal']}"),
    ]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_demo_site_reads_well_at_desktop_and_phone_widths(browser, live_server, demo, device):
    ids, official = demo
    folder = os.environ.get("CIVIC_SCREENSHOTS")
    context = new_context(browser)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": WIDTHS[device], "height": 900})

        def visit(name, path):
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert_accessible(page, f"{path} ({device})")
            if device == "phone":
                assert_fits_narrow_screen(page, WIDTHS[device])
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(folder) / f"{name}-{device}.png"))

        for name, path in _tour(ids):  # as a resident who has not signed in
            visit(name, path)
        sign_in(page, live_server, official)  # then as an official
        visit("staff-overview", "/admin/")
        visit("consultation-results", f"/consultations/{ids['consultation']}/results")
    finally:
        context.close()
