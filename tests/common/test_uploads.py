"""What an uploaded file is, told from its bytes: accepted types, refusals, pixel sizes, safe names."""

import io
import struct
import zipfile

import pytest

from civic.common import uploads
from civic.common.uploads import DOCUMENT_KINDS, IMAGE_KINDS, KINDS, UploadRefused, check_upload
from tests.support import sample_files as files

MB = 1024 * 1024


def check(data, name, allowed=DOCUMENT_KINDS, limit=20 * MB):
    return check_upload(io.BytesIO(data), name, allowed, limit)


def refusal(data, name, allowed=DOCUMENT_KINDS, limit=20 * MB):
    with pytest.raises(UploadRefused) as info:
        check(data, name, allowed, limit)
    return info.value


@pytest.mark.parametrize(
    "data, name, kind, content_type",
    [
        (files.PDF, "plan.pdf", "pdf", "application/pdf"),
        (files.odt(), "informe.odt", "odt", "application/vnd.oasis.opendocument.text"),
        (
            files.docx(),
            "Report.DOCX",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (files.CSV, "answers.csv", "csv", "text/csv"),
        (files.CSV_WITH_BOM, "votos.csv", "csv", "text/csv"),
    ],
)
def test_each_accepted_document_type_is_recognised_by_its_content(data, name, kind, content_type):
    checked = check(data, name)
    assert checked.kind.key == kind and checked.kind.content_type == content_type
    assert checked.size == len(data)
    assert checked.width is None


@pytest.mark.parametrize(
    "data, name, kind, size",
    [
        (files.png(3, 2), "cover.png", "png", (3, 2)),
        (files.jpeg_header(640, 480), "photo.jpg", "jpeg", (640, 480)),
        (files.jpeg_header(800, 600), "photo.JPEG", "jpeg", (800, 600)),
        (files.webp_lossless(5, 7), "small.webp", "webp", (5, 7)),
        (files.webp_extended(1200, 630), "wide.webp", "webp", (1200, 630)),
        (files.webp_lossy(320, 200), "lossy.webp", "webp", (320, 200)),
    ],
)
def test_cover_images_are_recognised_with_their_pixel_size(data, name, kind, size):
    checked = check(data, name, IMAGE_KINDS, 5 * MB)
    assert checked.kind.key == kind and checked.kind.image
    assert (checked.width, checked.height) == size


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "notes.txt", "archive.zip", "noextension", ".pdf"])
def test_names_of_other_types_are_refused(name):
    assert refusal(files.EXE, name).reason == "wrong_type"


@pytest.mark.parametrize(
    "data, name, expected, found",
    [
        (files.plain_zip(), "plan.pdf", "pdf", "zip"),
        (files.docx(), "plan.pdf", "pdf", "docx"),
        (files.odt(), "report.docx", "docx", "odt"),
        (files.docx(), "report.odt", "odt", "docx"),
        (files.odt(b"application/vnd.oasis.opendocument.spreadsheet"), "sheet.odt", "odt", "opendocument"),
        (files.odt(compress_mimetype=True), "squeezed.odt", "odt", "opendocument"),
        (files.HTML, "data.csv", "csv", "html"),
        (files.EXE, "data.csv", "csv", "program"),
        (files.EXE, "plan.pdf", "pdf", "program"),
        (files.PDF, "data.csv", "csv", "pdf"),
        (files.CSV, "plan.pdf", "pdf", "csv"),
        (b"name,age\nAna,3\x00\x00\x01\n", "binary.csv", "csv", None),
        (b"name,age\nAna,\x07 30\n", "bell.csv", "csv", "text"),
        ("nombre\nMañana\n".encode("latin-1"), "latin1.csv", "csv", None),
        (b'name,note\nAna,"unclosed\n', "broken.csv", "csv", "text"),
        (b"PK\x03\x04 not really a zip at all", "broken.docx", "docx", None),
    ],
)
def test_content_that_does_not_match_the_name_is_refused(data, name, expected, found):
    refused = refusal(data, name)
    assert refused.reason == "mismatch"
    assert refused.values == {"expected": expected, "found": found}


@pytest.mark.parametrize(
    "data, name, reason",
    [
        (files.SVG, "logo.svg", "wrong_type"),
        (files.SVG, "logo.png", "mismatch"),
        (files.GIF, "anim.gif", "wrong_type"),
        (files.GIF, "anim.png", "mismatch"),
        (files.HTML, "page.webp", "mismatch"),
        (files.PDF, "cover.pdf", "wrong_type"),
        (files.png()[:20], "cut.png", "mismatch"),  # the header stops before the pixel size
    ],
)
def test_cover_images_other_than_png_jpeg_or_webp_are_refused(data, name, reason):
    assert refusal(data, name, IMAGE_KINDS, 5 * MB).reason == reason


# --- ZIP-based documents: measured before anything unpacks them ----------------------------------


def test_a_zip_bomb_that_declares_its_gibibyte_is_refused_unread():
    bomb = files.docx_bomb()
    assert len(bomb) < 2 * MB
    refused = refusal(bomb, "report.docx")
    assert refused.reason == "archive_too_large"
    assert refused.values == {"limit": uploads.ARCHIVE_MAX_UNPACKED_BYTES}


def test_a_zip_bomb_that_declares_a_small_size_is_refused_when_it_unpacks_to_more():
    liar = files.docx_bomb(declared=files.MIB)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive, archive.open("word/media/image1.png") as picture:
        assert len(picture.read(2 * files.MIB)) == files.MIB  # a reader trusting the declared size sees no fault
    assert refusal(liar, "report.docx").values == {"expected": "docx", "found": None}


