"""Every route of every blueprint, walked with objects nobody outside may see (petitions before
moderation or hidden, draft and deleted consultations, hidden discussions and comments, the
discussions of all of these): none of them shows to an anonymous visitor or to a citizen."""

import io
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from civic.common import clock
from civic.consultations.models import DraftSection
from civic.consultations.services import documents, draft_text, questions
from civic.consultations.services import lifecycle as consultation_lifecycle
from civic.discussions.services.categories import save_category
from civic.discussions.services.comments import delete_comment, hide_comment, post_comment
from civic.discussions.services.discussions import start_discussion
from civic.extensions import db
from civic.petitions.models import RejectionReason, Signature
from civic.petitions.services import lifecycle, moderation, signing
from tests.support import sample_files
from tests.support.petitions import fields, signer, token_in
from tests.support.users import DEFAULT_PASSWORD

SECRET = "quokka"  # in every title and text seeded below, and in nothing public
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
    deleted = consultation_lifecycle.create_consultation(
        official, consultation_lifecycle.ConsultationFields(title="Quokka deleted consultation")
    )
    deleted_id = deleted.id
    consultation_lifecycle.delete_consultation(official, deleted)

    scenarios = [{"petition_id": p.id} for p in (draft, pending, flagged, hidden)]
    scenarios += [
        {"discussion_id": hidden_topic.id, "comment_id": in_hidden_topic.id},
        {"discussion_id": about_hidden.id, "comment_id": in_about_hidden.id},
        {"discussion_id": open_topic.id, "comment_id": hidden_comment.id},
        {"discussion_id": open_topic.id, "comment_id": deleted_comment.id},
        {"discussion_id": section.discussion_id, "comment_id": on_passage.id},
        {"consultation_id": consultation.id, "question_id": question.id, "document_id": document.id},
        {"consultation_id": deleted_id},
        {"user_id": creator.id},
        {"user_id": author.id},
    ]
    fill = {
        "token": ["not-a-token", *borrowed],
        "filename": [document.stored_name, "harbour-plan.pdf"],
        "invalidation_id": [1],
        "statement_id": [1],
        "question_id": [question.id],
        "document_id": [document.id],
        "comment_id": [hidden_comment.id],
        "slug": ["walks"],
        "message_id": ["1"],
    }
    return scenarios, fill


def _requests(app, scenarios, fill):
    """(method, url, endpoint) for every route: with each scenario that names one of its
    arguments, the other arguments from `fill` (all of them when no scenario names any)."""
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = sorted(rule.arguments)
        chosen = [s for s in scenarios if set(s) & set(arguments)] or [{}]
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
                    if (method, url) not in seen:
                        seen.add((method, url))
                        yield method, url, rule.endpoint


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
    signed_in = web.client.post("/sign-in", data={"email": "walker@example.org", "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302  # this app checks no CSRF token
    leaks = _leaks(web.client, requests)
    assert leaks == [], "\n".join(leaks)


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
