"""Responding without an account: the answers and an email address, a link emailed to make the
response count (once), limits per network address and per mailbox, and nothing on the page that
tells who responded."""

import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User
from civic.accounts.services.people import normalize_email
from civic.common import clock
from civic.common.db import commit
from civic.common.emails import mailbox_key
from civic.common.ratelimit import seconds_until_allowed
from civic.common.tokens import make_token, read_token
from civic.common.urls import external_url
from civic.common.validation import FieldErrors
from civic.consultations.models import Response
from civic.consultations.services.responses import (
    check_response,
    checked_values,
    count_submission,
    readable_answers,
    require_open,
    store_answers,
    stored_values,
)
from civic.errors import Conflict, InvalidInput, NotAllowed, RateLimited, ServiceUnavailable, TokenInvalid
from civic.extensions import db
from civic.mail.services import send_mail
from civic.realtime import publish_tally

ANONYMOUS_TOKEN_PURPOSE = "consultation-response"
ANONYMOUS_LINK_MAX_AGE = 3 * 24 * 3600  # seconds


def _send_or_say(to, subject, template, **context):
    send_mail(to, subject, template, **context)  # ServiceUnavailable reaches the person: "try again"


def request_anonymous_response(consultation, email, raw, *, client="", language=None):
    """Someone without an account answers and gives an email address. Nothing counts until they
    follow the emailed link. The page says "check your email" whatever happened, so that it
    does not reveal who responded; the email says what happened:
    - a new or unconfirmed response from this mailbox: its answers are (re)placed and a link sent
      (an earlier link stops working);
    - a response from this mailbox already counts: it is not changed, and the email says so;
    - the address belongs to an account: nothing is stored; the email says to sign in.
    One response per mailbox (see common.emails.mailbox_key), enforced by the database."""
    if not consultation.anonymous_responses:
        raise NotAllowed(_("This consultation takes responses from people with an account only."))
    require_open(consultation)
    problems = FieldErrors()
    typed, lower = problems.check(normalize_email, email, field="email") or (None, None)
    key = mailbox_key(lower) if lower else None
    cleaned, answer_problems = check_response(consultation, raw)
    for field, messages in answer_problems.items():
        for message in messages:
            problems.add(field, message)
    problems.raise_if_any()
    # Limits count only complete answers: per network address, then per mailbox.
    wait = seconds_until_allowed(
        "consultation-response-address", client, current_app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE"]
    )
    if wait:
        raise RateLimited(
            _(
                "Too many responses have come from your network. Please try again in %(minutes)d "
                "minutes; your answers are below.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    wait = seconds_until_allowed(
        "consultation-response-email",
        f"{consultation.id}|{key}",
        current_app.config["CIVIC_LIMIT_ANONYMOUS_RESPONSE_EMAIL"],
    )
    if wait:
        raise RateLimited(
            _(
                "We have sent several emails to this address already. Please wait %(minutes)d "
                "minutes, or use the link in the last email.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    url = external_url("consultations.show", consultation_id=consultation.id)
    subject = lambda: _("Your response to “%(title)s”", title=consultation.title)  # noqa: E731
    account = db.session.scalar(select(User).where(User.email_normalized.in_({lower, key})))
    if account is not None:
        _send_or_say(
            typed, subject, "response_has_account", language=account.language, consultation=consultation, url=url
        )
        return None
    response = db.session.scalar(
        select(Response).where(Response.consultation_id == consultation.id, Response.email == key)
    )
    if response is not None and response.submitted_at is not None:
        _send_or_say(
            typed,
            subject,
            "response_counted_already",
            language=language,
            consultation=consultation,
            response=response,
            url=url,
        )
        return response
    if response is None:
        try:
            with db.session.begin_nested():
                response = Response(consultation_id=consultation.id, email=key)
                db.session.add(response)
        except IntegrityError:  # the same address at the same moment from another window
            response = db.session.scalar(
                select(Response).where(Response.consultation_id == consultation.id, Response.email == key)
            )
    store_answers(response, consultation, checked_values(cleaned))
    response.confirmation_nonce = secrets.token_hex(8)
    response.confirmation_sent_at = clock.now()
    try:
        commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was sent from another window a moment ago. Check your email.")) from exc
    token = make_token(ANONYMOUS_TOKEN_PURPOSE, {"r": response.id, "n": response.confirmation_nonce})
    _send_or_say(
        typed,
        subject,
        "response_confirm",
        language=language,
        consultation=consultation,
        answers=readable_answers(consultation, response),
        hours=ANONYMOUS_LINK_MAX_AGE // 3600,
        url=external_url("consultations.confirm_response", consultation_id=consultation.id, token=token),
    )
    return response


def confirm_anonymous_response(consultation, token, *, language=None):
    """The emailed link: the response counts from now on (once, however often the link is used)."""
    payload = read_token(ANONYMOUS_TOKEN_PURPOSE, token, ANONYMOUS_LINK_MAX_AGE)
    response = db.session.get(Response, payload.get("r")) if isinstance(payload, dict) else None
    if response is None or response.consultation_id != consultation.id or response.email is None:
        raise TokenInvalid(_("This link is not valid. Check that you copied all of it."))
    if response.submitted_at is not None:
        return response, False
    if response.confirmation_nonce != payload.get("n"):
        raise TokenInvalid(_("This link was replaced by a newer one: use the link in the last email we sent you."))
    require_open(consultation)
    _cleaned, problems = check_response(consultation, stored_values(response))
    if problems:  # the questionnaire changed in between (only possible before the first response)
        raise InvalidInput(_("The questions changed after you answered. Please respond again."))
    count_submission(response, consultation)
    response.confirmation_nonce = None
    try:
        commit()
    except IntegrityError as exc:
        raise Conflict(_("Your response was confirmed from another window.")) from exc
    db.session.refresh(consultation)
    publish_tally("consultation", consultation.id, {"responses": consultation.response_count})
    try:
        _send_or_say(
            response.email,
            lambda: _("Your response to “%(title)s”", title=consultation.title),
            "response_receipt",
            language=language,
            user=None,
            consultation=consultation,
            answers=readable_answers(consultation, response),
            response=response,
            url=external_url("consultations.show", consultation_id=consultation.id),
        )
    except ServiceUnavailable:
        pass  # it counts; the copy is a courtesy
    return response, True
