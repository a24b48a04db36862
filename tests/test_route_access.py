"""Every route of every blueprint, walked with objects nobody outside may see (petitions before
moderation or hidden, draft and deleted consultations, hidden discussions and comments, the
discussions of all of these): none of them shows to an anonymous visitor or to a citizen. And
walked with a "next" page pointing elsewhere: no route sends anyone off this site."""

import ast
import contextvars
import html
import io
import itertools
import pathlib
import re
from datetime import timedelta
from urllib.parse import quote, urlencode

import pyotp
import pytest
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from civic.accounts.models import User, UserSession
from civic.accounts.services import sessions
from civic.accounts.services.profile import hide_profile_in_transaction
from civic.common import clock
from civic.consultations.models import DraftSection, Statement, StatementStatus
from civic.consultations.services import documents, draft_text, questions, responses
from civic.consultations.services import lifecycle as consultation_lifecycle
from civic.discussions.services.categories import save_category
from civic.discussions.services.comments import delete_comment, post_comment
from civic.discussions.services.discussions import start_discussion
from civic.extensions import db, socketio
from civic.moderation.models import ModerationDecision
from civic.notifications import services as notifications
from civic.notifications.models import Notification
from civic.petitions.models import RejectionReason, Signature
from civic.petitions.services import lifecycle, moderation, signing
from civic.proposals.services import lifecycle as proposal_lifecycle
from civic.proposals.services.hiding import hide_proposal_in_transaction
from tests.support import sample_files
from tests.support.consultations import draft_fields
from tests.support.moderation import hide_comment
from tests.support.petitions import fields, signer, token_in
from tests.support.redirects import BYPASS_TARGETS, EVIL, lands_on_this_site
from tests.support.users import DEFAULT_PASSWORD

CIVIC = pathlib.Path(__file__).resolve().parents[1] / "civic"
SECRET = "quokka"  # in every title and text seeded below, and in nothing public
SEARCH = "?" + urlencode(
    {"q": "harbour", "title": "harbour", "background": "harbour", "category": "walks", "contains": "answer"}
)
WALK = pytest.mark.app_config(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, CIVIC_PETITION_SPONSORS=2)

# Routes that show a non-public object to whoever holds a secret link, on purpose. The walk still
# opens them with wrong and borrowed tokens (which must show nothing); the right token is tested below.
TOKEN_HOLDER_ROUTES = {
    "petitions.sponsor": "a draft's sponsor link: sponsors without an account read and support the draft",
    "petitions.sign": "the sponsor link's form posts its token: a sponsor signs the draft",
    "petitions.signed": "the page after a sponsor signed carries the sponsor link's token",
    "petitions.confirm_signature": "the emailed link: the signer confirms what they signed",
    "petitions.withdraw": "the link in every email to a signer: they withdraw from what they signed",
}


def _any_values(converter):
    return sorted(converter.items)


