"""What each staff action is called on the pages that list them (the audit log, the moderation
log): one readable phrase per action code, and which actions are moderation."""

from flask_babel import lazy_gettext as _l

# "<who> <phrase> <what>.": "Mo Moderator hid the comment “...”."
ACTION_LABELS = {
    "account.data_exported": _l("downloaded the personal data of the account"),
    "account.deleted": _l("deleted the account"),
    "accountability.add_milestone": _l("added a milestone to the implementation record"),
    "accountability.create": _l("opened the implementation record"),
    "accountability.update": _l("changed the implementation record"),
    "budget.add_project": _l("added the project"),
    "budget.assess_project": _l("judged the feasibility of the project"),
    "budget.create": _l("created the participatory budget"),
    "budget.import_pabulib": _l("imported the participatory budget"),
    "budget.update": _l("changed the participatory budget"),
    "budget.update_project": _l("changed the project"),
    "category.create": _l("created the discussion category"),
    "category.update": _l("changed the discussion category"),
    "comment.hide": _l("hid the comment"),
    "comment.pin": _l("pinned the comment"),
    "comment.unpin": _l("unpinned the comment"),
    "consultation.add_document": _l("added a document to"),
    "consultation.close_early": _l("closed early"),
    "consultation.cover_alt_text": _l("changed the cover image's description of"),
    "consultation.create": _l("drafted the consultation"),
    "consultation.delete": _l("deleted the draft"),
    "consultation.draft_text": _l("changed the draft text of"),
    "consultation.export": _l("exported the responses to"),
    "consultation.import_polis": _l("imported a Pol.is conversation as"),
    "consultation.outcome": _l("published the outcome of"),
    "consultation.publish": _l("published the consultation"),
    "consultation.remove_cover": _l("removed the cover image of"),
    "consultation.remove_document": _l("removed a document from"),
    "consultation.set_cover": _l("set the cover image of"),
    "consultation.statements": _l("changed the statement settings of"),
    "consultation.timeline": _l("changed the timeline of"),
    "consultation.update": _l("changed the consultation"),
    "discussion.lock": _l("locked the discussion"),
    "discussion.unlock": _l("reopened the discussion"),
    "petition.approve": _l("approved the petition"),
    "petition.debate_outcome": _l("recorded the debate on"),
    "petition.export_signers": _l("downloaded the signers of"),
    "petition.flag": _l("asked for a second opinion on the petition"),
    "petition.invalidate": _l("invalidated signatures of"),
    "petition.reject": _l("rejected the petition"),
    "petition.respond": _l("published the council's response to"),
    "petition.respond_update": _l("changed the council's response to"),
    "petition.revert_invalidation": _l("reverted an invalidation of signatures of"),
    "petition.schedule_debate": _l("scheduled the debate on"),
    "proposal.answer": _l("answered the proposal"),
    "proposal.implemented": _l("marked as implemented the proposal"),
    "proposal.merge": _l("merged as a duplicate the proposal"),
    "question.delete": _l("removed a question from"),
    "report.dismiss": _l("dismissed the reports of"),
    "content.restore": _l("showed again"),
    "user.warn": _l("warned"),
    "user.suspend": _l("suspended"),
    "user.ban": _l("banned"),
    "appeal.uphold": _l("upheld, on appeal, the decision"),
    "appeal.reverse": _l("reversed, on appeal, the decision"),
    "role.grant": _l("granted a role to"),
    "role.revoke": _l("revoked a role from"),
    "statement.approve": _l("approved the statement"),
    "statement.reject": _l("rejected the statement"),
}

# Decisions about what others wrote or signed: moderators read these in the moderation log.
MODERATION_ACTIONS = frozenset(
    {
        "comment.hide",
        "comment.pin",
        "comment.unpin",
        "discussion.lock",
        "discussion.unlock",
        "petition.approve",
        "petition.flag",
        "petition.invalidate",
        "petition.reject",
        "petition.revert_invalidation",
        "report.dismiss",
        "content.restore",
        "user.warn",
        "user.suspend",
        "user.ban",
        "appeal.uphold",
        "appeal.reverse",
        "statement.approve",
        "statement.reject",
    }
)


def action_label(action):
    """The phrase for an action code (the code itself for one recorded by an older version)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
