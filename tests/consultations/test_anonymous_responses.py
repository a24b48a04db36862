"""Responding without an account: an emailed link makes the response count, once per mailbox."""

from datetime import timedelta

import pytest

from civic.consultations.models import Response
from civic.consultations.services import anonymous_responses, lifecycle, responses
from civic.errors import InvalidInput, NotAllowed, ParticipationClosed, RateLimited, TokenInvalid
from civic.extensions import db
from civic.mail.mailings import send_mailings
from tests.support.consultations import answers
from tests.support.mail import link_in, mail_to, path_of


@pytest.fixture
def open_to_all(survey):
    survey.anonymous_responses = True
    db.session.commit()
    return survey


def _confirm_link(outbox, address):
    return path_of(link_in(mail_to(outbox, address)[-1], "/respond/confirm/"))


def test_a_response_counts_only_after_the_emailed_link(app, open_to_all, outbox):
    response = anonymous_responses.request_anonymous_response(
        open_to_all, "Ana@Example.org", answers(open_to_all), client="1.2.3.4"
    )
    assert response.submitted_at is None and open_to_all.response_count == 0
    body = mail_to(outbox, "ana@example.org")[-1].get_body(("plain",)).get_content()
    assert "Scooter" in body and "72 hours" in body
    token = _confirm_link(outbox, "ana@example.org").rsplit("/", 1)[1]
    confirmed, first = anonymous_responses.confirm_anonymous_response(open_to_all, token)
    assert first and confirmed.submitted_at is not None
    db.session.refresh(open_to_all)
    assert open_to_all.response_count == 1
    again, first = anonymous_responses.confirm_anonymous_response(open_to_all, token)  # a second click counts nothing
    db.session.refresh(open_to_all)
    assert not first and open_to_all.response_count == 1
    assert "copy of your answers" in mail_to(outbox, "ana@example.org")[-1].get_body(("plain",)).get_content()


def test_one_response_per_mailbox_whatever_the_spelling(app, open_to_all, outbox):
    anonymous_responses.request_anonymous_response(open_to_all, "jane.doe@gmail.com", answers(open_to_all), client="a")
    anonymous_responses.confirm_anonymous_response(
        open_to_all, _confirm_link(outbox, "jane.doe@gmail.com").rsplit("/", 1)[1]
    )
    changed = answers(open_to_all, **{"Where do you live?": ("Harbour", "")})
    anonymous_responses.request_anonymous_response(open_to_all, " JaneDoe+consult@GoogleMail.com ", changed, client="b")
    assert db.session.query(Response).count() == 1
    stored = [a.value for a in db.session.query(Response).one().answers]
    assert "Old Town" in stored and "Harbour" not in stored  # a counted response does not change
    told = mail_to(outbox, "janedoe+consult@googlemail.com")[-1].get_body(("plain",)).get_content()
    assert "was not changed" in told
    db.session.refresh(open_to_all)
    assert open_to_all.response_count == 1


def test_sending_again_before_confirming_replaces_the_answers_and_the_old_link(app, open_to_all, outbox):
    anonymous_responses.request_anonymous_response(open_to_all, "luis@example.org", answers(open_to_all), client="a")
    old = _confirm_link(outbox, "luis@example.org").rsplit("/", 1)[1]
    anonymous_responses.request_anonymous_response(
        open_to_all, "luis@example.org", answers(open_to_all, **{"Where do you live?": ("Harbour", "")}), client="a"
    )
    new = _confirm_link(outbox, "luis@example.org").rsplit("/", 1)[1]
    with pytest.raises(TokenInvalid, match="replaced by a newer one"):
        anonymous_responses.confirm_anonymous_response(open_to_all, old)
    response, _first = anonymous_responses.confirm_anonymous_response(open_to_all, new)
    assert "Harbour" in [a.value for a in response.answers]
    assert db.session.query(Response).count() == 1


def test_bad_answers_and_addresses_are_refused_with_nothing_stored(app, open_to_all, outbox):
    bad = answers(open_to_all, **{"How safe do you feel cycling?": ("11", "")})
    with pytest.raises(InvalidInput) as info:
        anonymous_responses.request_anonymous_response(open_to_all, "not an address", bad, client="a")
    assert set(info.value.errors) >= {"email", f"q{open_to_all.questions[4].id}"}
    assert db.session.query(Response).count() == 0 and outbox.messages() == []


def test_tampered_expired_and_foreign_links_are_refused(app, open_to_all, outbox, monkeypatch, frozen):
    anonymous_responses.request_anonymous_response(open_to_all, "eva@example.org", answers(open_to_all), client="a")
    token = _confirm_link(outbox, "eva@example.org").rsplit("/", 1)[1]
    with pytest.raises(TokenInvalid):
        anonymous_responses.confirm_anonymous_response(open_to_all, token[:-3] + "abc")
    import time as time_module

    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() + anonymous_responses.ANONYMOUS_LINK_MAX_AGE + 60)
    with pytest.raises(TokenInvalid, match="expired"):
        anonymous_responses.confirm_anonymous_response(open_to_all, token)
    monkeypatch.setattr(time_module, "time", real_time)
    assert open_to_all.response_count == 0


def test_confirming_after_closing_is_refused(app, open_to_all, outbox, frozen):
    anonymous_responses.request_anonymous_response(open_to_all, "eva@example.org", answers(open_to_all), client="a")
    token = _confirm_link(outbox, "eva@example.org").rsplit("/", 1)[1]
    frozen.set(open_to_all.closes_at + timedelta(seconds=1))
    with pytest.raises(ParticipationClosed):
        anonymous_responses.confirm_anonymous_response(open_to_all, token)
    db.session.refresh(open_to_all)
    assert open_to_all.response_count == 0