def _seed(app, make_user, outbox):
    """Objects in every state nobody outside may see, and the ids to put into each route."""
    creator = make_user("creator@example.org", name="Petition Starter")
    author = make_user("author@example.org", name="Comment Author")
    moderator = make_user("mod@example.org", roles=("citizen", "moderator"), name="Mod Erator")
    official = make_user("official@example.org", roles=("citizen", "official"), name="Offi Cial")
    admin = make_user("boss@example.org", roles=("citizen", "admin"), name="Site Boss")

    def petition(title):
        return lifecycle.create_petition(creator, fields(title=title))

    draft = petition("Quokka draft about the harbour")
    pending = petition("Quokka pending about the harbour")
    lifecycle.ask_for_moderation(pending)
    flagged = petition("Quokka flagged about the harbour")
    lifecycle.ask_for_moderation(flagged)
    moderation.flag_petition(moderator, flagged, "Quokka note for a second opinion")
    hidden = petition("Quokka hidden about the harbour")
    lifecycle.ask_for_moderation(hidden)
    moderation.reject_petition(moderator, hidden, RejectionReason.OFFENSIVE.value, "Quokka rejection comment")
    public = petition("Plant more trees on the promenade")
    lifecycle.ask_for_moderation(public)
    moderation.approve_petition(moderator, public)

    # Links a signer of the public petition holds, to be tried on the petitions they are not for.
    signing.sign_petition(public, signer(1), client="192.0.2.1")
    borrowed = [token_in(outbox, signer(1).email)]
    signature = db.session.scalar(select(Signature).where(Signature.email == signer(1).email))
    borrowed.append(signing.withdraw_url(signature).rsplit("/signatures/", 1)[1].split("/")[0])
    borrowed.append(public.sponsor_token)

    category = save_category(admin, name="Walks", description="Where the walk's discussions are")

    def discussion_with_comment(title, body):
        discussion = start_discussion(author, category, title=title, body=f"{title}, the opening words")
        return discussion, post_comment(author, discussion, body=body)

    hidden_topic, in_hidden_topic = discussion_with_comment("Quokka hidden topic", "Quokka comment in a hidden topic")
    hidden_topic.hidden_at = clock.now()
    about_hidden, in_about_hidden = discussion_with_comment("Quokka about hidden", "Quokka on a hidden petition")
    about_hidden.category_id, about_hidden.context_type, about_hidden.context_id = None, "petition", hidden.id
    db.session.commit()
    open_topic, hidden_comment = discussion_with_comment("Buses on Sundays", "Quokka hidden comment")
    hide_comment(moderator, hidden_comment, "Off topic")
    deleted_comment = post_comment(author, open_topic, body="Quokka deleted comment")
    delete_comment(author, deleted_comment)

    opens = clock.now() + timedelta(days=10)
    consultation = consultation_lifecycle.create_consultation(
        official,
        consultation_lifecycle.ConsultationFields(
            title="Quokka draft consultation",
            summary="Quokka summary",
            opens_local=opens.replace(tzinfo=None),
            closes_local=(opens + timedelta(days=30)).replace(tzinfo=None),
        ),
    )
    question = questions.save_question(
        official, consultation, questions.QuestionData(kind="short_text", prompt="Quokka question?")
    )
    document = documents.add_document(
        official,
        consultation,
        documents.Upload(filename="harbour-plan.pdf", stream=io.BytesIO(sample_files.PDF)),
        "Quokka plan",
    )
    draft_text.set_draft_text(official, consultation, "Quokka passage one.\n\nQuokka passage two.\n")
    section = db.session.scalar(select(DraftSection).where(DraftSection.consultation_id == consultation.id))
    _passage_topic, on_passage = discussion_with_comment("Buses at night", "Quokka comment on a draft passage")
    on_passage.discussion_id = section.discussion_id
    db.session.commit()
    # A published consultation, open, with what only its staff see: statements waiting for a
    # moderator or turned down, and a citizen's answers.
    published = consultation_lifecycle.create_consultation(
        official,
        consultation_lifecycle.ConsultationFields(
            title="Getting around",
            summary="How do you travel?",
            opens_local=opens.replace(tzinfo=None),
            closes_local=(opens + timedelta(days=30)).replace(tzinfo=None),
        ),
    )
    asked = questions.save_question(
        official, published, questions.QuestionData(kind="long_text", prompt="What would help?", required=True)
    )
    consultation_lifecycle.publish_consultation(official, published)
    published.opens_at = clock.now() - timedelta(days=1)
    published.statements_enabled = published.statements_premoderated = True
    waiting, refused = (
        Statement(consultation_id=published.id, text=f"Quokka {status} statement", author_id=author.id, status=status)
        for status in (StatementStatus.PENDING.value, StatementStatus.REJECTED.value)
    )
    db.session.add_all([waiting, refused])
    db.session.commit()
    responses.submit_response(author, published, {asked.id: ("Quokka private answer", "")})
    deleted = consultation_lifecycle.create_consultation(official, draft_fields(title="Quokka deleted consultation"))
    deleted_id = deleted.id
    consultation_lifecycle.delete_consultation(official, deleted)

    # Each scenario names the objects to put into routes; "public_container" marks one whose
    # discussion or consultation is public (only something inside it is not).
    scenarios = [{"petition_id": p.id} for p in (draft, pending, flagged, hidden)]
    # Past moderation a petition's own sponsor link (shared widely while it took sponsors) opens nothing.
    scenarios += [{"petition_id": p.id, "token": p.sponsor_token} for p in (flagged, hidden)]
    scenarios += [
        {"discussion_id": hidden_topic.id, "comment_id": in_hidden_topic.id},
        {"discussion_id": about_hidden.id, "comment_id": in_about_hidden.id},
        {"discussion_id": open_topic.id, "comment_id": hidden_comment.id, "public_container": True},
        {"discussion_id": open_topic.id, "comment_id": deleted_comment.id, "public_container": True},
        {"discussion_id": section.discussion_id, "comment_id": on_passage.id},
        {"consultation_id": consultation.id, "question_id": question.id, "document_id": document.id},
        {"consultation_id": deleted_id},
        {
            "consultation_id": published.id,
            "statement_id": waiting.id,
            "question_id": asked.id,
            "public_container": True,
        },
        {"consultation_id": published.id, "statement_id": refused.id, "public_container": True},
        {"user_id": creator.id},
        {"user_id": author.id},
    ]
    # Someone else's signed-in session: signing it out from outside must find nothing.
    sessions.start_session(creator, user_agent="Firefox", client="192.0.2.9")
    others_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == creator.id))
    # Every proposal is public (withdrawn and merged ones too): the walk opens a published one,
    # whose pages must not show anything of the objects above.
    proposal = proposal_lifecycle.create_proposal(
        author, proposal_lifecycle.ProposalFields(title="Benches by the harbour", summary="Somewhere to sit.")
    )
    # ...but one that moderation hid (readers reported it) is not: its page shows only the reason.
    hidden_proposal = proposal_lifecycle.create_proposal(
        author, proposal_lifecycle.ProposalFields(title="Quokka hidden proposal", summary="Quokka summary.")
    )
    hide_proposal_in_transaction(None, hidden_proposal, "Hidden pending review after reports")
    # And a profile moderation hid: its page shows the name, not the about text.
    hidden_person = db.session.get(User, author.id)
    hidden_person.bio = "Quokka about text"
    hide_profile_in_transaction(None, hidden_person, "Hidden pending review after reports")
    db.session.commit()
    fill = {
        "proposal_id": [proposal.id, hidden_proposal.id],
        "session_id": [others_session],
        "token": ["not-a-token", *borrowed],
        "filename": [document.stored_name, "harbour-plan.pdf"],
        "invalidation_id": [1],
        "statement_id": [1],
        "question_id": [question.id],
        "document_id": [document.id],
        "comment_id": [hidden_comment.id],
        # Every kind of report page, with the ids of the hidden objects above.
        "content_id": sorted({hidden_comment.id, hidden_topic.id, hidden.id, hidden_proposal.id, author.id}),
        "kind": ["comment", "discussion", "proposal", "petition", "statement", "profile", "budget_project"],
        # The statement of reasons of the hidden comment: its author's and moderators' only.
        "decision_id": [db.session.scalar(select(ModerationDecision.id))],
        "slug": ["walks"],
        "message_id": ["1"],
        # Budgets are public from the start (nothing of them is hidden): any id will do.
        "budget_id": [1],
        "project_id": [1],
        # Implementation records are public too (every one of them): any id will do.
        "record_id": [1],
        "milestone_id": [1],
    }
    return scenarios, fill