def test_entries_that_share_one_packed_picture_count_once_each():
    shared = files.docx_sharing_one_bomb()
    assert len(shared) < 100 * 1024
    assert refusal(shared, "report.docx").reason == "archive_too_large"


def test_a_document_of_too_many_entries_is_refused_before_they_are_listed(monkeypatch):
    def no_listing(*args, **kwargs):
        raise AssertionError("the entries were listed")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", no_listing)
    refused = refusal(files.docx_with_entries(uploads.ARCHIVE_MAX_ENTRIES + 1), "many.docx")
    assert refused.reason == "archive_too_many_entries"
    assert refused.values == {"limit": uploads.ARCHIVE_MAX_ENTRIES}


def test_an_end_record_that_understates_the_entries_does_not_hide_them():
    many = bytearray(files.docx_with_entries(uploads.ARCHIVE_MAX_ENTRIES + 1))
    end = many.rindex(b"PK\x05\x06")
    many[end + 8 : end + 12] = struct.pack("<HH", 3, 3)
    assert refusal(bytes(many), "many.docx").reason == "archive_too_many_entries"


def test_an_odt_bomb_is_refused_as_a_docx_bomb_is():
    assert refusal(files.odt_bomb(), "informe.odt").reason == "archive_too_large"


@pytest.mark.parametrize(
    "data, name",
    [
        (files.large_docx(), "long report.docx"),
        (files.docx_with_entries(uploads.ARCHIVE_MAX_ENTRIES), "many pictures.docx"),
        (files.odt(), "informe.odt"),
    ],
)
def test_real_documents_with_many_parts_and_megabytes_of_text_are_accepted(data, name):
    assert check(data, name).size == len(data)


def test_svg_is_told_apart_from_html():
    assert uploads.detect_content(io.BytesIO(files.SVG)) == "svg"
    assert uploads.detect_content(io.BytesIO(files.HTML)) == "html"


def test_an_image_of_absurd_size_is_refused():
    refused = refusal(files.png_header(20_000, 10), "huge.png", IMAGE_KINDS, 5 * MB)
    assert refused.reason == "image_too_big" and refused.values == {"width": 20_000, "height": 10}


def test_size_limit_and_empty_files():
    assert refusal(files.PDF, "plan.pdf", limit=len(files.PDF) - 1).values == {
        "size": len(files.PDF),
        "limit": len(files.PDF) - 1,
    }
    assert check(files.PDF, "plan.pdf", limit=len(files.PDF)).size == len(files.PDF)
    assert refusal(b"", "empty.pdf").reason == "empty"


def test_the_size_is_checked_before_the_type():
    assert refusal(files.EXE * 10, "setup.exe", limit=100).reason == "too_large"


def test_a_large_csv_is_read_in_chunks_and_a_bad_byte_late_in_it_is_found():
    rows = b"".join(b"%d,Calle Mayor,yes\n" % n for n in range(20_000))
    assert check(rows, "big.csv").kind.key == "csv"
    assert refusal(rows + b"1,\xff\xfe,no\n", "big.csv").values["found"] == "text"


def test_checking_leaves_the_stream_at_its_start_and_open():
    stream = io.BytesIO(files.CSV)
    check_upload(stream, "answers.csv", DOCUMENT_KINDS, MB)
    assert not stream.closed and stream.tell() == 0
    stream = io.BytesIO(files.docx())
    check_upload(stream, "r.docx", DOCUMENT_KINDS, MB)
    assert not stream.closed and stream.tell() == 0


@pytest.mark.parametrize(
    "name, kind, expected",
    [
        ("plan.pdf", "pdf", "plan.pdf"),
        ("Informe Final.PDF", "pdf", "Informe Final.pdf"),
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("C:\\Users\\ana\\Escritorio\\presupuesto.odt", "odt", "presupuesto.odt"),
        ("résumé naïve — 2027.docx", "docx", "résumé naïve _ 2027.docx"),
        ("Отчёт 計画 تقرير.csv", "csv", "Отчёт 計画 تقرير.csv"),
        ("evil\u202efdp.exe.pdf", "pdf", "evilfdp.exe.pdf"),
        ("line\nbreak\x00null\r.pdf", "pdf", "line breaknull.pdf"),
        ('quote"semi;colon<script>.pdf', "pdf", "quote_semi_colon_script.pdf"),
        ("   ...   .pdf", "pdf", "document.pdf"),
        (".pdf", "pdf", "document.pdf"),
        ("CON.pdf", "pdf", "CON_.pdf"),
        ("photo.JPEG", "jpeg", "photo.jpeg"),
        ("photo.jpg", "jpeg", "photo.jpg"),
        ("no extension", "png", "no extension.png"),
        ("tab\tand  spaces.csv", "csv", "tab and spaces.csv"),
    ],
)
def test_download_names_are_safe(name, kind, expected):
    assert uploads.safe_download_name(name, KINDS[kind]) == expected


def test_download_names_are_capped_and_keep_their_extension():
    name = uploads.safe_download_name("á" * 500 + ".pdf", KINDS["pdf"])
    assert len(name) == uploads.FILENAME_MAX_LENGTH and name.endswith("á.pdf")
    assert uploads.safe_download_name("", KINDS["png"], fallback="cover") == "cover.png"


def test_a_title_comes_from_the_file_name_when_none_is_given():
    assert uploads.title_from_filename("C:\\docs\\plan_de_movilidad_2027.pdf") == "plan de movilidad 2027"
    assert uploads.title_from_filename("Presupuesto\u202e.odt") == "Presupuesto"


def test_names_in_messages_lose_folders_and_control_characters():
    assert uploads.shown_name("C:\\fakepath\\plan_2027\u202e.pdf") == "plan_2027.pdf"
    assert uploads.shown_name("x" * 100 + ".pdf") == "x" * 79 + "…"
