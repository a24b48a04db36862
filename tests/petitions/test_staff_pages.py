"""Petition pages for staff and creators: the moderation queue and decisions, the official
response and debate, fraud investigation, exports, and the creator's own list."""

import re
from datetime import timedelta

import pytest

from civic.audit.models import AuditEntry
from civic.extensions import db
from civic.mail.models import Mailing
from civic.petitions.models import Invalidation, Petition, RejectionReason
from civic.petitions.services import exports, lifecycle, moderation, signing
from tests.support.downloads import FORMULAS, csv_rows, formula_cells
from tests.support.petitions import fields, sign_and_confirm, signer, token_in


def csrf(web, url, prefix=None):
    """The CSRF token a page renders for its (prefixed) form, as a browser would send it."""
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    page = web.get(url).get_data(as_text=True)
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', page)
    assert match, f"no {name} on {url}"
    return {name: match.group(1)}


def post_form(web, url, prefix, data, *, form_url=None):
    """Post one of a page's prefixed forms: its fields are named `<prefix>-<field>`."""
    body = {f"{prefix}-{name}" if name != "action" else name: value for name, value in data.items()}
    body.update(csrf(web, form_url or url, prefix))
    return web.client.post(url, data=body)


def make_pending(creator, outbox, title="Plant more trees on Riverside Avenue", first=101):
    petition = lifecycle.create_petition(creator, fields(title=title))
    for n in (first, first + 1):
        person = signer(n)
        signing.sign_petition(petition, person, sponsor_token=petition.sponsor_token, client="192.0.2.1")
        signing.confirm_signature(petition, token_in(outbox, person.email))
    db.session.refresh(petition)
    assert petition.state == "pending"
    return petition


@pytest.fixture
def pending(small, frozen, creator, outbox):
    return make_pending(creator, outbox)


# --- the queue -------------------------------------------------------------------------------


