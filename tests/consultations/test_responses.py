"""The questionnaire builder and responding: save, review, submit, change, and the closing time."""

import re
from datetime import timedelta

import pytest

from civic.consultations.models import Correction, Response
from civic.consultations.services import follows, lifecycle, questions, responses, results
from civic.errors import Conflict, InvalidInput, NotAllowed, ParticipationClosed
from civic.extensions import db
from civic.mail.mailings import send_mailings
from tests.support.consultations import answers
from tests.support.downloads import csv_rows, formula_cells
from tests.support.mail import mail_to
from tests.support.users import seen_just_now


def test_a_response_is_checked_submitted_counted_once_and_receipted(app, survey, make_user, outbox):
    citizen = make_user(name="Rosa")
    response = responses.submit_response(citizen, survey, answers(survey))
    assert response.submitted_at and survey.response_count == 1
    responses.submit_response(citizen, survey, answers(survey, **{"Where do you live?": ("River side", "")}))
    db.session.refresh(survey)
    assert survey.response_count == 1 and db.session.query(Response).count() == 1
    receipt = mail_to(outbox, citizen.email)[-1].get_body(("plain",)).get_content()
    assert "River side" in receipt and "Scooter" in receipt and "1. Safety" in receipt


def test_answers_that_do_not_fit_are_refused_question_by_question(app, survey, make_user):
    citizen = make_user()
    bad = answers(
        survey,
        **{
            "How do you usually travel?": ("Rocket", ""),
            "How safe do you feel cycling?": ("11", ""),
            "Would you support a car-free Saturday?": ("", ""),
            "What would make your trips better?": ("x" * 10_001, ""),
        },
    )
    with pytest.raises(InvalidInput) as info:
        responses.submit_response(citizen, survey, bad)
    messages = {key: value[0] for key, value in info.value.errors.items()}
    assert len(messages) == 4
    assert any("options offered" in m for m in messages.values())
    assert any("from 0 to 10" in m for m in messages.values())
    assert any("Please answer" in m for m in messages.values())
    assert any("10000" in m or "10,000" in m for m in messages.values())
    assert db.session.query(Response).count() == 0


def test_saving_keeps_unchecked_answers_to_come_back_to(app, survey, make_user):
    citizen = make_user()
    responses.save_response(citizen, survey, answers(survey, **{"How safe do you feel cycling?": ("eleven", "")}))
    saved = responses.my_response(citizen, survey)
    assert saved.submitted_at is None and survey.response_count == 0
    assert "eleven" in [a.value for a in saved.answers]


def test_a_response_one_second_after_closing_is_refused(app, survey, make_user, frozen):
    citizen = make_user()
    frozen.set(survey.closes_at + timedelta(seconds=1))
    with pytest.raises(ParticipationClosed, match="closed"):
        responses.submit_response(citizen, survey, answers(survey))
    assert db.session.query(Response).count() == 0
    frozen.set(survey.opens_at - timedelta(seconds=1))
    with pytest.raises(ParticipationClosed, match="not open yet"):
        responses.save_response(citizen, survey, answers(survey))


def test_after_the_first_response_only_wording_can_change_and_it_is_listed(app, survey, official, make_user):
    responses.submit_response(make_user(), survey, answers(survey))
    question = survey.questions[2]
    with pytest.raises(Conflict):
        questions.save_question(
            official,
            survey,
            questions.QuestionData(
                kind="single_choice", prompt=question.prompt, options=("Bus", "Tram"), required=True, allow_other=True
            ),
        )
    with pytest.raises(Conflict):
        questions.save_question(official, survey, questions.QuestionData(kind="short_text", prompt="New question"))
    with pytest.raises(Conflict):
        questions.delete_question(official, question)
    questions.save_question(
        official,
        survey,
        questions.QuestionData(
            kind="single_choice",
            prompt="How do you usually get about?",
            options=("Bus", "Bike", "Car"),
            required=True,
            allow_other=True,
        ),
        question,
    )
    assert question.prompt == "How do you usually get about?"
    assert db.session.query(Correction).filter_by(fields="question").count() == 1


def test_question_definitions_are_checked(app, survey, official):
    bad = [
        questions.QuestionData(kind="single_choice", prompt="Pick", options=("Only",)),
        questions.QuestionData(kind="scale", prompt="Rate", scale="1-7"),
        questions.QuestionData(kind="essay", prompt="?"),
        questions.QuestionData(kind="short_text", prompt="  "),
    ]
    for data in bad:
        with pytest.raises(InvalidInput):
            questions.save_question(official, survey, data)


