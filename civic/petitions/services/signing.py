"""Signing: the signature with its emailed confirmation link, counting each mailbox once however
many requests race, thresholds stamped as they are reached, limits per network, domain and
mailbox, and withdrawing through the link in every email."""

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from civic.accounts.services.people import normalize_email
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.emails import mailbox_key
from civic.common.i18n import format_moment
from civic.common.ratelimit import network_of, seconds_until_allowed
from civic.common.tokens import make_token
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.mail.services import send_mail
from civic.permissions import can
from civic.petitions.models import NAME_MAX_LENGTH, Petition, PetitionState, Signature
from civic.petitions.services.lifecycle import ask_for_moderation
from civic.petitions.services.queries import (
    SIGNATURE_LINK_MAX_AGE,
    SIGNATURE_LINK_PURPOSE,
    WITHDRAW_LINK_PURPOSE,
    add_to_tallies,
    areas,
    signature_from_link,
    sponsoring,
    sponsors_needed,
    thresholds,
)
from civic.realtime import publish_tally

S = PetitionState


@dataclass
class SignatureFields:
    name: str = ""
    email: str = ""
    area: str = ""
    consent: bool = False
    notify: bool = False


@dataclass
class SignOutcome:
    """What happened, for the page: "counted" (it counts now), "check_email" (a link was sent;
    also said when the address had signed already, which only the email reveals), or
    "already_signed" (the signed-in person's own signature)."""

    status: str
    signature: Signature | None = None


def _refuse_signing(petition):
    if petition.current_state is S.CLOSED:
        return ParticipationClosed(
            _(
                "This petition closed on %(date)s, so it cannot be signed any more.",
                date=format_moment(petition.closes_at),
            )
        )
    if petition.is_rejected:
        return ParticipationClosed(_("This petition was rejected, so it cannot be signed."))
    return ParticipationClosed(_("This petition is not open for signatures yet."))


def _clean_signature(fields):
    problems = FieldErrors()
    name = problems.check(
        clean_text,
        fields.name,
        field="name",
        max_length=NAME_MAX_LENGTH,
        required=_("Enter your name."),
        multiline=False,
    )
    typed = key = None
    try:
        typed, lower = normalize_email(fields.email)
        key = mailbox_key(lower)
    except InvalidInput as error:
        problems.add("email", error.message)
    if fields.area not in areas():
        problems.add("area", _("Choose where you live from the list."))
    if not fields.consent:
        problems.add(
            "consent",
            _("Say that you have read the privacy notice: we need your name and email to count your signature once."),
        )
    problems.raise_if_any()
    return name, typed, key


def _check_limits(petition, key, client):
    domain = key.rsplit("@", 1)[-1]
    checks = [
        (
            "petition-sign-network",
            network_of(client),
            "CIVIC_LIMIT_SIGN",
            _("Many signatures have come from your network in a short time. Please try again in %(minutes)d minutes."),
        )
    ]
    if domain not in current_app.config["CIVIC_PETITION_COMMON_DOMAINS"]:
        checks.append(
            (
                "petition-sign-domain",
                domain,
                "CIVIC_LIMIT_SIGN_DOMAIN",
                _(
                    "Many signatures have come from addresses at %(domain)s in a short time. Please try again "
                    "in %(minutes)d minutes."
                ),
            )
        )
    checks.append(
        (
            "petition-sign-email",
            f"{petition.id}|{key}",
            "CIVIC_LIMIT_SIGN_EMAIL",
            _(
                "We have sent several emails to this address already. Please wait %(minutes)d minutes, or use "
                "the link in the last email."
            ),
        )
    )
    for scope, identity, setting, message in checks:
        wait = seconds_until_allowed(scope, identity, current_app.config[setting])
        if wait:
            raise RateLimited(message % {"minutes": max(1, round(wait / 60)), "domain": domain}, retry_after=wait)


def sign_petition(petition, fields, *, user=None, client="", sponsor_token=None, language=None):
    """Sign (or sponsor, with the sponsor link). One signature per mailbox and petition, which the
    database enforces. A signed-in person whose verified address it is counts at once; anyone
    else counts when they follow the emailed link."""
    sponsor = sponsoring(petition, sponsor_token, user)
    if not (sponsor or can(user, "petition.sign", petition)):
        raise _refuse_signing(petition)
    name, typed, key = _clean_signature(fields)
    trusted = bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.email_verified
        and mailbox_key(user.email) == key
    )
    existing = _signature_by_key(petition, key)
    if trusted and existing is not None and existing.validated_at is not None:
        return SignOutcome("already_signed", existing)
    _check_limits(petition, key, client)
    if existing is None:
        try:
            with db.session.begin_nested():
                existing = Signature(
                    petition_id=petition.id,
                    user_id=user.id if trusted else None,
                    name=name,
                    email=typed,
                    email_key=key,
                    email_domain=key.rsplit("@", 1)[-1],
                    area=fields.area,
                    notify=bool(fields.notify),
                    sponsor=sponsor,
                    ip_address=(client or "")[:45],
                    token=secrets.token_hex(16),
                    created_at=clock.now(),
                )
                db.session.add(existing)
        except IntegrityError:  # the same mailbox at the same moment: theirs is the one
            # End the transaction the failed insert began (nothing else is pending): on SQLite it
            # holds the database's write lock, which must not wait for the email sent below.
            _commit()
            existing = _signature_by_key(petition, key)
            if existing is None:
                raise Conflict(_("Your signature was sent twice at once. Please try again.")) from None
            if existing.validated_at is not None:
                return _already(petition, existing, typed, language)
            # Theirs is not confirmed yet either: "already counts" would be untrue, so carry on
            # as for signing again before confirming (the link again, or counted if trusted).
    elif existing.validated_at is not None:
        return _already(petition, existing, typed, language)
    else:  # not confirmed yet: take the latest details and send the link again
        existing.name, existing.area, existing.notify = name, fields.area, bool(fields.notify)
        existing.sponsor = existing.sponsor or sponsor
    _commit()
    if trusted:
        counted = _count(existing)
        return SignOutcome("counted" if counted else "already_signed", existing)
    _send_confirmation(petition, existing, typed, language)
    return SignOutcome("check_email", existing)


