"""Fraud: suspicious bursts of signatures per network range and email domain, invalidating the
signatures that match a rule (recounted and audited), and reverting an invalidation."""

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.ratelimit import network_of
from civic.common.validation import FieldErrors, clean_text
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.insights.bursts import busiest_windows
from civic.permissions import ensure_can
from civic.petitions.models import COMMENT_MAX_LENGTH, Invalidation, Petition, Signature
from civic.petitions.services.queries import rebuild_tallies
from civic.realtime import publish_tally


@dataclass
class InvalidationRule:
    ip_range: str = ""
    email_domain: str = ""
    signed_from: datetime | None = None
    signed_until: datetime | None = None


def _clean_rule(rule):
    """(network, domain) of a rule that names at least one thing to match; InvalidInput otherwise."""
    problems = FieldErrors()
    network = None
    ip_range = (rule.ip_range or "").strip()
    if ip_range:
        try:
            network = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            problems.add("ip_range", _("Enter an address or a range like 203.0.113.0/24."))
    domain = (rule.email_domain or "").strip().lower().lstrip("@")
    if domain and not re.match(r"^[a-z0-9.-]+\.[a-z]{2,}$", domain):
        problems.add("email_domain", _("Enter a domain like example.org."))
    if rule.signed_from and rule.signed_until and rule.signed_until <= rule.signed_from:
        problems.add("signed_until", _("The end of the time window must be after its start."))
    if not (ip_range or domain or rule.signed_from or rule.signed_until) and not problems:
        problems.add("ip_range", _("Give at least one rule: an address range, a domain or a time window."))
    problems.raise_if_any()
    return network, domain


def matching_signatures(petition, rule):
    """Ids of this petition's signatures (counted or not) that match the rule and are not
    invalidated already."""
    network, domain = _clean_rule(rule)
    query = select(Signature.id, Signature.ip_address).where(
        Signature.petition_id == petition.id, Signature.invalidated_at.is_(None)
    )
    if domain:
        query = query.where(Signature.email_domain == domain)
    if rule.signed_from:
        query = query.where(Signature.created_at >= rule.signed_from)
    if rule.signed_until:
        query = query.where(Signature.created_at < rule.signed_until)
    ids = []
    for signature_id, ip in db.session.execute(query):
        if network is not None:
            try:
                if ipaddress.ip_address(ip) not in network:
                    continue
            except ValueError:
                continue
        ids.append(signature_id)
    return ids, network, domain


def invalidate_signatures(actor, petition, rule, reason):
    """Invalidate every signature matching the rule, with a reason and an audit entry; the count
    is recalculated. Reversible with revert_invalidation."""
    ensure_can(actor, "petition.investigate", petition)
    reason = clean_text(
        reason, field="reason", max_length=COMMENT_MAX_LENGTH, required=_("Say why these signatures are invalid.")
    )
    ids, network, domain = matching_signatures(petition, rule)
    if not ids:
        raise InvalidInput(_("No signatures match this rule, so nothing was invalidated."), field="ip_range")
    now = clock.now()
    invalidation = Invalidation(
        petition_id=petition.id,
        ip_range=str(network) if network else "",
        email_domain=domain,
        signed_from=rule.signed_from,
        signed_until=rule.signed_until,
        reason=reason,
        matched_count=len(ids),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(invalidation)
    db.session.flush()
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(Signature)
            .where(Signature.id.in_(ids[start : start + 500]), Signature.invalidated_at.is_(None))
            .values(invalidated_at=now, invalidation_id=invalidation.id)
        )
    _recount(petition)
    record_staff_action(
        actor,
        "petition.invalidate",
        "petition",
        petition.id,
        petition.title,
        reason,
        {
            "invalidation": invalidation.id,
            "signatures": len(ids),
            "ip_range": invalidation.ip_range,
            "email_domain": domain,
        },
    )
    _commit()
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return invalidation


def revert_invalidation(actor, invalidation, reason):
    petition = db.session.get(Petition, invalidation.petition_id)
    ensure_can(actor, "petition.investigate", petition)
    if invalidation.reverted_at is not None:
        raise Conflict(_("This invalidation was reverted already."))
    reason = clean_text(
        reason, field="reason", max_length=COMMENT_MAX_LENGTH, required=_("Say why the signatures count again.")
    )
    db.session.execute(
        update(Signature)
        .where(Signature.invalidation_id == invalidation.id)
        .values(invalidated_at=None, invalidation_id=None)
    )
    invalidation.reverted_at, invalidation.reverted_by_id, invalidation.revert_reason = clock.now(), actor.id, reason
    _recount(petition)
    record_staff_action(
        actor,
        "petition.revert_invalidation",
        "petition",
        petition.id,
        petition.title,
        reason,
        {"invalidation": invalidation.id},
    )
    _commit()
    publish_tally("petition", petition.id, {"signatures": petition.signature_count})
    return invalidation


def _recount(petition):
    """The petition's counts from its signatures; the petition's row is written first, as every
    signature does, so that a recount and a signature never wait on each other in turn."""
    db.session.flush()
    counted = select(func.count()).select_from(Signature).where(Signature.petition_id == petition.id, Signature.counts)
    db.session.execute(
        update(Petition)
        .where(Petition.id == petition.id)
        .values(
            signature_count=counted.scalar_subquery(),
            sponsor_count=counted.where(Signature.sponsor.is_(True)).scalar_subquery(),
        )
    )
    rebuild_tallies(petition.id)
    db.session.refresh(petition)


def invalidations(petition):
    return list(
        db.session.scalars(
            select(Invalidation).where(Invalidation.petition_id == petition.id).order_by(Invalidation.created_at.desc())
        )
    )


def get_invalidation(petition, invalidation_id):
    invalidation = db.session.get(Invalidation, invalidation_id)
    if invalidation is None or invalidation.petition_id != petition.id:
        raise NotFound(_("There is no such invalidation."))
    return invalidation


def suspicious_bursts(actor, petition, *, window=timedelta(minutes=10), min_count=None, since=None):
    """Many signatures from one network range or one email domain in a short time: for each
    range and domain, the busiest `window` of this petition's signatures, busiest first."""
    ensure_can(actor, "petition.investigate", petition)
    query = select(Signature.ip_address, Signature.email_domain, Signature.created_at).where(
        Signature.petition_id == petition.id, Signature.invalidated_at.is_(None)
    )
    if since is not None:
        query = query.where(Signature.created_at >= since)
    rows = db.session.execute(query).all()
    common = current_app.config["CIVIC_PETITION_COMMON_DOMAINS"]
    min_count = min_count or 10
    return {
        "networks": busiest_windows(((network_of(ip), at) for ip, _domain, at in rows), window, min_count),
        "domains": busiest_windows(
            ((domain, at) for _ip, domain, at in rows if domain not in common), window, min_count
        ),
    }
