"""Documents and the cover image of a consultation: checked before anything is stored, stored by a
random name under the uploads folder, downloaded with safe headers, listed publicly as corrections
once published, and removed with their consultation."""

import hashlib
import io
import os
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from civic.audit.models import AuditEntry
from civic.common import uploads
from civic.common.filesize import format_size
from civic.config import load_config
from civic.consultations.models import Correction, Document
from civic.consultations.services import documents, lifecycle
from civic.errors import InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from tests.support import sample_files as files
from tests.support.consultations import draft_fields

UTC = UTC
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("frozen")  # at NOW


@pytest.fixture
def draft(official):
    return lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Calle Mayor",
            summary="Should it close to cars?",
            opens_local=datetime(2027, 3, 1, 8, 0),
            closes_local=datetime(2027, 4, 1, 8, 0),
        ),
    )


@pytest.fixture
def published(official, draft):
    return lifecycle.publish_consultation(official, draft)


def upload(data, name):
    return documents.Upload(filename=name, stream=io.BytesIO(data))


def stored_files(app):
    folder = app.config["CIVIC_UPLOAD_PATH"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def file_of(app, document):
    with open(os.path.join(app.config["CIVIC_UPLOAD_PATH"], document.stored_name), "rb") as handle:
        return handle.read()


# --- configuration ---------------------------------------------------------------------------


def test_limits_have_defaults_and_the_request_limit_stays_above_them():
    config = load_config({"CIVIC_INSTANCE_PATH": "/srv/civic"})
    assert config["CIVIC_DOCUMENT_MAX_BYTES"] == 20 * 1024 * 1024
    assert config["CIVIC_IMAGE_MAX_BYTES"] == 5 * 1024 * 1024
    assert config["CIVIC_UPLOAD_PATH"] == "/srv/civic/uploads"
    assert config["MAX_CONTENT_LENGTH"] > config["CIVIC_DOCUMENT_MAX_BYTES"]
    raised = load_config({"CIVIC_DOCUMENT_MAX_BYTES": "104857600", "CIVIC_UPLOAD_PATH": "/data/uploads"})
    assert raised["MAX_CONTENT_LENGTH"] > 104857600 and raised["CIVIC_UPLOAD_PATH"] == "/data/uploads"
    assert load_config({"CIVIC_MAX_UPLOAD_BYTES": "1000"})["MAX_CONTENT_LENGTH"] == 1000


# --- services ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name, content_type, filename",
    [
        (files.PDF, "Plan de movilidad.pdf", "application/pdf", "Plan de movilidad.pdf"),
        (files.odt(), "informe.odt", "application/vnd.oasis.opendocument.text", "informe.odt"),
        (
            files.docx(),
            "C:\\docs\\Report.DOCX",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Report.docx",
        ),
        (files.CSV, "answers.csv", "text/csv", "answers.csv"),
    ],
)
def test_each_accepted_type_is_stored_under_a_random_name(app, official, draft, data, name, content_type, filename):
    document = documents.add_document(official, draft, upload(data, name), "  The document  ")
    assert document.title == "The document" and document.filename == filename
    assert document.content_type == content_type and document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{32}\.\w+", document.stored_name)
    assert stored_files(app) == [document.stored_name]  # no temporary file left behind
    assert file_of(app, document) == data
    assert (
        db.session.query(AuditEntry).filter_by(action="consultation.add_document").one().details["sha256"]
        == document.sha256
    )


def test_without_a_title_the_file_name_is_used(app, official, draft):
    document = documents.add_document(official, draft, upload(files.PDF, "plan_de_movilidad_2027.pdf"), "")
    assert document.title == "plan de movilidad 2027"


