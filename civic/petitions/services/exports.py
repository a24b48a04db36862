"""What leaves the site: counts by area and the signers as CSV (each checked, and the signers
audited, before anything is streamed), and a public petition as open data (JSON)."""

from flask_babel import gettext as _
from sqlalchemy import select

from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.urls import external_url
from civic.errors import NotFound
from civic.extensions import db
from civic.permissions import ensure_can
from civic.petitions.models import PetitionState, Signature
from civic.petitions.services.queries import counts_by_area, thresholds

S = PetitionState


# --- CSV -------------------------------------------------------------------------------------


def area_export(actor, petition):
    """(header, rows) of counted signatures per area, for officials; no personal data."""
    ensure_can(actor, "petition.export", petition)
    return [_("Area"), _("Signatures")], counts_by_area(petition)


def signer_export(actor, petition, *, batch=1000):
    """(header, rows) of every counted signer (name, email, area, time): administrators only. The
    check and the audit entry happen here, before the first row is read; the rows are read in
    batches as the download streams."""
    ensure_can(actor, "petition.export_signers", petition)
    record_staff_action(actor, "petition.export_signers", "petition", petition.id, petition.title)
    _commit()
    return [_("Name"), _("Email"), _("Area"), _("Confirmed at")], _signer_rows(petition.id, batch)


def _signer_rows(petition_id, batch):
    last = 0
    while True:
        rows = db.session.execute(
            select(Signature.id, Signature.name, Signature.email, Signature.area, Signature.validated_at)
            .where(Signature.petition_id == petition_id, Signature.counts, Signature.id > last)
            .order_by(Signature.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield [row.name, row.email, row.area, row.validated_at.isoformat()]
        last = rows[-1].id


# --- open data (JSON) ------------------------------------------------------------------------


def _iso(moment):
    return moment.isoformat() if moment else None


def petition_data(petition, *, with_areas=True):
    """What anyone may know about a public petition, as plain values (never a signer's details).
    A petition before moderation, or hidden, is not open data."""
    if not petition.is_public:
        raise NotFound(_("There is no such petition."))
    response, debate = thresholds()
    state = petition.current_state
    data = {
        "id": petition.id,
        "url": external_url("petitions.show", petition_id=petition.id),
        "title": petition.title,
        "background": petition.background,
        "details": petition.details,
        "topic": petition.topic or None,
        "state": state.value,
        "creator_name": None if petition.creator_anonymous else petition.creator_name,
        "signature_count": petition.signature_count if petition.is_published else None,
        "created_at": _iso(petition.created_at),
        "opened_at": _iso(petition.opened_at),
        "closes_at": _iso(petition.closes_at),
        "closed_at": _iso(petition.closed_at or (petition.closes_at if state is S.CLOSED else None)),
        "thresholds": {"response": response, "debate": debate},
        "response_threshold_reached_at": _iso(petition.response_threshold_reached_at),
        "debate_threshold_reached_at": _iso(petition.debate_threshold_reached_at),
        "rejection": None,
        "government_response": None,
        "debate": None,
    }
    if state is S.REJECTED:
        data["rejection"] = {
            "code": petition.rejection_reason,
            "details": petition.rejection_comment or None,
            "duplicate_of": petition.duplicate_of_id,
            "rejected_at": _iso(petition.moderated_at),
        }
    if petition.responded_at:
        data["government_response"] = {
            "summary": petition.response_summary,
            "details": petition.response_details_markdown,
            "responded_at": _iso(petition.responded_at),
        }
    if petition.debate_scheduled_on or petition.debated_on:
        data["debate"] = {
            "scheduled_on": petition.debate_scheduled_on.isoformat() if petition.debate_scheduled_on else None,
            "debated_on": petition.debated_on.isoformat() if petition.debated_on else None,
            "overview": petition.debate_overview_markdown or None,
            "transcript_url": petition.debate_transcript_url or None,
            "video_url": petition.debate_video_url or None,
        }
    if with_areas and petition.is_published:
        data["signatures_by_area"] = [
            {"area": area, "signature_count": count} for area, count in counts_by_area(petition)
        ]
    return data