def _signature_by_key(petition, key):
    return db.session.scalar(select(Signature).where(Signature.petition_id == petition.id, Signature.email_key == key))


def _already(petition, signature, typed, language):
    """Signing twice is answered politely: the email says the signature counts already."""
    send_mail(
        typed,
        lambda: _("You have already signed “%(title)s”", title=petition.title),
        "signature_already",
        language=language,
        petition=petition,
        url=external_url("petitions.show", petition_id=petition.id),
        withdraw_url=withdraw_url(signature),
    )
    return SignOutcome("check_email", signature)


def _send_confirmation(petition, signature, typed, language):
    token = make_token(SIGNATURE_LINK_PURPOSE, {"s": signature.id, "t": signature.token})
    send_mail(
        typed,
        lambda: _("Please confirm your signature: “%(title)s”", title=petition.title),
        "signature_confirm",
        language=language,
        petition=petition,
        sponsoring=signature.sponsor,
        url=external_url("petitions.confirm_signature", petition_id=petition.id, token=token),
        days=SIGNATURE_LINK_MAX_AGE // 86400,
        withdraw_url=withdraw_url(signature),
    )


def withdraw_url(signature):
    token = make_token(WITHDRAW_LINK_PURPOSE, {"s": signature.id, "t": signature.token})
    return external_url("petitions.withdraw", petition_id=signature.petition_id, token=token)


def confirm_signature(petition, token):
    """The emailed link: the signature counts from now on, once however often it is used.
    Returns (signature, counted_now)."""
    signature = signature_from_link(petition, SIGNATURE_LINK_PURPOSE, token)
    if signature.invalidated_at is not None:
        raise InvalidInput(
            _(
                "This signature was not counted: it matched signatures we judged fraudulent. If you "
                "signed in good faith, contact us."
            )
        )
    if signature.validated_at is not None:
        return signature, False
    # Whoever holds the link: a sponsor's signature still counts while the petition takes sponsors.
    if not (can(None, "petition.sign", petition) or (signature.sponsor and can(None, "petition.sponsor", petition))):
        raise _refuse_signing(petition)
    return signature, _count(signature)


def _count(signature):
    """Validate and count one signature: only the update that finds it unvalidated counts it,
    so racing confirmations count it once. Thresholds are stamped the moment they are reached."""
    now = clock.now()
    won = (
        db.session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.validated_at.is_(None), Signature.invalidated_at.is_(None))
            .values(validated_at=now)
        ).rowcount
        == 1
    )
    if not won:
        db.session.rollback()
        return False
    values = {"signature_count": Petition.signature_count + 1, "last_signed_at": now}
    if signature.sponsor:
        values["sponsor_count"] = Petition.sponsor_count + 1
    db.session.execute(update(Petition).where(Petition.id == signature.petition_id).values(**values))
    signature.validated_at = now
    add_to_tallies(signature, 1)
    _stamp_thresholds(signature.petition_id, now)
    _commit()
    petition = db.session.get(Petition, signature.petition_id)
    db.session.refresh(petition)
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    if signature.sponsor and petition.sponsor_count >= sponsors_needed():
        ask_for_moderation(petition)
    return True


def _stamp_thresholds(petition_id, now):
    response, debate = thresholds()
    for column, threshold in (
        (Petition.response_threshold_reached_at, response),
        (Petition.debate_threshold_reached_at, debate),
    ):
        db.session.execute(
            update(Petition)
            .where(Petition.id == petition_id, column.is_(None), Petition.signature_count >= threshold)
            .values({column.key: now})
        )


def withdraw_signature(petition, token):
    """The link in a signer's email: their signature stops counting and their details are deleted."""
    signature = signature_from_link(petition, WITHDRAW_LINK_PURPOSE, token)
    if signature.user_id is not None and signature.user_id == petition.creator_id:
        raise Conflict(_("The person who started a petition cannot withdraw their own signature."))
    counted = signature.counts
    deleted = db.session.execute(Signature.__table__.delete().where(Signature.id == signature.id)).rowcount == 1
    if deleted and counted:
        values = {"signature_count": Petition.signature_count - 1}
        if signature.sponsor:
            values["sponsor_count"] = Petition.sponsor_count - 1
        db.session.execute(update(Petition).where(Petition.id == petition.id).values(**values))
        add_to_tallies(signature, -1)
    _commit()
    db.session.expire_all()
    petition = db.session.get(Petition, petition.id)
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return petition