def _requests(app, scenarios, fill):
    """(method, url, endpoint) for every route: with each scenario that names one of its ids, the
    other arguments from the scenario or `fill` (all from `fill` when no scenario names any)."""
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = sorted(rule.arguments)
        chosen = [s for s in scenarios if {key for key in s if key.endswith("_id")} & set(arguments)] or [{}]
        for scenario in chosen:
            options = []
            for name in arguments:
                converter = rule._converters[name]
                if name in scenario:
                    options.append([scenario[name]])
                elif isinstance(converter, AnyConverter):
                    options.append(_any_values(converter))
                else:
                    assert name in fill, f"{rule.rule}: the walk has no value for <{name}>: add one to `fill`"
                    options.append(fill[name])
            for values in itertools.product(*options):
                url = app.url_map.bind("localhost").build(rule.endpoint, dict(zip(arguments, values, strict=True)))
                for method in sorted(rule.methods & {"GET", "POST"}):
                    # Lists and searches also get the words of the hidden titles to look for.
                    for query in ("", SEARCH) if method == "GET" and not arguments else ("",):
                        if (method, url + query) not in seen:
                            seen.add((method, url + query))
                            yield method, url + query, rule.endpoint


def _leaks(client, requests):
    found = []
    for method, url, endpoint in requests:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={}, headers={"Origin": "http://localhost"})
        body = response.get_data(as_text=True).lower()
        location = response.headers.get("Location", "").lower()
        if SECRET in body or SECRET in location:
            found.append(f"{method} {url} ({endpoint}) {response.status_code}")
    return found


def _assert_no_live_room_opens(app, scenarios, client):
    """Socket.IO rooms follow the same rule: no joining the live updates of what one may not see."""
    kwargs = {"flask_test_client": client} if client is not None else {}
    live = contextvars.Context().run(socketio.test_client, app, **kwargs)
    for scenario in scenarios:
        if scenario.get("public_container"):
            continue
        for kind in ("petition", "consultation", "discussion"):
            object_id = scenario.get(f"{kind}_id")
            if object_id is None:
                continue
            for event in ("join", "watch_tally"):
                answer = live.emit(event, {"kind": kind, "id": object_id}, callback=True)
                assert answer == {"ok": False, "error": "not_allowed"}, (event, kind, scenario)
    live.disconnect()