REFUSED = [
    (files.EXE, "setup.exe", "Documents must be PDF, ODT, DOCX or CSV files."),
    (files.HTML, "page.html", "Documents must be PDF, ODT, DOCX or CSV files."),
    (files.HTML, "data.csv", "does not match its name: it is a web page (HTML), not CSV text."),
    (
        files.plain_zip(),
        "plan.pdf",
        "The content of “plan.pdf” does not match its name: it is a ZIP archive, not a PDF.",
    ),
    (
        files.odt(),
        "report.docx",
        "does not match its name: it is an OpenDocument text (ODT), not a Word document (DOCX).",
    ),
    (b"name,age\nAna,3\x00\x00\x01\n", "binary.csv", "it is not CSV text in UTF-8"),
    (b"", "empty.pdf", "“empty.pdf” is empty."),
]


@pytest.mark.parametrize("data, name, message", REFUSED)
def test_refused_files_leave_nothing_stored(app, official, draft, data, name, message):
    with pytest.raises(InvalidInput) as info:
        documents.add_document(official, draft, upload(data, name), "Plan")
    assert message in info.value.message and info.value.field == "file"
    assert db.session.query(Document).count() == 0
    assert stored_files(app) == []
    assert db.session.query(AuditEntry).filter_by(action="consultation.add_document").count() == 0


@pytest.mark.parametrize(
    "make, message",
    [
        (
            files.docx_bomb,
            "“plan.docx” unpacks to more than {size}; a document can unpack to at most {size}. Save it again",
        ),
        (
            lambda: files.docx_with_entries(5_000),
            "“plan.docx” is made of more than 1000 parts; a document can have at most 1000.",
        ),
    ],
    ids=["unpacks_too_large", "too_many_parts"],
)
def test_a_zip_bomb_is_refused_with_its_reason_and_nothing_stored(app, official, draft, make, message):
    with pytest.raises(InvalidInput) as info:
        documents.add_document(official, draft, upload(make(), "plan.docx"), "Plan")
    size = format_size(uploads.ARCHIVE_MAX_UNPACKED_BYTES)
    assert message.format(size=size) in info.value.message and info.value.field == "file"
    assert db.session.query(Document).count() == 0 and stored_files(app) == []


def test_no_file_chosen_is_refused(app, official, draft):
    for nothing in (None, upload(b"", "")):
        with pytest.raises(InvalidInput, match="Choose a file.") as info:
            documents.add_document(official, draft, nothing, "Plan")
        assert info.value.field == "file"
    assert stored_files(app) == []


def test_a_file_over_the_limit_is_refused_with_the_sizes(app, official, draft):
    app.config["CIVIC_DOCUMENT_MAX_BYTES"] = 100
    too_large = rf"This file is {len(files.PDF)} bytes; a document can be at most 100 bytes\."
    with pytest.raises(InvalidInput, match=too_large):
        documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    app.config["CIVIC_DOCUMENT_MAX_BYTES"] = 1024 * 1024
    with pytest.raises(InvalidInput, match=r"This file is 1\.5 MB; a document can be at most 1 MB\."):
        documents.add_document(
            official, draft, upload(files.PDF + b" " * (512 * 1024 + 1024 * 1024 - len(files.PDF)), "plan.pdf")
        )
    assert stored_files(app) == [] and db.session.query(Document).count() == 0


def test_when_the_commit_fails_the_file_is_removed_too(app, official, draft, monkeypatch):
    def failing_commit():
        db.session.rollback()
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        documents.add_document(official, draft, upload(files.PDF, "plan.pdf"), "Plan")
    monkeypatch.undo()
    assert stored_files(app) == []
    assert db.session.query(Document).count() == 0