def test_the_moderation_queue_is_for_moderators_oldest_first_with_flag_notes(
    pending, frozen, creator, moderator, outbox, web, make_user, client
):
    frozen.advance(timedelta(hours=1))
    later = make_pending(creator, outbox, title="Open the library on Sundays", first=201)
    moderation.flag_petition(moderator, later, "Is the library the council's?")
    assert client.get("/petitions/moderation").status_code == 302  # to sign in
    make_user("citizen@example.org")
    web.sign_in("citizen@example.org")
    assert web.get("/petitions/moderation").status_code == 403
    assert web.get(f"/petitions/{pending.id}/moderate").status_code == 403
    web.post("/sign-out", {})
    web.sign_in(moderator.email)
    page = web.get("/petitions/moderation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert html.index("Plant more trees") < html.index("Open the library")  # oldest first
    assert "Is the library the council&#39;s?" in html and "Second opinion requested" in html
    assert f'href="/petitions/{pending.id}/moderate"' in html
    # the staff navigation and dashboard lead there
    assert 'href="/petitions/moderation" aria-current="page"' in html
    assert 'href="/petitions/moderation"' in web.get("/admin/").get_data(as_text=True)


def test_the_queue_says_when_it_is_empty(small, frozen, moderator, web):
    web.sign_in(moderator.email)
    assert "No petitions are waiting" in web.get("/petitions/moderation").get_data(as_text=True)


# --- deciding --------------------------------------------------------------------------------


def test_the_moderation_page_shows_the_text_similar_petitions_and_three_prefixed_forms(
    pending, creator, moderator, outbox, web
):
    earlier = make_pending(creator, outbox, title="Plant trees on Riverside Avenue now", first=301)
    moderation.approve_petition(moderator, earlier)
    web.sign_in(moderator.email)
    html = web.get(f"/petitions/{pending.id}/moderate").get_data(as_text=True)
    assert html.count("<h1") == 1 and "hottest street in summer" in html
    assert f'href="/petitions/{earlier.id}"' in html  # a similar published petition, with its number
    for name in (
        "approve-csrf_token",
        "reject-csrf_token",
        "flag-csrf_token",
        "reject-reason",
        "reject-duplicate_of_id",
        "reject-comment",
        "flag-note",
    ):
        assert f'name="{name}"' in html, name
    assert '<label for="reject-duplicate_of_id">' in html and '<label for="flag-note">' in html
    for action in ("approve", "reject", "flag"):
        assert f'name="action" value="{action}"' in html


def test_approving_through_the_page_opens_the_petition(pending, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    response = post_form(web, url, "approve", {"action": "approve"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/petitions/moderation")
    db.session.refresh(pending)
    assert pending.state == "open"
    html = web.get(url).get_data(as_text=True)
    assert "not waiting for moderation" in html and 'name="approve-csrf_token"' not in html


def test_a_decision_without_a_csrf_token_is_refused(pending, moderator, web):
    """CSRFProtect accepts the prefixed token alone (post_form sends nothing else), and nothing else."""
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    response = web.client.post(url, data={"action": "approve"})
    assert response.status_code == 400
    forged = web.client.post(url, data={"action": "approve", "approve-csrf_token": "forged"})
    assert forged.status_code == 400
    db.session.refresh(pending)
    assert pending.state == "pending"


def test_a_post_without_a_choice_asks_what_to_do(pending, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    response = post_form(web, url, "approve", {"action": "dance"})
    assert response.status_code == 422 and "Choose what to do" in response.get_data(as_text=True)


@pytest.mark.parametrize("reason", [r for r in RejectionReason if r is not RejectionReason.DUPLICATE])
def test_rejecting_through_the_page_with_each_reason(pending, moderator, web, reason):
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    response = post_form(
        web, url, "reject", {"action": "reject", "reason": reason.value, "comment": "See the standards."}
    )
    assert response.status_code == 302
    db.session.refresh(pending)
    assert pending.rejection_reason == reason.value and pending.rejection_comment == "See the standards."
    assert pending.state == ("hidden" if reason.value in ("offensive", "personal_data", "defamatory") else "rejected")


def test_a_duplicate_needs_the_number_of_the_other_petition(pending, creator, moderator, outbox, web):
    other = make_pending(creator, outbox, title="Trees for Riverside Avenue", first=401)
    moderation.approve_petition(moderator, other)
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    refused = post_form(
        web, url, "reject", {"action": "reject", "reason": "duplicate", "comment": "Sign the other one instead."}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'href="#reject-duplicate_of_id"' in html and 'id="reject-duplicate_of_id-error"' in html
    assert "Give the number of the published petition" in html
    assert "Sign the other one instead." in html  # what the moderator typed is kept
    assert 'value="duplicate" selected' in html or 'selected value="duplicate"' in html
    db.session.refresh(pending)
    assert pending.state == "pending"
    wrong = post_form(web, url, "reject", {"action": "reject", "reason": "duplicate", "duplicate_of_id": "abc"})
    assert wrong.status_code == 422 and 'value="abc"' in wrong.get_data(as_text=True)
    ok = post_form(
        web, url, "reject", {"action": "reject", "reason": "duplicate", "duplicate_of_id": str(other.id), "comment": ""}
    )
    assert ok.status_code == 302
    db.session.refresh(pending)
    assert pending.state == "rejected" and pending.duplicate_of_id == other.id


def test_rejecting_without_a_reason_is_refused_beside_the_field(pending, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    response = post_form(web, url, "reject", {"action": "reject", "reason": "", "comment": "x" * 1001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="reject-reason-error"' in html and "Choose a reason." in html
    assert 'id="reject-comment-error"' in html  # every problem at once
    assert html.count("data-error-summary") == 1


def test_flagging_asks_a_second_moderator(pending, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{pending.id}/moderate"
    empty = post_form(web, url, "flag", {"action": "flag", "note": "  "})
    assert empty.status_code == 422 and 'id="flag-note-error"' in empty.get_data(as_text=True)
    response = post_form(web, url, "flag", {"action": "flag", "note": "Could be about a named person."})
    assert response.status_code == 302
    db.session.refresh(pending)
    assert pending.state == "flagged" and pending.flag_note == "Could be about a named person."
    assert db.session.query(AuditEntry).filter_by(action="petition.flag").count() == 1
    html = web.get(url).get_data(as_text=True)
    assert "Could be about a named person." in html
    assert 'name="flag-note"' not in html and 'name="approve-csrf_token"' in html  # a flagged one is decided
    assert post_form(web, url, "approve", {"action": "approve"}).status_code == 302


# --- the official response and the debate ----------------------------------------------------


def test_only_officials_respond(open_petition, moderator, official, web, outbox):
    url = f"/petitions/{open_petition.id}/response"
    web.sign_in(moderator.email)
    assert web.get(url).status_code == 403
    web.post("/sign-out", {})
    web.sign_in(official.email)
    page = web.get(url)
    assert page.status_code == 200 and '<label for="summary">' in page.get_data(as_text=True)
    empty = web.post(url, {"summary": " ", "details": "The long *answer*."}, form_url=url)
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'href="#summary"' in html and "The long *answer*." in html
    ok = web.post(url, {"summary": "We will plant 40 trees.", "details": "The long *answer*."}, form_url=url)
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/petitions/{open_petition.id}")
    db.session.refresh(open_petition)
    assert open_petition.response_summary == "We will plant 40 trees." and open_petition.responded_at
    assert (
        db.session.query(Mailing)
        .filter_by(about_type="petition", about_id=open_petition.id, kind="petition_response")
        .count()
        == 1
    )
    again = web.get(url).get_data(as_text=True)
    assert "A response was published" in again and "We will plant 40 trees." in again


def test_officials_schedule_the_debate_and_publish_its_outcome(open_petition, moderator, official, web):
    url = f"/petitions/{open_petition.id}/debate"
    web.sign_in(moderator.email)
    assert web.get(url).status_code == 403
    web.post("/sign-out", {})
    web.sign_in(official.email)
    html = web.get(url).get_data(as_text=True)
    assert html.count("<h1") == 1
    for name in (
        "schedule-csrf_token",
        "schedule-debate_on",
        "outcome-csrf_token",
        "outcome-debated_on",
        "outcome-overview",
        "outcome-transcript_url",
        "outcome-video_url",
    ):
        assert f'name="{name}"' in html, name
    no_date = post_form(web, url, "schedule", {"action": "schedule", "debate_on": ""})
    assert no_date.status_code == 422 and 'id="schedule-debate_on-error"' in no_date.get_data(as_text=True)
    scheduled = post_form(web, url, "schedule", {"action": "schedule", "debate_on": "2027-04-15"})
    assert scheduled.status_code == 302
    db.session.refresh(open_petition)
    assert str(open_petition.debate_scheduled_on) == "2027-04-15"
    assert 'value="2027-04-15"' in web.get(url).get_data(as_text=True)

    outcome = {
        "action": "outcome",
        "debated_on": "2027-03-01",
        "overview": "Councillors agreed to **plant**.",
        "transcript_url": "javascript:alert(1)",
        "video_url": "",
    }
    refused = post_form(web, url, "outcome", outcome)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'href="#outcome-transcript_url"' in html and "Enter a full web address" in html
    assert "Councillors agreed to **plant**." in html
    assert 'value="2027-04-15"' in html  # the other form still shows the stored date
    db.session.refresh(open_petition)
    assert open_petition.debated_on is None
    future = post_form(
        web, url, "outcome", {**outcome, "debated_on": "2027-05-01", "transcript_url": "https://council.example/t/1"}
    )
    assert future.status_code == 422 and "once it has taken place" in future.get_data(as_text=True)
    ok = post_form(web, url, "outcome", {**outcome, "transcript_url": "https://council.example/t/1"})
    assert ok.status_code == 302
    db.session.refresh(open_petition)
    assert open_petition.debate_transcript_url == "https://council.example/t/1"
    assert "<strong>plant</strong>" in open_petition.debate_overview_html


# --- fraud -----------------------------------------------------------------------------------


@pytest.fixture
def burst(open_petition, outbox):
    """Twelve signatures from one network range and one little-known domain, in one minute."""
    for n in range(12):
        sign_and_confirm(open_petition, 500 + n, outbox, client=f"203.0.113.{n + 1}", email=f"bot{n}@spam.example")
    for n in range(3):
        sign_and_confirm(open_petition, 600 + n, outbox, client=f"198.51.100.{n + 1}")
    db.session.refresh(open_petition)
    return open_petition


def test_only_moderators_investigate(burst, official, web, make_user):
    web.sign_in(official.email)
    assert web.get(f"/petitions/{burst.id}/investigate").status_code == 403
    web.post("/sign-out", {})
    citizen = make_user()
    web.sign_in(citizen.email)
    assert web.get(f"/petitions/{burst.id}/investigate").status_code == 403


def test_bursts_are_listed_in_tables_with_a_window_form(burst, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{burst.id}/investigate"
    html = web.get(url).get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<th scope="row">203.0.113.0/24</th>' in html and '<th scope="row">spam.example</th>' in html
    assert "198.51.100.0/24" not in html  # three is not a burst
    assert '<label for="burst-minutes">' in html and 'name="min" value="10"' in html
    fewer = web.get(f"{url}?minutes=5&min=3").get_data(as_text=True)
    assert '<th scope="row">198.51.100.0/24</th>' in fewer and 'name="minutes" value="5"' in fewer
    silly = web.get(f"{url}?minutes=-4&min=abc")
    assert silly.status_code == 200
    # each burst links to the invalidation form, filled in with its range and window (site time)
    link = re.search(r'href="([^"]*ip_range=203\.0\.113\.0/24[^"]*)"', html).group(1).replace("&amp;", "&")
    filled = web.get(link).get_data(as_text=True)
    assert 'value="203.0.113.0/24"' in filled
    assert 'value="2027-03-01T11:00"' in filled and 'value="2027-03-01T11:01"' in filled  # Europe/Madrid


def test_a_time_in_the_address_that_does_not_parse_is_shown_back(burst, moderator, web):
    web.sign_in(moderator.email)
    response = web.get(f"/petitions/{burst.id}/investigate?signed_from=yesterday&ip_range=x")
    assert response.status_code == 200 and 'value="yesterday"' in response.get_data(as_text=True)


def test_a_time_skipped_by_the_clock_change_is_refused_rather_than_dropped(burst, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{burst.id}/investigate"
    rule = {"ip_range": "203.0.113.0/24", "signed_from": "2027-03-28T02:30", "reason": "x", "action": "invalidate"}
    response = web.post(url, rule, form_url=url)  # 02:30 does not exist in Madrid that night
    assert response.status_code == 422 and 'id="signed_from-error"' in response.get_data(as_text=True)
    assert db.session.query(Invalidation).count() == 0


def test_preview_invalidate_and_revert_through_the_page(burst, moderator, web):
    web.sign_in(moderator.email)
    url = f"/petitions/{burst.id}/investigate"
    before = burst.signature_count
    rule = {"ip_range": "203.0.113.0/24", "email_domain": "", "signed_from": "", "signed_until": "", "reason": ""}
    preview = web.post(url, {**rule, "action": "preview"}, form_url=url)
    assert preview.status_code == 200
    assert "12 signatures match this rule." in preview.get_data(as_text=True)
    db.session.refresh(burst)
    assert burst.signature_count == before and db.session.query(Invalidation).count() == 0

    no_reason = web.post(url, {**rule, "action": "invalidate"}, form_url=url)
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.get_data(as_text=True)
    bad_time = web.post(url, {**rule, "signed_from": "soon", "action": "preview"}, form_url=url)
    assert bad_time.status_code == 422 and 'value="soon"' in bad_time.get_data(as_text=True)
    bad_range = web.post(url, {**rule, "ip_range": "203.0.113", "action": "preview"}, form_url=url)
    assert bad_range.status_code == 422 and 'id="ip_range-error"' in bad_range.get_data(as_text=True)

    done = web.post(url, {**rule, "reason": "A script signed from one office.", "action": "invalidate"}, form_url=url)
    assert done.status_code == 302
    db.session.refresh(burst)
    assert burst.signature_count == before - 12
    assert db.session.query(AuditEntry).filter_by(action="petition.invalidate").count() == 1
    page = web.get(url).get_data(as_text=True)
    assert "12 signatures are invalidated." in page  # the flash
    invalidation = db.session.query(Invalidation).one()
    assert "A script signed from one office." in page and "Mo Moderator" in page
    assert f'id="revert-{invalidation.id}-reason"' in page and page.count('id="reason"') == 1

    revert_url = f"/petitions/{burst.id}/invalidations/{invalidation.id}/revert"
    empty = web.post(revert_url, {"reason": ""}, form_url=url)
    assert empty.status_code == 302 and "Say why the signatures count again" in web.get(url).get_data(as_text=True)
    reverted = web.post(revert_url, {"reason": "They were a real office after all."}, form_url=url)
    assert reverted.status_code == 302
    db.session.refresh(burst)
    assert burst.signature_count == before
    page = web.get(url).get_data(as_text=True)
    assert "They were a real office after all." in page and f'id="revert-{invalidation.id}-reason"' not in page


# --- exports ---------------------------------------------------------------------------------


def test_officials_download_counts_by_area_without_personal_data(burst, official, web):
    web.sign_in(official.email)
    response = web.get(f"/petitions/{burst.id}/areas.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == "Area,Signatures" and "Old Town,17" in body
    assert "@" not in body and "Signer" not in body
    assert web.get(f"/petitions/{burst.id}/signers.csv").status_code == 403
    assert db.session.query(AuditEntry).filter_by(action="petition.export_signers").count() == 0


def test_only_admins_download_signers_and_each_download_is_audited(burst, admin, moderator, web):
    web.sign_in(moderator.email)
    assert web.get(f"/petitions/{burst.id}/signers.csv").status_code == 403
    assert web.get(f"/petitions/{burst.id}/areas.csv").status_code == 403
    web.post("/sign-out", {})
    web.sign_in(admin.email)
    response = web.get(f"/petitions/{burst.id}/signers.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == "Name,Email,Area,Confirmed at"
    assert "bot3@spam.example" in body and len(body.splitlines()) == 1 + burst.signature_count
    entries = db.session.query(AuditEntry).filter_by(action="petition.export_signers").all()
    assert len(entries) == 1 and entries[0].actor_id == admin.id and entries[0].target_id == burst.id


def test_a_signer_named_like_a_formula_is_text_in_the_signer_export(open_petition, admin, outbox, web):
    for n, name in enumerate(FORMULAS):
        sign_and_confirm(open_petition, 700 + n, outbox, name=name, client=f"198.51.100.{n + 1}")
    web.sign_in(admin.email)
    rows = csv_rows(web.get(f"/petitions/{open_petition.id}/signers.csv"))
    names = {row[0] for row in rows[1:]}
    assert {"'" + name.strip() for name in FORMULAS if name.strip()[:1] in "=+-@"} <= names
    assert formula_cells(rows) == []


def test_an_area_named_like_a_formula_is_text_and_its_count_a_number_in_the_area_export(
    open_petition, app, official, outbox, web
):
    app.config["CIVIC_PETITION_AREAS"] = [*app.config["CIVIC_PETITION_AREAS"], "=1+2", "@SUM(A1:A9)"]
    sign_and_confirm(open_petition, 800, outbox, area="=1+2")
    sign_and_confirm(open_petition, 801, outbox, area="@SUM(A1:A9)")
    web.sign_in(official.email)
    rows = csv_rows(web.get(f"/petitions/{open_petition.id}/areas.csv"))
    assert ["'=1+2", "1"] in rows and ["'@SUM(A1:A9)", "1"] in rows
    assert formula_cells(rows) == []


def test_the_signer_export_is_checked_and_audited_before_a_row_is_read(burst, admin, moderator):
    from civic.errors import NotAllowed

    with pytest.raises(NotAllowed):  # refused at the call, not when the download starts
        exports.signer_export(moderator, burst)
    assert db.session.query(AuditEntry).filter_by(action="petition.export_signers").count() == 0
    header, rows = exports.signer_export(admin, burst)
    assert header == ["Name", "Email", "Area", "Confirmed at"]
    assert db.session.query(AuditEntry).filter_by(action="petition.export_signers").count() == 1
    assert len(list(rows)) == burst.signature_count


def test_staff_tools_follow_the_state(pending, moderator, official, web):
    web.sign_in(moderator.email)
    html = web.get(f"/petitions/{pending.id}").get_data(as_text=True)
    assert f'href="/petitions/{pending.id}/moderate"' in html and "/investigate" not in html
    moderation.approve_petition(moderator, pending)
    html = web.get(f"/petitions/{pending.id}").get_data(as_text=True)
    assert f'href="/petitions/{pending.id}/moderate"' not in html and f"/petitions/{pending.id}/investigate" in html
    web.post("/sign-out", {})
    web.sign_in(official.email)
    html = web.get(f"/petitions/{pending.id}").get_data(as_text=True)
    assert f"/petitions/{pending.id}/response" in html and f"/petitions/{pending.id}/areas.csv" in html
    assert "/signers.csv" not in html


# --- the creator's list ----------------------------------------------------------------------


def test_creators_see_their_own_petitions_with_state_and_next_step(
    small, frozen, creator, moderator, outbox, web, make_user, client
):
    draft = lifecycle.create_petition(creator, fields(title="Safer crossings on the ring road"))
    opened = make_pending(creator, outbox, title="More benches in Hillcrest park", first=701)
    moderation.approve_petition(moderator, opened)
    rejected = make_pending(creator, outbox, title="Rename the river", first=711)
    moderation.reject_petition(moderator, rejected, "no_action")
    someone = make_user("someone@example.org")
    lifecycle.create_petition(someone, fields(title="Somebody else's petition"))
    assert client.get("/petitions/mine").status_code == 302
    web.sign_in(creator.email)
    html = web.get("/petitions/mine").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "Safer crossings" in html and "More benches" in html and "Rename the river" in html
    assert "Somebody else" not in html
    assert "0 of 2 sponsors have confirmed." in html  # only the creator's own signature so far
    assert f'href="/petitions/{draft.id}/edit"' in html
    assert "Open until" in html and "It did not ask for a clear action" in html
    assert db.session.get(Petition, draft.id).state == "draft"
