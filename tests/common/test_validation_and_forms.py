"""The shared text cleaner, the several-fields error, and service errors shown on forms."""

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

from civic.common.forms import apply_service_error, errors_flashed, errors_on
from civic.common.validation import FieldErrors, clean_text, raise_first
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited


def test_clean_text_trims_and_normalises_line_ends(app):
    assert clean_text("  a\r\nb  ", field="body", max_length=10) == "a\nb"
    assert clean_text(" a \n  b ", field="title", max_length=10, multiline=False) == "a b"
    assert clean_text(None, field="body", max_length=10) == ""


def test_clean_text_refuses_empty_when_required_and_too_long_with_the_length(app):
    with pytest.raises(InvalidInput) as empty:
        clean_text("  ", field="title", max_length=5, required="Give a title.")
    assert (empty.value.message, empty.value.field) == ("Give a title.", "title")
    with pytest.raises(InvalidInput) as long:
        clean_text("abcdefg", field="title", max_length=5)
    assert "5" in long.value.message and "7" in long.value.message
    with pytest.raises(InvalidInput, match="Too long!"):
        clean_text("abcdefg", field="title", max_length=5, too_long="Too long!")


def test_field_errors_report_every_field_and_the_first_as_the_message(app):
    problems = FieldErrors()
    assert problems.check(clean_text, "ok", field="title", max_length=5) == "ok"
    assert problems.check(clean_text, "", field="body", max_length=5, required="Say it.") is None
    problems.add("area", "Choose one.")
    assert "body" in problems and "title" not in problems
    with pytest.raises(InvalidInput) as error:
        problems.raise_if_any()
    assert error.value.message == "Say it."
    assert error.value.errors == {"body": ["Say it."], "area": ["Choose one."]}
    raise_first({})  # nothing to say: no error


class _Form(FlaskForm):
    class Meta:
        csrf = False

    title = StringField()


def test_service_errors_go_beside_their_field_or_above_the_form(app):
    with app.test_request_context():
        form = _Form()
        apply_service_error(form, InvalidInput("Too short.", field="title"))
        apply_service_error(form, InvalidInput("Unknown field.", field="nowhere"))
        apply_service_error(form, Conflict("Already closed."))
        assert form.title.errors == ["Too short."]
        assert form.form_errors == ["Unknown field.", "Already closed."]


@pytest.mark.parametrize("error", [InvalidInput("bad", field="title"), Conflict("late"), RateLimited("slow down")])
def test_errors_on_keeps_the_form_for_errors_about_the_submission(app, error):
    with app.test_request_context():
        form = _Form()
        with errors_on(form) as attempt:
            raise error
        assert not attempt.succeeded and attempt.status == error.status
        assert error.message in list(form.title.errors) + list(form.form_errors)


@pytest.mark.parametrize("error", [NotAllowed("no"), NotFound("gone")])
def test_errors_on_lets_permission_and_missing_errors_reach_the_error_pages(app, error):
    with app.test_request_context():
        with pytest.raises(type(error)):
            with errors_on(_Form()):
                raise error


def test_errors_flashed_flashes_the_message_and_success_is_plain(app):
    from flask import get_flashed_messages

    with app.test_request_context():
        with errors_flashed() as attempt:
            raise Conflict("Already published.")
        assert not attempt.succeeded
        assert get_flashed_messages(with_categories=True) == [("error", "Already published.")]
        with errors_flashed() as attempt:
            pass
        assert attempt.succeeded and attempt.status == 200


def test_stream_csv_streams_every_row_in_chunks_with_download_headers(app):
    from civic.common.downloads import stream_csv

    rows = ([i, "é" * 50] for i in range(5000))
    with app.test_request_context():
        response = stream_csv(["n", "text"], rows, "x.csv", bom=True)
        chunks = list(response.response)
    assert len(chunks) > 1
    body = "".join(chunks)
    assert body.startswith("\ufeffn,text\r\n") and body.count("\r\n") == 5001
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"


def test_errors_on_with_only_lets_other_errors_reach_the_error_pages(app):
    from civic.errors import ServiceUnavailable

    with app.test_request_context():
        form = _Form()
        with pytest.raises(ServiceUnavailable):
            with errors_on(form, only=InvalidInput):
                raise ServiceUnavailable("mail is down")
        with errors_on(form, only=InvalidInput) as attempt:
            raise InvalidInput("bad", field="title")
        assert not attempt.succeeded and form.title.errors == ["bad"]
