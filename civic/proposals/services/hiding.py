"""Hiding a proposal by moderation (readers reported it) and showing it again: the caller, moderation,
owns the transaction; the page cache learns of it after the commit."""

from civic.audit.services import record_staff_action
from civic.common.models import utcnow
from civic.proposals.services.lifecycle import pages_changed


def hide_proposal_in_transaction(actor, proposal, reason):
    """Hide a proposal in the caller's transaction (the caller checked the permission and commits, then
    calls announce_proposal_hidden): out of every public list and count, its page shows everyone but
    its author and moderators only the reason. Audited as `proposal.hide` by `actor` (None: readers'
    reports hid it pending review). False if it was hidden already."""
    if proposal.is_hidden:
        return False
    proposal.hidden_at, proposal.hidden_reason = utcnow(), reason
    record_staff_action(actor, "proposal.hide", "proposal", proposal.id, proposal.title, reason)
    return True


def show_proposal_again(proposal):
    """Undo a hiding after review (the caller commits and audits the decision). False if not hidden."""
    if not proposal.is_hidden:
        return False
    proposal.hidden_at, proposal.hidden_reason = None, ""
    return True


def announce_proposal_hidden(proposal):
    """After the commit: its page and the lists render afresh (proposals have no live page)."""
    pages_changed(proposal.id)
