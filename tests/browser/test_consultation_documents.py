"""Documents in a real browser: an official attaches a file whose content does not match its name
(refused, explained beside the field), then a real PDF and a cover image; the consultation page
lists the document with its type and size and shows the cover with its description; the document
downloads under its own name. Every page passes axe-core's WCAG 2.x A/AA rules and fits 320px."""

import re

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support import sample_files as files
from tests.support.browser import Journey, live_server_fixture, sign_in, user_by_email
from tests.support.consultations import draft_fields

pytestmark = pytest.mark.browser


live_server = live_server_fixture("live-documents")


@pytest.fixture(scope="module")
def world(live_server):
    from civic.consultations.services import lifecycle

    official = live_server.make_user("olga.docs@example.org", name="Olga Official", roles=("citizen", "official"))
    with live_server.app.app_context():
        consultation = lifecycle.create_consultation(
            user_by_email(official["email"]),
            draft_fields(title="Trees in the old town", summary="Which streets should get new trees?"),
        )
        consultation_id = consultation.id
        db.session.remove()
    return official, consultation_id


def test_an_official_attaches_a_document_and_a_cover_image(page, live_server, world):
    official, consultation_id = world
    sign_in(page, live_server, official)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    summary = page.locator("[data-error-summary]")

    journey.goto(f"/consultations/{consultation_id}")
    main.get_by_role("region", name="For officials").get_by_role("link", name="Documents and cover image").click()
    page.wait_for_url(f"**/consultations/{consultation_id}/documents")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents and cover image")
    expect(main).to_contain_text("No documents yet.")
    file_field = main.get_by_label("File", exact=True)
    expect(file_field).to_have_accessible_description(re.compile(r"PDF, ODT, DOCX or CSV, at most 20 MB\."))

    # A ZIP archive named like a PDF: refused, with the title kept.
    file_field.set_input_files({"name": "tree-plan.pdf", "mimeType": "application/pdf", "buffer": files.plain_zip()})
    main.get_by_label("Title (optional)").fill("Tree plan")
    main.get_by_role("button", name="Attach the document").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link")).to_have_text(
        "The content of “tree-plan.pdf” does not match its name: it is a ZIP archive, not a PDF."
    )
    expect(summary.get_by_role("link")).to_have_attribute("href", "#file")
    expect(main.get_by_label("File", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(main.get_by_label("Title (optional)")).to_have_value("Tree plan")

    # The real PDF.
    main.get_by_label("File", exact=True).set_input_files(
        {"name": "tree-plan.pdf", "mimeType": "application/pdf", "buffer": files.PDF}
    )
    main.get_by_role("button", name="Attach the document").click()
    page.wait_for_url(f"**/consultations/{consultation_id}/documents")
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("“Tree plan” is attached.")
    listed = main.get_by_role("region", name="Documents").locator(".document-list li")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text(f"Tree plan (PDF, {len(files.PDF)} bytes)")
    expect(listed.first.get_by_role("button", name="Remove Tree plan")).to_be_visible()

    # The cover image: a description is asked for first.
    cover = main.get_by_role("region", name="Cover image")
    cover.get_by_label("Image", exact=True).set_input_files(
        {"name": "street.png", "mimeType": "image/png", "buffer": files.png(40, 20)}
    )
    cover.get_by_role("button", name="Save the cover image").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#alt_text")
    cover.get_by_label("Image", exact=True).set_input_files(
        {"name": "street.png", "mimeType": "image/png", "buffer": files.png(40, 20)}
    )
    cover.get_by_label("Description of the image").fill("Plane trees along Calle Mayor")
    cover.get_by_role("button", name="Save the cover image").click()
    page.wait_for_url(f"**/consultations/{consultation_id}/documents")
    journey.check()
    expect(cover.get_by_role("img", name="Plane trees along Calle Mayor")).to_be_visible()

    # The consultation page shows both; the document downloads under its own name.
    main.locator(".kicker").get_by_role("link", name="Trees in the old town").click()
    page.wait_for_url(f"**/consultations/{consultation_id}")
    journey.check()
    image = main.get_by_role("img", name="Plane trees along Calle Mayor")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 40  # served, and shown
    documents = main.get_by_role("region", name="Documents")
    expect(documents.get_by_role("listitem")).to_have_text(f"Tree plan (PDF, {len(files.PDF)} bytes)")
    with page.expect_download() as download_info:
        documents.get_by_role("link", name="Tree plan").click()
    download = download_info.value
    assert download.suggested_filename == "tree-plan.pdf"
    assert open(download.path(), "rb").read() == files.PDF

    journey.assert_every_page_checked()
