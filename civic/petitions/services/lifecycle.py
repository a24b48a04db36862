"""A petition's life outside moderation: drafting with the creator's own signature, changing the
draft, asking for moderation once the sponsors are in, closing on time, and the one way a state
moves (`move_petition`), with the emails to the creator at each step."""

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.emails import mailbox_key
from civic.common.ratelimit import seconds_until_allowed
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, RateLimited, ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import allowed_but_for_state, ensure_can
from civic.petitions.models import (
    BACKGROUND_MAX_LENGTH,
    DETAILS_MAX_LENGTH,
    STATE_LABELS,
    TITLE_MAX_LENGTH,
    Petition,
    PetitionState,
    Signature,
)
from civic.petitions.services.queries import add_to_tallies, areas, sponsors_needed

S = PetitionState
TOPIC_MAX_LENGTH = 80
URL_ONLY = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


# --- moving between states -------------------------------------------------------------------


def refused_move(petition, target):
    """The Conflict for a move the transition table does not allow from the current state."""
    return Conflict(
        _(
            "A petition that is “%(current)s” cannot become “%(target)s”.",
            current=_state_label(petition.current_state),
            target=_state_label(target),
        )
    )


def move_petition(petition, target, **values):
    """Move to `target` if the table allows it from the current state, and only if nobody moved
    the petition meanwhile; otherwise raise and change nothing."""
    if not petition.may_become(target):
        raise refused_move(petition, target)
    changed = db.session.execute(
        update(Petition)
        .where(Petition.id == petition.id, Petition.state == petition.state)
        .values(state=target.value, **values)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("Someone changed this petition a moment ago. Reload the page and look again."))
    db.session.refresh(petition)


def _state_label(state):
    return str(STATE_LABELS[state.value])


# --- drafting and sponsors -------------------------------------------------------------------


@dataclass
class PetitionFields:
    title: str = ""
    background: str = ""
    details: str = ""
    topic: str = ""
    anonymous: bool = False
    area: str = ""  # where the creator lives, for their own signature


def _clean_petition(fields):
    problems, cleaned = FieldErrors(), {}
    for name, max_length, required, multiline in (
        ("title", TITLE_MAX_LENGTH, _("Say what the council should do."), False),
        ("background", BACKGROUND_MAX_LENGTH, _("Say why: the background to your petition."), True),
        ("details", DETAILS_MAX_LENGTH, None, True),
        ("topic", TOPIC_MAX_LENGTH, None, False),
    ):
        cleaned[name] = problems.check(
            clean_text, getattr(fields, name), field=name, max_length=max_length, required=required, multiline=multiline
        )
    for name in ("title", "background"):
        if name not in problems and cleaned[name] and not URL_ONLY.sub("", cleaned[name]).strip(" .,;:-\n"):
            problems.add(name, _("Say it in words: a petition cannot be only a link."))
    if fields.area not in areas():
        problems.add("area", _("Choose where you live from the list."))
    problems.raise_if_any()
    return cleaned


def create_petition(actor, fields):
    """A citizen drafts a petition; their own signature counts from the start. It then needs
    sponsors (CIVIC_PETITION_SPONSORS) before a moderator looks at it."""
    ensure_can(actor, "petition.create")
    cleaned = _clean_petition(fields)
    wait = seconds_until_allowed("petition-create", actor.id, current_app.config["CIVIC_LIMIT_PETITION_CREATE"])
    if wait:
        raise RateLimited(
            _(
                "You have started several petitions recently. Please wait %(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    now = clock.now()
    petition = Petition(
        creator_id=actor.id,
        creator_name=actor.display_name,
        creator_anonymous=bool(fields.anonymous),
        sponsor_token=secrets.token_urlsafe(16),
        state=S.DRAFT.value,
        **cleaned,
    )
    db.session.add(petition)
    db.session.flush()
    key = mailbox_key(actor.email)
    own = Signature(
        petition_id=petition.id,
        user_id=actor.id,
        name=actor.display_name,
        email=actor.email,
        email_key=key,
        email_domain=key.rsplit("@", 1)[-1],
        area=fields.area,
        notify=True,
        token=secrets.token_hex(16),
        created_at=now,
        validated_at=now,
    )
    db.session.add(own)
    db.session.flush()
    add_to_tallies(own, 1)
    petition.signature_count, petition.last_signed_at = 1, now
    _commit()
    if sponsors_needed() <= 0:
        ask_for_moderation(petition)
    return petition


def update_draft(actor, petition, fields):
    """The creator may change the text until moderators start looking at it."""
    if allowed_but_for_state(actor, "petition.edit_draft", petition):
        raise Conflict(_("The petition is with the moderators now, so its text can no longer change."))
    ensure_can(actor, "petition.edit_draft", petition)
    fields.area = fields.area or areas()[0]
    cleaned = _clean_petition(fields)
    for name, value in cleaned.items():
        setattr(petition, name, value)
    petition.creator_anonymous = bool(fields.anonymous)
    _commit()
    return petition


def sponsor_url(petition):
    return external_url("petitions.sponsor", petition_id=petition.id, token=petition.sponsor_token)


def ask_for_moderation(petition):
    """The sponsors are in: the draft goes to the moderators (once, however many confirmations race)."""
    if petition.current_state is S.DRAFT:
        try:
            move_petition(petition, S.PENDING, moderation_requested_at=clock.now())
        except Conflict:
            return  # another sponsor's confirmation did it a moment ago
        _commit()
        tell_creator(petition, "petition_sponsored", lambda: _("Your petition is with the moderators"))


# --- closing on time -------------------------------------------------------------------------


def close_due_petitions(now=None):
    """Write down that open petitions past their closing time are closed (`flask civic tick`)."""
    now = now or clock.now()
    due = list(db.session.scalars(select(Petition).where(Petition.state == S.OPEN.value, Petition.closes_at <= now)))
    for petition in due:
        db.session.execute(
            update(Petition)
            .where(Petition.id == petition.id, Petition.state == S.OPEN.value)
            .values(state=S.CLOSED.value, closed_at=petition.closes_at)
        )
    _commit()
    for petition in due:
        db.session.refresh(petition)
        tell_creator(petition, "petition_closed", lambda: _("Your petition has closed"))
    return len(due)


def tell_creator(petition, template, subject):
    """Email the creator about a step in their petition's life (best effort: the step is done)."""
    creator = petition.creator
    if creator is None or creator.disabled_at is not None:
        return
    try:
        send_mail(
            creator.email,
            subject,
            template,
            language=creator.language,
            user=creator,
            petition=petition,
            url=external_url("petitions.show", petition_id=petition.id),
            sponsor_url=sponsor_url(petition),
        )
    except ServiceUnavailable:
        current_app.logger.warning("mail %s about petition %s not sent", template, petition.id)