def test_a_failure_before_the_commit_leaves_no_temporary_file(app, official, draft, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit table locked")

    monkeypatch.setattr(documents, "record_staff_action", broken_audit)
    with pytest.raises(RuntimeError):
        documents.set_cover_image(official, draft, upload(files.png(), "c.png"), "A street")
    assert stored_files(app) == []
    assert db.session.query(Document).count() == 0


def test_only_officials_attach_or_remove_documents(app, official, draft, make_user):
    citizen = make_user(roles=("citizen",))
    moderator = make_user(roles=("citizen", "moderator"))
    for person in (citizen, moderator):
        with pytest.raises(NotAllowed):
            documents.add_document(person, draft, upload(files.PDF, "plan.pdf"))
        with pytest.raises(NotAllowed):
            documents.set_cover_image(person, draft, upload(files.png(), "c.png"), "A street")
    document = documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    with pytest.raises(NotAllowed):
        documents.remove_document(citizen, document)
    assert stored_files(app) == [document.stored_name]


def test_documents_of_a_published_consultation_are_public_corrections(app, official, published):
    document = documents.add_document(official, published, upload(files.PDF, "plan.pdf"), "Traffic study")
    documents.set_cover_image(official, published, upload(files.png(), "street.png"), "Calle Mayor on a Saturday")
    documents.remove_document(official, document)
    notes = [c.note for c in db.session.query(Correction).order_by(Correction.id)]
    assert notes == ["Document added: Traffic study", "Cover image added.", "Document removed: Traffic study"]
    assert {c.fields for c in db.session.query(Correction)} == {"documents"}


def test_drafts_change_their_documents_without_corrections(app, official, draft):
    document = documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    documents.remove_document(official, document)
    assert db.session.query(Correction).count() == 0


def test_removing_a_document_deletes_its_file(app, official, draft):
    keep = documents.add_document(official, draft, upload(files.CSV, "a.csv"))
    gone = documents.add_document(official, draft, upload(files.PDF, "b.pdf"))
    documents.remove_document(official, gone)
    assert stored_files(app) == [keep.stored_name]
    assert db.session.query(AuditEntry).filter_by(action="consultation.remove_document").count() == 1


def test_deleting_a_draft_deletes_its_files(app, official, draft):
    documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    documents.set_cover_image(official, draft, upload(files.png(), "c.png"), "", decorative=True)
    assert len(stored_files(app)) == 2
    lifecycle.delete_consultation(official, draft)
    assert stored_files(app) == [] and db.session.query(Document).count() == 0


def test_documents_keep_their_order_and_move(app, official, draft):
    first = documents.add_document(official, draft, upload(files.PDF, "first.pdf"))
    second = documents.add_document(official, draft, upload(files.CSV, "second.csv"))
    assert [d.title for d in documents.documents_of(draft)] == ["first", "second"]
    documents.move_document(official, second, -1)
    assert [d.id for d in documents.documents_of(draft)] == [second.id, first.id]
    documents.move_document(official, second, -1)  # already first
    assert [d.id for d in documents.documents_of(draft)] == [second.id, first.id]


def test_a_cover_image_needs_a_description_unless_it_is_decorative(app, official, draft):
    with pytest.raises(InvalidInput) as info:
        documents.set_cover_image(official, draft, upload(files.png(), "street.png"), "   ")
    assert info.value.field == "alt_text" and "Describe the image" in info.value.message
    assert stored_files(app) == [] and db.session.query(Document).count() == 0
    cover = documents.set_cover_image(official, draft, upload(files.png(), "street.png"), "", decorative=True)
    assert cover.alt_text == "" and cover.role == "cover" and cover.content_type == "image/png"
    assert documents.documents_of(draft) == [] and documents.cover_of(draft).id == cover.id


def test_a_refused_image_and_a_missing_description_are_both_reported(app, official, draft):
    with pytest.raises(InvalidInput) as info:
        documents.set_cover_image(official, draft, upload(files.SVG, "logo.svg"), "")
    assert set(info.value.errors) == {"image", "alt_text"}
    assert "SVG and other kinds are not accepted" in info.value.errors["image"][0]
    with pytest.raises(InvalidInput, match="Choose an image file"):
        documents.set_cover_image(official, draft, None, "A street")
    app.config["CIVIC_IMAGE_MAX_BYTES"] = 10
    with pytest.raises(InvalidInput, match="a cover image can be at most 10 bytes"):
        documents.set_cover_image(official, draft, upload(files.png(), "street.png"), "A street")
    assert stored_files(app) == []


def test_replacing_the_cover_removes_the_old_file_and_the_description_can_change_alone(app, official, published):
    old = documents.set_cover_image(official, published, upload(files.png(), "old.png"), "The old square")
    old_name = old.stored_name
    new = documents.set_cover_image(official, published, upload(files.webp_lossless(), "new.webp"), "The new square")
    assert stored_files(app) == [new.stored_name] and new.stored_name != old_name
    assert db.session.query(Document).count() == 1
    same = documents.set_cover_image(official, published, None, "The new square, from the fountain")
    assert same.id == new.id and same.alt_text == "The new square, from the fountain"
    assert [c.note for c in db.session.query(Correction).order_by(Correction.id)] == [
        "Cover image added.",
        "Cover image replaced.",
        "The cover image's description was changed.",
    ]


def test_open_document_checks_who_may_see_the_consultation(app, official, draft, make_user):
    from civic.accounts.models import AnonymousUser

    document = documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    found, path = documents.open_document(official, draft, document.id)
    assert found.id == document.id and path.read_bytes() == files.PDF
    with pytest.raises(NotAllowed):
        documents.open_document(make_user(), draft, document.id)
    with pytest.raises(NotFound):
        documents.open_document(official, draft, document.id + 100)
    lifecycle.publish_consultation(official, draft)
    assert documents.open_document(AnonymousUser(), draft, document.id)[0].id == document.id


def test_a_missing_file_is_a_404_not_a_500(app, official, draft):
    document = documents.add_document(official, draft, upload(files.PDF, "plan.pdf"))
    os.remove(os.path.join(app.config["CIVIC_UPLOAD_PATH"], document.stored_name))
    with pytest.raises(NotFound, match="This file is missing"):
        documents.open_document(official, draft, document.id)


def test_descriptions_give_type_and_size(app, official, draft):
    pdf = documents.add_document(official, draft, upload(files.PDF + b" " * (1258291 - len(files.PDF)), "plan.pdf"))
    csv = documents.add_document(official, draft, upload(files.CSV, "answers.csv"))
    assert documents.describe_document(pdf) == "PDF, 1.2 MB"
    assert documents.describe_document(csv) == f"CSV, {len(files.CSV)} bytes"


# --- pages ---------------------------------------------------------------------------------------


def page_url(consultation):
    return f"/consultations/{consultation.id}/documents"


def post_file(web, consultation, data, name, title=""):
    return web.post(
        page_url(consultation),
        {"file": (io.BytesIO(data), name), "title": title},
        form_url=page_url(consultation),
        content_type="multipart/form-data",
    )


def test_an_official_attaches_a_document_and_everyone_downloads_it(app, web, login_as):
    client = app.test_client()  # not signed in
    official = login_as("official")
    consultation = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Night buses",
            summary="Where?",
            opens_local=datetime(2027, 3, 1, 8, 0),
            closes_local=datetime(2027, 4, 1, 8, 0),
        ),
    )
    page = web.get(page_url(consultation))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    response = post_file(web, consultation, files.PDF, "Estudio de tráfico «2027».pdf", "Traffic study")
    assert response.status_code == 302
    document = db.session.query(Document).one()
    assert document.filename == "Estudio de tráfico _2027.pdf"
    listing = web.get(page_url(consultation)).get_data(as_text=True)
    assert "Traffic study" in listing and f"PDF, {len(files.PDF)} bytes" in listing

    url = f"/consultations/{consultation.id}/documents/{document.id}/{quote(document.filename)}"
    assert client.get(url).status_code == 302  # a draft: anonymous people are sent to sign in
    assert client.get(url).headers["Location"].startswith("/sign-in")
    lifecycle.publish_consultation(official, db.session.get(type(consultation), consultation.id))

    download = client.get(url)
    assert download.status_code == 200 and download.data == files.PDF
    headers = download.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Estudio%20de%20tr%C3%A1fico%20_2027.pdf" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["Cache-Control"] == "private, no-cache"
    assert headers["ETag"] == f'"{document.sha256}"'
    assert client.get(url, headers={"If-None-Match": headers["ETag"]}).status_code == 304

    show = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert 'id="documents-title">Documents<' in show
    assert f'href="{url}"' in show and f'Traffic study</a> <span class="muted">(PDF, {len(files.PDF)} bytes)' in show