def test_reordering_questions(app, survey, official):
    first, second = survey.questions[0], survey.questions[1]
    questions.move_question(official, second, -1)
    db.session.refresh(survey)
    assert survey.questions[0].id == second.id and survey.questions[1].id == first.id


# --- pages ----------------------------------------------------------------------------------


def form_data(survey, typed):
    data = {}
    for question in survey.questions:
        value, other = typed.get(question.id, (None, ""))
        if question.kind == "ranking" and isinstance(value, list):
            for index, option in enumerate(question.options):
                data[f"q{question.id}_rank_{index}"] = str(value.index(option) + 1)
        elif value is not None:
            data[f"q{question.id}"] = value
        if other:
            data[f"q{question.id}_other"] = other
    return data


def test_citizen_responds_reviews_and_submits_through_the_pages(app, web, login_as, survey, outbox):
    user = login_as("citizen")
    url = f"/consultations/{survey.id}/respond"
    page = web.get(url).get_data(as_text=True)
    assert "How safe do you feel cycling?" in page and "Not at all" in page
    review = web.post(url, {**form_data(survey, answers(survey)), "action": "review"}, form_url=url)
    assert review.status_code == 302 and review.headers["Location"].endswith("/respond/review")
    check = web.get(f"{url}/review").get_data(as_text=True)
    assert "Scooter" in check and "Night bus; Bike lanes" in check
    submitted = web.post(f"{url}/submit", {}, form_url=f"{url}/review")
    assert submitted.status_code == 302
    assert "You responded on" in web.get(f"/consultations/{survey.id}").get_data(as_text=True)
    assert mail_to(outbox, user.email)


def test_wrong_answers_are_shown_beside_their_questions_and_the_rest_is_kept(web, login_as, survey):
    login_as("citizen")
    url = f"/consultations/{survey.id}/respond"
    typed = answers(survey, **{"How safe do you feel cycling?": ("42", "")})
    response = web.post(url, {**form_data(survey, typed), "action": "review"}, form_url=url)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    scale_id = survey.questions[4].id
    assert f'href="#q{scale_id}-field"' in html and "from 0 to 10" in html
    assert "More frequent buses at night." in html and 'value="Old Town"' in html


