"""The council's answer to a petition: the official response, scheduling the debate and
publishing its outcome, and the mailings that tell signers who asked for news (sent in batches
by the periodic task, never inside a request)."""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.markdown import render_markdown
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput, ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import allowed_but_for_state, ensure_can
from civic.petitions.models import (
    RESPONSE_DETAILS_MAX_LENGTH, RESPONSE_SUMMARY_MAX_LENGTH, URL_MAX_LENGTH, Mailing, MailingKind, Petition,
    Signature,
)
from civic.petitions.services.signing import withdraw_url

MAILING_SUBJECTS = {
    "response": lambda p: _("The council responded to “%(title)s”", title=p.title),
    "debate_scheduled": lambda p: _("“%(title)s” will be debated", title=p.title),
    "debate_outcome": lambda p: _("“%(title)s” was debated", title=p.title),
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
    summary = problems.check(clean_text, summary, field="summary", max_length=RESPONSE_SUMMARY_MAX_LENGTH,
                             required=_("Write a short summary."))
    details = problems.check(clean_text, details, field="details", max_length=RESPONSE_DETAILS_MAX_LENGTH)
    problems.raise_if_any()
    first = petition.responded_at is None
    petition.response_summary, petition.response_details_markdown = summary, details
    petition.response_details_html = render_markdown(details)
    petition.responded_at = petition.responded_at or clock.now()
    petition.responded_by_id = actor.id
    record_staff_action(actor, "petition.respond" if first else "petition.respond_update", "petition", petition.id,
                        petition.title)
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.RESPONSE.value))
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
    record_staff_action(actor, "petition.schedule_debate", "petition", petition.id, petition.title,
                        details={"date": debate_on.isoformat()})
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.DEBATE_SCHEDULED.value))
    _commit()
    return petition


def publish_debate_outcome(actor, petition, debated_on, overview, transcript_url="", video_url=""):
    _ensure_may_respond(actor, petition, _("Only an open or closed petition can be debated."))
    problems = FieldErrors()
    if debated_on is None:
        problems.add("debated_on", _("Choose the date of the debate."))
    elif debated_on > clock.utc_to_local(clock.now()).date():
        problems.add("debated_on", _("The debate's outcome can be published once it has taken place."))
    overview = problems.check(clean_text, overview, field="overview", max_length=RESPONSE_DETAILS_MAX_LENGTH,
                              required=_("Say what was said and decided in the debate."))
    links = {name: problems.check(_clean_url, value, name)
             for name, value in (("transcript_url", transcript_url), ("video_url", video_url))}
    problems.raise_if_any()
    first = petition.debated_on is None
    petition.debated_on = debated_on
    petition.debate_overview_markdown, petition.debate_overview_html = overview, render_markdown(overview)
    petition.debate_transcript_url, petition.debate_video_url = links["transcript_url"], links["video_url"]
    record_staff_action(actor, "petition.debate_outcome", "petition", petition.id, petition.title)
    if first:
        db.session.add(Mailing(petition_id=petition.id, kind=MailingKind.DEBATE_OUTCOME.value))
    _commit()
    return petition


def send_mailings(batch=200):
    """Email the next batch of each unfinished mailing (signers who asked for news); run by
    `flask civic tick`. Returns the number of emails sent."""
    sent = 0
    for mailing in list(db.session.scalars(select(Mailing).where(Mailing.finished_at.is_(None)).order_by(Mailing.id))):
        petition = db.session.get(Petition, mailing.petition_id)
        signatures = list(db.session.scalars(select(Signature).where(
            Signature.petition_id == mailing.petition_id, Signature.id > mailing.last_signature_id,
            Signature.notify.is_(True), Signature.counts).order_by(Signature.id).limit(batch)))
        url = external_url("petitions.show", petition_id=petition.id)
        for signature in signatures:
            try:
                send_mail(signature.email, lambda: MAILING_SUBJECTS[mailing.kind](petition), f"petition_{mailing.kind}",
                          petition=petition, name=signature.name, url=url, withdraw_url=withdraw_url(signature))
            except ServiceUnavailable:
                break  # the mail server is down: carry on from here next time
            mailing.last_signature_id = signature.id
            mailing.sent_count += 1
            sent += 1
        else:
            if len(signatures) < batch:
                mailing.finished_at = clock.now()
        _commit()
    return sent