def _signed_in(app, email):
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"email": email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302  # this app checks no CSRF token
    return client


def _endpoints(leaks):
    return {line.split()[2][1:-1] for line in leaks}


@WALK
def test_no_route_shows_a_non_public_object_to_anyone_outside(app, web, make_user, outbox):
    scenarios, fill = _seed(app, make_user, outbox)
    # Signing out last, so that the citizen's walk is signed in throughout.
    requests = sorted(_requests(app, scenarios, fill), key=lambda request: request[2] == "accounts.sign_out")
    walked = {endpoint for _method, _url, endpoint in requests}
    assert walked == {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    leaks = _leaks(web.client, requests)
    assert leaks == [], "\n".join(leaks)
    make_user("walker@example.org", name="Curious Citizen")
    leaks = _leaks(_signed_in(app, "walker@example.org"), requests)
    assert leaks == [], "\n".join(leaks)
    _assert_no_live_room_opens(app, scenarios, None)
    _assert_no_live_room_opens(app, scenarios, _signed_in(app, "walker@example.org"))
    # The control: staff do see what was seeded, so the walk would notice it (pages only: staff's
    # empty posts would change the objects).
    pages = [request for request in requests if request[0] == "GET"]
    shown = _endpoints(_leaks(_signed_in(app, "official@example.org"), pages))
    assert {"consultations.show", "consultations.statements", "consultations.read_answers"} <= shown
    shown = _endpoints(_leaks(_signed_in(app, "mod@example.org"), pages))
    assert {"petitions.show", "discussions.show", "discussions.permalink", "discussions.comment_history"} <= shown
    assert {"proposals.show", "accounts.public_profile"} <= shown


@WALK
def test_the_links_a_sponsor_holds_open_the_draft_they_support_and_nothing_else(app, client, make_user, outbox):
    creator = make_user("creator@example.org", name="Petition Starter")
    draft = lifecycle.create_petition(creator, fields(title="Quokka draft about the harbour"))
    other = lifecycle.create_petition(creator, fields(title="Quokka other draft"))
    sponsor = signer(7)
    signing.sign_petition(draft, sponsor, sponsor_token=draft.sponsor_token, client="192.0.2.1")
    confirm = token_in(outbox, sponsor.email)
    signature = db.session.scalar(select(Signature).where(Signature.email == sponsor.email))
    withdraw = signing.withdraw_url(signature).rsplit("/signatures/", 1)[1].split("/")[0]
    allowed = {
        "petitions.sponsor": f"/petitions/{draft.id}/sponsor/{draft.sponsor_token}",
        "petitions.signed": f"/petitions/{draft.id}/signed?status=check_email&sponsor={draft.sponsor_token}",
        "petitions.confirm_signature": f"/petitions/{draft.id}/signatures/{confirm}/confirm",
        "petitions.withdraw": f"/petitions/{draft.id}/signatures/{withdraw}/withdraw",
    }
    assert set(TOKEN_HOLDER_ROUTES) <= {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(allowed) <= set(TOKEN_HOLDER_ROUTES)
    for endpoint, url in allowed.items():
        response = client.get(url)
        assert response.status_code == 200 and "Quokka draft about the harbour" in response.get_data(as_text=True), (
            endpoint
        )
        # The same link on another draft shows neither.
        elsewhere = client.get(url.replace(f"/petitions/{draft.id}/", f"/petitions/{other.id}/"))
        assert SECRET not in elsewhere.get_data(as_text=True).lower(), endpoint
        assert elsewhere.status_code in (302, 400, 401, 403, 404), endpoint
    signed = client.post(
        f"/petitions/{draft.id}/sign",
        data={"sponsor_token": draft.sponsor_token, **vars(signer(8))},
        headers={"Origin": "http://localhost"},
    )
    assert signed.status_code == 302 and f"sponsor={draft.sponsor_token}" in signed.headers["Location"]
    assert "Quokka draft about the harbour" in client.get(signed.headers["Location"]).get_data(as_text=True)


def test_no_view_loads_an_object_without_asking_whether_the_reader_may_see_it():
    # The loaders without a permission check are for services and sockets; views use get_<kind>.
    views = [*CIVIC.glob("*/views.py"), *CIVIC.glob("*/views/*.py")]
    assert views
    for path in views:
        names = {getattr(node, "attr", getattr(node, "id", None)) for node in ast.walk(ast.parse(path.read_text()))}
        assert not names & {"load_petition", "load_discussion"}, path
        if path != CIVIC / "pages" / "views.py":  # the health check asks the database for SELECT 1
            assert "db" not in names, f"{path}: load objects through a get_<kind>(id, viewer) service"


# --- redirects ---------------------------------------------------------------------------------

WALKED_BYPASSES = [f"/%09/{EVIL}", f"/\t/{EVIL}", f"/\r\n/{EVIL}", f"//{EVIL}", f"/\\{EVIL}", f"https:{EVIL}"]


def _off_site(client, requests):
    """Each route once, with `next` pointing elsewhere in the query string and in the form."""
    found = []
    for (method, _endpoint), url in requests.items():
        for target in WALKED_BYPASSES:
            if method == "GET":
                response = client.get(url, query_string={"next": target})
            else:
                response = client.post(url, data={"next": target}, headers={"Origin": "http://localhost"})
            if response.status_code >= 500 or not lands_on_this_site(response.headers.get("Location")):
                found.append(
                    f"{method} {url} next={target!r}: {response.status_code} {response.headers.get('Location')}"
                )
    return found


@WALK
def test_no_route_redirects_off_site_whatever_next_says(app, client, make_user, outbox):
    scenarios, fill = _seed(app, make_user, outbox)
    requests = {}
    for method, url, endpoint in _requests(app, scenarios, fill):
        requests.setdefault((method, endpoint), url)
    requests = dict(sorted(requests.items(), key=lambda item: item[0][1] == "accounts.sign_out"))
    assert _off_site(client, requests) == []
    make_user("walker@example.org", name="Curious Citizen")
    assert _off_site(_signed_in(app, "walker@example.org"), requests) == []


@pytest.mark.parametrize("target", BYPASS_TARGETS)
def test_signing_in_never_leads_off_site_nor_fails_on_next(web, citizen, target):
    response = web.sign_in(citizen.email, next=target)
    assert response.status_code == 302 and lands_on_this_site(response.headers["Location"])
    assert web.get("/account").status_code == 200


def test_signing_in_follows_a_next_page_of_this_site(web, citizen):
    response = web.sign_in(citizen.email, next="/petitions/?show=closed")
    assert response.headers["Location"] == "/petitions/?show=closed"


def test_the_two_factor_step_keeps_only_a_next_page_of_this_site(web, make_user):
    for n, (target, expected) in enumerate(((f"/%09/{EVIL}", "/"), ("/account", "/account"))):
        secret = pyotp.random_base32()
        user = make_user(f"two{n}@example.org", two_factor_secret=secret)
        assert web.sign_in(user.email, next=target).headers["Location"] == "/sign-in/two-factor"
        code = pyotp.TOTP(secret).now()
        done = web.post("/sign-in/two-factor", {"code": code}, form_url="/sign-in/two-factor")
        assert done.status_code == 302 and done.headers["Location"] == expected
        web.post("/sign-out")


@pytest.mark.parametrize(
    ("target", "expected"),
    [(f"/%09/{EVIL}", "/account/security"), (f"//{EVIL}", "/account/security"), ("/petitions/", "/petitions/")],
)
def test_the_continue_link_after_two_factor_setup_stays_on_this_site(web, login_as, target, expected):
    login_as("citizen")
    setup = f"/account/security/two-factor?next={quote(target)}"
    page = web.get(setup).get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    codes = web.post(setup, {"code": pyotp.TOTP(secret).now()}, form_url=setup).get_data(as_text=True)
    continue_to = re.search(r'<a class="button" href="([^"]*)">', codes).group(1)
    assert html.unescape(continue_to) == expected


@pytest.mark.parametrize("target", WALKED_BYPASSES)
def test_the_language_switch_returns_only_to_a_page_of_this_site(client, target):
    response = client.post("/language", data={"language": "es", "next": target}, headers={"Origin": "http://localhost"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", WALKED_BYPASSES)
def test_following_a_discussion_returns_only_to_a_page_of_this_site(web, login_as, open_discussion, target):
    login_as("citizen")
    response = web.post(f"/discussions/{open_discussion.id}/follow", {"next": target})
    assert response.status_code == 302 and response.headers["Location"] == f"/discussions/{open_discussion.id}"


@pytest.mark.parametrize("target", WALKED_BYPASSES)
def test_reading_a_notification_returns_only_to_a_page_of_this_site(web, login_as, target):
    person = login_as("citizen")
    notifications.add(person.id, "reply", None)
    db.session.commit()
    notification = db.session.scalar(select(Notification).where(Notification.user_id == person.id))
    response = web.post("/notifications/read", {"id": notification.id, "next": target}, form_url="/notifications/")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"