def test_a_wrong_name_in_the_address_redirects_to_the_real_one(app, official, published, client):
    document = documents.add_document(official, published, upload(files.CSV, "answers.csv"))
    response = client.get(f"/consultations/{published.id}/documents/{document.id}/other.exe")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/documents/{document.id}/answers.csv")


def test_citizens_cannot_see_the_documents_page_or_upload(app, web, login_as, official, published):
    login_as("citizen")
    assert web.get(page_url(published)).status_code == 403
    response = web.post(
        page_url(published),
        {"file": (io.BytesIO(files.PDF), "plan.pdf")},
        form_url="/",
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert db.session.query(Document).count() == 0 and stored_files(app) == []


def test_a_refused_upload_is_explained_beside_the_field_and_the_title_kept(app, web, login_as):
    official = login_as("official")
    consultation = lifecycle.create_consultation(official, draft_fields(title="Parks"))
    response = post_file(web, consultation, files.plain_zip(), "plan.pdf", "Park plan")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "does not match its name: it is a ZIP archive, not a PDF." in html
    assert 'href="#file"' in html and 'aria-invalid="true"' in html
    assert 'value="Park plan"' in html
    assert db.session.query(Document).count() == 0 and stored_files(app) == []


def test_a_request_over_the_site_limit_gets_a_clear_413(app, web, login_as):
    official = login_as("official")
    consultation = lifecycle.create_consultation(official, draft_fields(title="Parks"))
    token = web.csrf_token(page_url(consultation))
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = web.client.post(
        page_url(consultation),
        data={"csrf_token": token, "file": (io.BytesIO(files.PDF + b" " * 4096), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "larger than the site accepts: at most 2 KB at a time" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_the_cover_image_is_shown_inline_with_its_description(app, web, login_as):
    client = app.test_client()  # not signed in
    official = login_as("official")
    consultation = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Plaza",
            summary="A new square",
            opens_local=datetime(2027, 3, 1, 8, 0),
            closes_local=datetime(2027, 4, 1, 8, 0),
        ),
    )
    refused = web.post(
        page_url(consultation) + "/cover",
        {"image": (io.BytesIO(files.png()), "square.png"), "alt_text": ""},
        form_url=page_url(consultation),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and 'href="#alt_text"' in refused.get_data(as_text=True)
    saved = web.post(
        page_url(consultation) + "/cover",
        {"image": (io.BytesIO(files.png()), "square.png"), "alt_text": "Children playing by the fountain"},
        form_url=page_url(consultation),
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    cover = documents.cover_of(db.session.get(type(consultation), consultation.id))
    lifecycle.publish_consultation(official, cover.consultation)
    url = f"/consultations/{consultation.id}/documents/{cover.id}/square.png"
    image = client.get(url)
    assert image.status_code == 200 and image.data == files.png()
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    show = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'<img class="cover-image" src="{url}" alt="Children playing by the fountain">' in show
    listing = client.get("/consultations/").get_data(as_text=True)
    assert f'<img class="card-cover" src="{url}" alt=""' in listing


def test_an_official_removes_a_document_from_the_page(app, web, login_as):
    official = login_as("official")
    consultation = lifecycle.create_consultation(official, draft_fields(title="Parks"))
    document = documents.add_document(official, consultation, upload(files.CSV, "trees.csv"), "Tree survey")
    response = web.post(f"{page_url(consultation)}/{document.id}/remove", {}, form_url=page_url(consultation))
    assert response.status_code == 302
    assert db.session.query(Document).count() == 0 and stored_files(app) == []
    assert "“Tree survey” is removed." in web.get(page_url(consultation)).get_data(as_text=True)


def test_the_staff_tools_link_to_the_documents_page(app, web, login_as):
    official = login_as("official")
    consultation = lifecycle.create_consultation(official, draft_fields(title="Parks"))
    assert f'href="{page_url(consultation)}"' in web.get(f"/consultations/{consultation.id}").get_data(as_text=True)