def test_a_late_submission_shows_the_text_back(web, login_as, survey, frozen):
    login_as("citizen")
    url = f"/consultations/{survey.id}/respond"
    web.post(url, {**form_data(survey, answers(survey)), "action": "save"}, form_url=url)
    token = web.csrf_token(f"/consultations/{survey.id}")
    frozen.set(survey.closes_at + timedelta(seconds=1))
    seen_just_now()  # still signed in, months later
    response = web.client.post(f"{url}/submit", data={"csrf_token": token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "no longer takes responses" in html and "More frequent buses at night." in html


def test_builder_pages(web, login_as, survey, make_user):
    login_as("official")
    url = f"/consultations/{survey.id}/questions"
    assert "Rank these priorities" in web.get(url).get_data(as_text=True)
    bad = web.post(url, {"kind": "single_choice", "prompt": "Pick one", "options": "Only one"}, form_url=url)
    assert bad.status_code == 422 and "between 2 and 30" in bad.get_data(as_text=True)
    ok = web.post(url, {"kind": "multiple_choice", "prompt": "Which days?", "options": "Mon\nTue\nWed"}, form_url=url)
    assert ok.status_code == 302
    assert re.search(r"Which days\?", web.get(url).get_data(as_text=True))


# --- results and exports --------------------------------------------------------------------


def test_results_count_each_question(app, survey, official, make_user):
    for _n, travel in enumerate(("Bus", "Bus", "Bike")):
        responses.submit_response(make_user(), survey, answers(survey, **{"How do you usually travel?": (travel, "")}))
    responses.save_response(make_user(), survey, answers(survey))  # a draft does not count
    data = results.results(official, survey)
    assert data["total"] == 3 and sum(count for _day, count in data["per_day"]) == 3
    travel = dict((q.prompt, s) for q, s in data["questions"])["How do you usually travel?"]
    assert travel["rows"][:2] == [("Bus", 2, 66.7), ("Bike", 1, 33.3)]
    with pytest.raises(NotAllowed):
        results.results(make_user(), survey)


def test_export_streams_rows_without_personal_data_unless_asked(app, survey, official, make_user):
    from civic.audit.models import AuditEntry

    for n in range(3):
        responses.submit_response(make_user(f"p{n}@example.org", name=f"Person {n}"), survey, answers(survey))
    header, rows = results.export_responses(official, survey)
    rows = [header, *rows]
    assert len(rows) == 4 and "email" not in rows[0]
    assert not any("p0@example.org" in str(cell) for row in rows for cell in row)
    assert "Night bus | Bike lanes" in rows[1] and "Other: Scooter" in " ".join(map(str, rows[1]))
    header, rows = results.export_responses(official, survey, personal_data=True)
    personal = [header, *rows]
    assert personal[0][2:4] == ["name", "email"] and "p0@example.org" in personal[1]
    exports = db.session.query(AuditEntry).filter_by(action="consultation.export").all()
    assert [e.details["personal_data"] for e in exports] == [False, True]


def test_the_export_is_checked_and_audited_before_a_row_is_read(app, survey, official, make_user):
    from civic.audit.models import AuditEntry

    audited = lambda: db.session.query(AuditEntry).filter_by(action="consultation.export").count()  # noqa: E731
    with pytest.raises(NotAllowed):
        results.export_responses(make_user(), survey)
    assert audited() == 0
    header, rows = results.export_responses(official, survey)
    assert audited() == 1 and header[:2] == ["response_id", "submitted_at"]
    assert list(rows) == []


def test_export_and_results_pages_are_for_officials_only(web, login_as, survey, make_user):
    responses.submit_response(make_user(name="Quoted Person"), survey, answers(survey))
    login_as("citizen")
    for path in ("results", "export.csv", "export.json", f"results/{survey.questions[1].id}"):
        assert web.get(f"/consultations/{survey.id}/{path}").status_code == 403
    web.post("/sign-out")
    login_as("official")
    csv_response = web.get(f"/consultations/{survey.id}/export.csv")
    assert csv_response.status_code == 200 and "attachment" in csv_response.headers["Content-Disposition"]
    body = csv_response.get_data(as_text=True)
    assert body.startswith("\ufeffresponse_id,submitted_at,")  # the BOM makes spreadsheets read UTF-8
    assert "More frequent buses at night." in body and "Quoted Person" not in body
    as_json = web.get(f"/consultations/{survey.id}/export.json").get_json()
    assert len(as_json["responses"]) == 1
    dashboard = web.get(f"/consultations/{survey.id}/results").get_data(as_text=True)
    assert "Responses per day" in dashboard and "66.7" not in dashboard
    reading = web.get(f"/consultations/{survey.id}/results/{survey.questions[1].id}?contains=night")
    assert "More frequent buses at night." in reading.get_data(as_text=True)
    none = web.get(f"/consultations/{survey.id}/results/{survey.questions[1].id}?contains=zebra")
    assert "More frequent buses" not in none.get_data(as_text=True)


def test_answers_and_names_that_look_like_formulas_are_text_in_both_csv_exports(web, login_as, survey, make_user):
    person = make_user(name="@SUM(1+1)*cmd|' /C calc'!A0")
    typed = {
        "Where do you live?": ("=cmd|' /C calc'!A0", ""),
        "What would make your trips better?": ("-2+3+cmd|' /C calc'!A0", ""),
        "How safe do you feel cycling?": ("0", ""),
    }
    responses.submit_response(person, survey, answers(survey, **typed))
    login_as("official")
    for personal in ("0", "1"):
        rows = csv_rows(web.get(f"/consultations/{survey.id}/export.csv?personal={personal}"))
        assert "'=cmd|' /C calc'!A0" in rows[1] and "'-2+3+cmd|' /C calc'!A0" in rows[1]
        assert rows[1][rows[0].index(f"q{survey.questions[4].id}: How safe do you feel cycling?")] == "0"
        assert formula_cells(rows) == []
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in rows[1] and person.email in rows[1]


# --- follows and notifications ----------------------------------------------------------------


def test_followers_and_respondents_are_told_when_it_closes_and_of_the_outcome(
    app, survey, official, make_user, frozen, outbox
):
    from civic.notifications.models import Notification

    follower, respondent, both = make_user(), make_user(), make_user()
    follows.follow_consultation(follower, survey)
    follows.follow_consultation(both, survey)
    responses.submit_response(respondent, survey, answers(survey))
    responses.submit_response(both, survey, answers(survey))
    assert follows.notify_closed_consultations() == 0  # still open
    frozen.set(survey.closes_at + timedelta(minutes=1))
    assert follows.notify_closed_consultations() == 1
    assert follows.notify_closed_consultations() == 0  # told once
    closed = sorted(n.user_id for n in db.session.query(Notification).filter_by(kind="consultation_closed"))
    assert closed == sorted([follower.id, respondent.id, both.id])
    lifecycle.publish_outcome(official, survey, "We will add night buses from June.")
    assert not mail_to(outbox, follower.email)  # mailed in batches by the periodic task, not in the request
    assert send_mailings() == 3
    outcome = {n.user_id for n in db.session.query(Notification).filter_by(kind="consultation_outcome")}
    assert outcome == {follower.id, respondent.id, both.id}
    assert mail_to(outbox, follower.email)[-1]["Subject"].endswith("What was decided: “Getting around”")
    lifecycle.publish_outcome(official, survey, "We will add night buses from July.")  # an update tells no one again
    assert db.session.query(Notification).filter_by(kind="consultation_outcome").count() == 3


def test_tick_command_announces_closed_consultations(app, survey, frozen, make_user):
    from civic.notifications.models import Notification

    responses.submit_response(make_user(), survey, answers(survey))
    frozen.set(survey.closes_at + timedelta(seconds=5))
    result = app.test_cli_runner().invoke(args=["civic", "tick"])
    assert result.exit_code == 0 and "closed and announced: 1" in result.output
    assert db.session.query(Notification).filter_by(kind="consultation_closed").count() == 1


def test_follow_through_the_page(web, login_as, survey):
    from civic.consultations.models import ConsultationFollow

    login_as("citizen")
    url = f"/consultations/{survey.id}"
    assert "Follow this consultation" in web.get(url).get_data(as_text=True)
    web.post(f"{url}/follow", {"follow": "1"}, form_url=url)
    assert db.session.query(ConsultationFollow).count() == 1
    web.post(f"{url}/follow", {"follow": "0"}, form_url=url)
    assert db.session.query(ConsultationFollow).count() == 0


def test_two_windows_submitting_at_once_are_counted_once(app, survey, make_user):
    """The second window still believes the response was never submitted; it is not counted again."""
    from sqlalchemy.orm.attributes import set_committed_value

    citizen = make_user()
    responses.submit_response(citizen, survey, answers(survey))
    response = responses.my_response(citizen, survey)
    set_committed_value(response, "first_submitted_at", None)  # what the other window loaded earlier
    responses.submit_response(citizen, survey, answers(survey))
    db.session.refresh(survey)
    assert survey.response_count == 1


def test_a_response_row_created_meanwhile_by_another_window_is_reused(app, survey, make_user, monkeypatch):
    citizen = make_user()
    responses.save_response(citizen, survey, answers(survey))
    real = responses.my_response
    calls = {"n": 0}

    def stale(user, consultation):  # the first look misses the row another window just made
        calls["n"] += 1
        return None if calls["n"] == 1 else real(user, consultation)

    monkeypatch.setattr(responses, "my_response", stale)
    response = responses.submit_response(citizen, survey, answers(survey))
    assert response.submitted_at and db.session.query(Response).count() == 1


def test_required_questions_are_marked_as_words_not_as_escaped_markup(web, login_as, survey):
    """Issue 12: the "(required)" marker showed as `<span class="muted">(required)</span>` text."""
    login_as("citizen")
    for language, word in (("en", "required"), ("es", "obligatoria")):
        web.post("/language", {"language": language, "next": "/"})
        html = web.get(f"/consultations/{survey.id}/respond").get_data(as_text=True)
        assert "&lt;span" not in html
        assert html.count(f'<span class="muted">({word})</span>') == 3  # three required questions


def test_the_two_exports_have_their_own_file_names_and_one_charset(web, login_as, survey, make_user):
    """Issue 12: the anonymised and the personal export downloaded under one name, and CSV responses
    said `charset=utf-8` twice in Content-Type."""
    responses.submit_response(make_user(), survey, answers(survey))
    login_as("official")
    names = {}
    for personal in ("0", "1"):
        for fmt in ("csv", "json"):
            response = web.get(f"/consultations/{survey.id}/export.{fmt}?personal={personal}")
            assert response.status_code == 200
            names[personal, fmt] = response.headers["Content-Disposition"]
            content_type = response.headers["Content-Type"]
            assert content_type.count("charset") <= 1, content_type
    assert names["0", "csv"] != names["1", "csv"] and names["0", "json"] != names["1", "json"]
    assert "anonymised" in names["0", "csv"] and "personal-data" in names["1", "csv"]
    assert web.get(f"/consultations/{survey.id}/export.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
