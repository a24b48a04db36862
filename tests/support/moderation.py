"""Moderation helpers: hiding a comment as a moderator does, through civic.moderation's decisions."""

from civic.moderation.services.decisions import decide


def hide_comment(actor, comment, explanation, reason="abuse"):
    """A moderator hides `comment` for `reason` (a ReportReason code), explaining it to the author."""
    decide(actor, "comment", comment.id, "hide", reason, explanation)
    return comment
