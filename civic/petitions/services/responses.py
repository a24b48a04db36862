"""The council's answer to a petition: the official response, scheduling the debate and
publishing its outcome, and the mailings that tell signers who asked for news (generic batched
mailings, civic.mail.mailings: sent by the periodic task, never inside a request)."""

import re

from flask_babel import gettext as _
from sqlalchemy import select

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.markdown import render_markdown
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.mail.mailings import Message, Recipient, register_mailing_kind, start_mailing
from civic.permissions import allowed_but_for_state, ensure_can
from civic.petitions.models import (
    RESPONSE_DETAILS_MAX_LENGTH,
    RESPONSE_SUMMARY_MAX_LENGTH,
    URL_MAX_LENGTH,
    Petition,
    Signature,
)
from civic.petitions.services.signing import withdraw_url

# Mailing kind (also the mail template's name) -> its subject.
MAILING_SUBJECTS = {
    "petition_response": lambda p: _("The council responded to “%(title)s”", title=p.title),
    "petition_debate_scheduled": lambda p: _("“%(title)s” will be debated", title=p.title),
    "petition_debate_outcome": lambda p: _("“%(title)s” was debated", title=p.title),
}


def _ensure_may_respond(actor, petition, not_now):
    """Officials first (403); then the state: an official is told why not this petition (409)."""
    if allowed_but_for_state(actor, "petition.respond", petition):
        raise Conflict(not_now)
    ensure_can(actor, "petition.respond", petition)


def publish_response(actor, petition, summary, details):
    """The council's response; signers who asked for news are emailed (the first time)."""
    _ensure_may_respond(actor, petition, _("Only an open or closed petition can be answered."))
    problems = FieldErrors()
    summary = problems.check(
        clean_text,
        summary,
        field="summary",
        max_length=RESPONSE_SUMMARY_MAX_LENGTH,
        required=_("Write a short summary."),
    )
    details = problems.check(clean_text, details, field="details", max_length=RESPONSE_DETAILS_MAX_LENGTH)
    problems.raise_if_any()
    first = petition.responded_at is None
    petition.response_summary, petition.response_details_markdown = summary, details
    petition.response_details_html = render_markdown(details)
    petition.responded_at = petition.responded_at or clock.now()
    petition.responded_by_id = actor.id
    record_staff_action(
        actor, "petition.respond" if first else "petition.respond_update", "petition", petition.id, petition.title
    )
    if first:
        start_mailing("petition_response", "petition", petition.id)
    _commit()
    return petition


def _clean_url(value, field):
    value = (value or "").strip()
    if value and (len(value) > URL_MAX_LENGTH or not re.match(r"https?://[^\s/]+\.[^\s]+$", value)):
        raise InvalidInput(_("Enter a full web address starting with https://."), field=field)
    return value


def schedule_debate(actor, petition, debate_on):
    _ensure_may_respond(actor, petition, _("Only an open or closed petition can be debated."))
    if debate_on is None:
        raise InvalidInput(_("Choose the date of the debate."), field="debate_on")
    first = petition.debate_scheduled_on is None
    petition.debate_scheduled_on = debate_on
    record_staff_action(
        actor,
        "petition.schedule_debate",
        "petition",
        petition.id,
        petition.title,
        details={"date": debate_on.isoformat()},
    )
    if first:
        start_mailing("petition_debate_scheduled", "petition", petition.id)
    _commit()
    return petition


def publish_debate_outcome(actor, petition, debated_on, overview, transcript_url="", video_url=""):
    _ensure_may_respond(actor, petition, _("Only an open or closed petition can be debated."))
    problems = FieldErrors()
    if debated_on is None:
        problems.add("debated_on", _("Choose the date of the debate."))
    elif debated_on > clock.utc_to_local(clock.now()).date():
        problems.add("debated_on", _("The debate's outcome can be published once it has taken place."))
    overview = problems.check(
        clean_text,
        overview,
        field="overview",
        max_length=RESPONSE_DETAILS_MAX_LENGTH,
        required=_("Say what was said and decided in the debate."),
    )
    links = {
        name: problems.check(_clean_url, value, name)
        for name, value in (("transcript_url", transcript_url), ("video_url", video_url))
    }
    problems.raise_if_any()
    first = petition.debated_on is None
    petition.debated_on = debated_on
    petition.debate_overview_markdown, petition.debate_overview_html = overview, render_markdown(overview)
    petition.debate_transcript_url, petition.debate_video_url = links["transcript_url"], links["video_url"]
    record_staff_action(actor, "petition.debate_outcome", "petition", petition.id, petition.title)
    if first:
        start_mailing("petition_debate_outcome", "petition", petition.id)
    _commit()
    return petition


def _signers_who_asked_for_news(mailing, after, limit):
    signatures = db.session.scalars(
        select(Signature)
        .where(
            Signature.petition_id == mailing.about_id,
            Signature.id > after,
            Signature.notify.is_(True),
            Signature.counts,
        )
        .order_by(Signature.id)
        .limit(limit)
    )
    return [
        Recipient(key=s.id, email=s.email, context={"name": s.name, "withdraw_url": withdraw_url(s)})
        for s in signatures
    ]


def _petition_news(mailing):
    petition = db.session.get(Petition, mailing.about_id)
    if petition is None:
        return None
    return Message(
        lambda: MAILING_SUBJECTS[mailing.kind](petition),
        mailing.kind,
        {"petition": petition, "url": external_url("petitions.show", petition_id=petition.id)},
    )


def register_petition_mailings():
    """The mailings petitions start, for civic.mail.mailings (called by create_app)."""
    for kind in MAILING_SUBJECTS:
        register_mailing_kind(kind, recipients=_signers_who_asked_for_news, message=_petition_news)