def test_only_where_the_officials_allow_it(app, survey, outbox):
    with pytest.raises(NotAllowed):
        anonymous_responses.request_anonymous_response(survey, "eva@example.org", answers(survey), client="a")


def test_an_address_with_an_account_is_told_to_sign_in(app, open_to_all, make_user, outbox):
    member = make_user("member@example.org")
    assert (
        anonymous_responses.request_anonymous_response(
            open_to_all, "Member@example.org", answers(open_to_all), client="a"
        )
        is None
    )
    assert db.session.query(Response).count() == 0
    assert "sign in" in mail_to(outbox, member.email)[-1].get_body(("plain",)).get_content()


def test_an_account_made_later_finds_its_response_counted_once(app, open_to_all, make_user, outbox):
    anonymous_responses.request_anonymous_response(open_to_all, "late@example.org", answers(open_to_all), client="a")
    anonymous_responses.confirm_anonymous_response(
        open_to_all, _confirm_link(outbox, "late@example.org").rsplit("/", 1)[1]
    )
    member = make_user("late@example.org")
    assert responses.my_response(member, open_to_all) is None
    responses.submit_response(member, open_to_all, answers(open_to_all, **{"Where do you live?": ("Harbour", "")}))
    db.session.refresh(open_to_all)
    assert open_to_all.response_count == 1 and db.session.query(Response).count() == 1
    assert responses.my_response(member, open_to_all).email == "late@example.org"


def test_rate_limited_per_mailbox_and_per_network(app, open_to_all, outbox):
    app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE_EMAIL"] = "2 per hour"
    app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE"] = "3 per hour"
    for _ in range(2):
        anonymous_responses.request_anonymous_response(
            open_to_all, "busy@example.org", answers(open_to_all), client="net-1"
        )
    with pytest.raises(RateLimited, match="several emails"):
        anonymous_responses.request_anonymous_response(
            open_to_all, "busy@example.org", answers(open_to_all), client="net-1"
        )
    with pytest.raises(RateLimited, match="your network"):
        anonymous_responses.request_anonymous_response(
            open_to_all, "other@example.org", answers(open_to_all), client="net-1"
        )
    anonymous_responses.request_anonymous_response(
        open_to_all, "other@example.org", answers(open_to_all), client="net-2"
    )


def test_outcome_is_emailed_to_people_who_responded_without_an_account(app, open_to_all, official, outbox, frozen):
    anonymous_responses.request_anonymous_response(open_to_all, "ana@example.org", answers(open_to_all), client="a")
    anonymous_responses.confirm_anonymous_response(
        open_to_all, _confirm_link(outbox, "ana@example.org").rsplit("/", 1)[1]
    )
    anonymous_responses.request_anonymous_response(open_to_all, "never@example.org", answers(open_to_all), client="a")
    frozen.set(open_to_all.closes_at + timedelta(days=1))
    lifecycle.publish_outcome(official, open_to_all, "We are adding night buses.")
    send_mailings()
    assert "What was decided" in mail_to(outbox, "ana@example.org")[-1]["Subject"]
    assert all("What was decided" not in m["Subject"] for m in mail_to(outbox, "never@example.org"))


# --- pages ----------------------------------------------------------------------------------


def _form(survey, email="ana@example.org", **overrides):
    data = {"email": email}
    for question in survey.questions:
        value, other = answers(survey, **overrides)[question.id]
        name = f"q{question.id}"
        if question.kind == "ranking":
            for index, option in enumerate(question.options):
                data[f"{name}_rank_{index}"] = str(value.index(option) + 1)
        elif question.kind == "multiple_choice":
            data[name] = value
        else:
            data[name] = value
        if other:
            data[f"{name}_other"] = other
    return data


def test_the_pages_without_an_account(app, open_to_all, web, outbox):
    show = web.get(f"/consultations/{open_to_all.id}").get_data(as_text=True)
    assert "Respond without an account" in show
    url = f"/consultations/{open_to_all.id}/respond/without-account"
    bad = web.post(url, _form(open_to_all, email="nope", **{"How safe do you feel cycling?": ("11", "")}), form_url=url)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'href="#email"' in page and "Choose a number from 0 to 10" in page
    assert "Scooter" in page and "More frequent buses at night." in page  # what they typed is kept
    sent = web.post(url, _form(open_to_all), form_url=url)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/respond/check-your-email")
    assert "Check your email" in web.get(sent.headers["Location"]).get_data(as_text=True)
    link = _confirm_link(outbox, "ana@example.org")
    confirmed = web.get(link)
    assert confirmed.status_code == 200 and "Your response counts" in confirmed.get_data(as_text=True)
    db.session.refresh(open_to_all)
    assert open_to_all.response_count == 1
    broken = web.get(link[:-4] + "xxxx")
    assert broken.status_code == 400 and "not valid" in broken.get_data(as_text=True)


def test_the_page_is_closed_where_not_allowed_and_for_members(app, survey, web, login_as):
    url = f"/consultations/{survey.id}/respond/without-account"
    assert web.get(url).status_code == 302
    assert "Respond without an account" not in web.get(f"/consultations/{survey.id}").get_data(as_text=True)
    survey.anonymous_responses = True
    db.session.commit()
    login_as()
    assert web.get(url).headers["Location"].endswith(f"/consultations/{survey.id}/respond")


def test_the_network_limit_keeps_the_answers(app, open_to_all, web):
    app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE"] = "1 per hour"
    url = f"/consultations/{open_to_all.id}/respond/without-account"
    assert web.post(url, _form(open_to_all), form_url=url).status_code == 302
    limited = web.post(url, _form(open_to_all, email="b@example.org"), form_url=url)
    assert limited.status_code == 429 and "Scooter" in limited.get_data(as_text=True)
