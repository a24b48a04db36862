"""Roles and the one can(user, action, obj) that every permission check goes through.

RULES is the whole table: an action maps to a predicate over (user, obj, roles), where
roles are the user's *effective* roles. An action that is not in the table is denied.
"""

import enum

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_login import current_user

from civic.common import clock
from civic.common.i18n import format_moment
from civic.consultations.models import CHANGEABLE, CLOSABLE_EARLY, DELETABLE, OUTCOME_ALLOWED, PUBLISHABLE
from civic.discussions.contexts import context_of
from civic.errors import AuthenticationRequired, NotAllowed, TwoFactorEnrolmentRequired


class Role(str, enum.Enum):
    CITIZEN = "citizen"
    MODERATOR = "moderator"
    OFFICIAL = "official"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.MODERATOR, Role.OFFICIAL, Role.ADMIN})
ALL_ROLES = tuple(Role)


def _signed_in(user):
    return bool(user is not None and getattr(user, "is_authenticated", False))


def held_roles(user):
    if not _signed_in(user):
        return frozenset()
    return frozenset(Role(r) for r in user.role_names)


def staff_two_factor_required():
    return has_app_context() and bool(current_app.config.get("CIVIC_REQUIRE_STAFF_2FA"))


def effective_roles(user):
    """Roles the user may act in now: staff roles need two-factor enrolment when the site requires it."""
    roles = held_roles(user)
    if staff_two_factor_required() and not getattr(user, "two_factor_enabled", False):
        roles = roles - STAFF_ROLES
    return roles


def _anyone(user, obj, roles):
    return True


def _signed_in_rule(user, obj, roles):
    return _signed_in(user)


def _role(*allowed):
    def rule(user, obj, roles):
        return bool(roles & set(allowed))

    rule.roles = frozenset(allowed)
    return rule


def _self(user, obj, roles):
    return _signed_in(user) and obj is not None and getattr(obj, "id", None) == user.id


def _any_staff(user, obj, roles):
    return bool(roles & STAFF_ROLES)


_any_staff.roles = STAFF_ROLES

PARTICIPANT_ROLES = frozenset({Role.CITIZEN}) | STAFF_ROLES


def _participant(user, obj, roles):
    """Signed in with a role that may take part (an admin may revoke the citizen role)."""
    return bool(roles & PARTICIPANT_ROLES)


def _view_discussion(user, discussion, roles):
    if discussion is not None and discussion.is_hidden:
        # Its page shows everyone else only the reason (discussions.services.discussion_for_page).
        return bool(roles & {Role.MODERATOR, Role.ADMIN}) or (_signed_in(user) and discussion.author_id == user.id)
    about = context_of(discussion)
    if about is not None and about.view_action:
        # Whoever may see the object may read its discussion (a draft consultation's: officials only).
        return can(user, about.view_action, about.owner)
    return True


def _comment_in(user, discussion, roles):
    """A participant, in a discussion that takes comments now (Discussion.takes_comments): not locked
    (a lock stops moderators too), and an attached one only while its object takes them (a passage of
    a draft text while its consultation is open)."""
    return _participant(user, discussion, roles) and (discussion is None or discussion.takes_comments)


def _start_discussion(user, category, roles):
    if not _participant(user, category, roles):
        return False
    return bool(roles & STAFF_ROLES) or bool(getattr(category, "citizens_may_start", False))


def _own_live_comment(user, comment, roles):
    return _signed_in(user) and comment is not None and comment.author_id == user.id and not comment.is_removed


def _view_held_comment(user, comment, roles):
    """A comment pre-moderation held: its author and the moderators."""
    if roles & {Role.MODERATOR, Role.ADMIN}:
        return True
    return _signed_in(user) and comment is not None and comment.author_id == user.id


def _report_comment(user, comment, roles):
    """A participant, about a comment still shown. Not about who wrote it: the comment cards are shared
    by readers of the same roles; reports.report_comment refuses one's own comment."""
    return _participant(user, comment, roles) and (comment is None or not comment.is_removed)


def _report_what_one_reads(view_action, reportable):
    """The `<kind>.report` rules: a participant who may read the item (`view_action`), while
    `reportable(item)` (still shown). Not about who wrote it: moderation.services.reports.report_item
    refuses one's own item with a clear message."""

    def rule(user, item, roles):
        if not _participant(user, item, roles):
            return False
        return item is None or (bool(reportable(item)) and can(user, view_action, item))

    return rule


def _report_statement(user, statement, roles):
    """A participant who may read its consultation, about a statement still shown (the same rule as
    `_report_what_one_reads`, the consultation being what one reads)."""
    if not _participant(user, statement, roles):
        return False
    return statement is None or (
        statement.is_hideable_by_reports and can(user, "consultation.view", statement.consultation)
    )


def _report_budget_project(user, project, roles):
    """A participant who may read its budget, about a project still shown (as `_report_statement`)."""
    if not _participant(user, project, roles):
        return False
    return project is None or (not project.is_hidden and can(user, "budget.view", project.budget))


def _vote_on_comment(user, comment, roles):
    return _participant(user, comment, roles) and comment is not None and comment.author_id != user.id


_view_discussion.roles = frozenset()


def _view_consultation(user, consultation, roles):
    if consultation is not None and getattr(consultation, "published_at", None) is None:
        return bool(roles & {Role.OFFICIAL, Role.ADMIN})
    return True


_manage_consultations = _role(Role.OFFICIAL, Role.ADMIN)


def _manage_consultation_in(phases):
    """Officials and admins, while the consultation is in one of `phases` (a named set of
    civic.consultations.models)."""

    def rule(user, consultation, roles):
        return (
            _manage_consultations(user, consultation, roles)
            and consultation is not None
            and consultation.phase in phases
        )

    rule.roles = _manage_consultations.roles
    return rule


def _follow_consultation(user, consultation, roles):
    """Signed in, once it is published (a draft has nothing to tell its followers yet)."""
    return _signed_in(user) and (consultation is None or consultation.is_published)


def _vote_on_statements(user, consultation, roles):
    """A participant, while the consultation takes votes on its statements (enabled, and open)."""
    return _participant(user, consultation, roles) and consultation is not None and consultation.takes_statement_votes


def _view_petition(user, petition, roles):
    """Public petitions (`Petition.is_public`: open, closed, rejected) are for everyone; before
    moderation (and when hidden) only moderators and the creator see them (sponsors reach a draft
    through its secret link)."""
    if petition is None or petition.is_public:
        return True
    if roles & {Role.MODERATOR, Role.ADMIN}:
        return True
    return _signed_in(user) and petition.creator_id == user.id


_view_petition.roles = frozenset()


def _own_petition(user, petition, roles):
    return _signed_in(user) and petition is not None and petition.creator_id == user.id


def _petition_in_state(who, question):
    """`who` may do it to a petition whose current state allows it: `question` names the
    petition's own predicate (`is_respondable`...), which reads the named sets in petitions.models.
    Without a petition (a menu, the moderation queue) `who` alone answers."""

    def rule(user, petition, roles):
        return bool(who(user, petition, roles)) and (petition is None or getattr(petition, question))

    rule.roles = getattr(who, "roles", frozenset())
    rule.who, rule.question = who, question
    return rule


def allowed_but_for_state(user, action, petition):
    """Would this person be allowed, were the petition in a state that allows the action? The
    services then say why not now (a Conflict, 409) rather than "not allowed" (403)."""
    rule = RULES[action]
    return bool(rule.who(user, petition, effective_roles(user))) and not getattr(petition, rule.question)


# The same rule shape again: `who`, and the budget's own predicate (`takes_ballots`...), which reads
# the named sets of phases in budgets.models.
_budget_in_phase = _petition_in_state
_manage_budgets = _role(Role.OFFICIAL, Role.ADMIN)


def _verified_participant(user, obj, roles):
    """A participant whose email address is confirmed: one account, one person (proposal supports)."""
    return _participant(user, obj, roles) and bool(getattr(user, "email_verified", False))


def _view_proposal(user, proposal, roles):
    """Everyone, unless moderation hid it: then its author and moderators (its page shows the others
    the reason: proposals.services.queries.proposal_for_page)."""
    if proposal is None or not proposal.is_hidden:
        return True
    return bool(roles & {Role.MODERATOR, Role.ADMIN}) or (_signed_in(user) and proposal.author_id == user.id)


_view_proposal.roles = frozenset()


def _own_proposal(user, proposal, roles):
    return _signed_in(user) and proposal is not None and proposal.author_id == user.id


# The same rule shape as petitions': `who`, and the proposal's own predicate (`is_supportable`...),
# which reads the named sets in proposals.models.
_proposal_in_state = _petition_in_state
# And an implementation record's (`is_changeable`...), reading the named sets in accountability.models.
_record_in_state = _petition_in_state


def _moderator_not_own_decision(user, decision, roles):
    """A moderator or admin, about a decision they did not make: an appeal is decided by someone else."""
    if not roles & {Role.MODERATOR, Role.ADMIN}:
        return False
    return decision is None or decision.moderator_id is None or decision.moderator_id != user.id


_moderator_not_own_decision.roles = frozenset({Role.MODERATOR, Role.ADMIN})


def _concerned_by(user, decision, roles):
    """The person a moderation decision is about (the author of the content, or the person sanctioned)."""
    return _signed_in(user) and decision is not None and decision.subject_id == user.id


RULES = {
    # Pages everybody may read
    "site.view": _anyone,
    "profile.view": _anyone,
    # A person's own account
    "account.edit": _self,
    "account.manage_two_factor": _self,
    # Staff
    "staff.dashboard": _any_staff,
    "users.list": _role(Role.ADMIN),
    "users.manage_roles": _role(Role.ADMIN),
    "audit.view": _role(Role.ADMIN),
    "audit.view_moderation": _role(Role.MODERATOR, Role.ADMIN),  # the moderation decisions only
    # Discussions
    "discussion.view": _view_discussion,
    "discussion.start": _start_discussion,
    "discussion.follow": _signed_in_rule,
    "discussion.lock": _role(Role.MODERATOR, Role.ADMIN),
    "category.manage": _role(Role.ADMIN),
    "discussion.vote": _participant,  # on the comments of a discussion they may read; not their own (comment.vote)
    "comment.create": _comment_in,
    "comment.vote": _vote_on_comment,
    "comment.edit": _own_live_comment,
    "comment.delete": _own_live_comment,
    "comment.hide": _role(Role.MODERATOR, Role.ADMIN),
    "comment.pin": _role(Role.MODERATOR, Role.OFFICIAL, Role.ADMIN),
    "comment.view_history": _role(Role.MODERATOR, Role.ADMIN),
    "comment.report": _report_comment,
    "discussion.report": _report_what_one_reads("discussion.view", lambda d: d.is_topic and not d.is_hidden),
    "petition.report": _report_what_one_reads("petition.view", lambda p: p.is_hideable_by_reports),
    "statement.report": _report_statement,
    "profile.report": _report_what_one_reads("profile.view", lambda p: p.is_active and not p.profile_is_hidden),
    "budget_project.report": _report_budget_project,
    "report.list_mine": _signed_in_rule,
    "report.review": _role(Role.MODERATOR, Role.ADMIN),
    "held.review": _role(Role.MODERATOR, Role.ADMIN),  # what pre-moderation held: approve or reject
    "comment.view_held": _view_held_comment,
    "moderation.queue": _role(Role.MODERATOR, Role.ADMIN),  # the queue and its actions (/staff/moderation)
    "moderation.decide": _role(Role.MODERATOR, Role.ADMIN),  # hide, restore, warn, suspend, ban
    "moderation.decide_appeal": _moderator_not_own_decision,
    "moderation.list_appeals": _role(Role.MODERATOR, Role.ADMIN),
    "decision.list_mine": _signed_in_rule,  # the statements of reasons sent to me
    "decision.appeal": _concerned_by,  # open to a suspended or banned person too
    "notifications.view": _signed_in_rule,
    # Consultations
    "consultation.view": _view_consultation,
    "consultation.manage": _manage_consultations,
    "consultation.edit": _manage_consultation_in(CHANGEABLE),  # until the outcome is published
    "consultation.publish": _manage_consultation_in(PUBLISHABLE),
    "consultation.delete": _manage_consultation_in(DELETABLE),
    "consultation.close_early": _manage_consultation_in(CLOSABLE_EARLY),
    "consultation.publish_outcome": _manage_consultation_in(OUTCOME_ALLOWED),
    "consultation.respond": _participant,
    "consultation.vote_statement": _vote_on_statements,
    "consultation.follow": _follow_consultation,
    "consultation.moderate_statements": _role(Role.MODERATOR, Role.OFFICIAL, Role.ADMIN),
    "consultation.results": _role(Role.OFFICIAL, Role.ADMIN),
    "consultation.export": _role(Role.OFFICIAL, Role.ADMIN),
    # Petitions: who, and in which states (signing needs no account; sponsoring also needs the
    # sponsor link, which petitions.services.queries.sponsoring checks)
    "petition.view": _view_petition,
    "petition.create": _participant,
    "petition.edit_draft": _petition_in_state(_own_petition, "is_collecting_sponsors"),
    "petition.sign": _petition_in_state(_anyone, "is_signable"),
    "petition.sponsor": _petition_in_state(_anyone, "is_sponsorable"),
    "petition.moderate": _petition_in_state(_role(Role.MODERATOR, Role.ADMIN), "is_moderatable"),
    "petition.flag": _petition_in_state(_role(Role.MODERATOR, Role.ADMIN), "is_flaggable"),
    "petition.respond": _petition_in_state(_role(Role.OFFICIAL, Role.ADMIN), "is_respondable"),
    # suspicious bursts, invalidations
    "petition.investigate": _petition_in_state(_role(Role.MODERATOR, Role.ADMIN), "is_published"),
    "petition.export": _petition_in_state(_role(Role.OFFICIAL, Role.ADMIN), "is_published"),  # counts by area
    "petition.export_signers": _petition_in_state(_role(Role.ADMIN), "is_published"),  # names and emails, audited
    # Participatory budgets
    "budget.view": _anyone,
    "budget.manage": _manage_budgets,  # create a budget, change it and its areas and dates
    "budget.edit_projects": _budget_in_phase(_manage_budgets, "projects_editable"),  # until voting starts
    "budget.vote": _budget_in_phase(_verified_participant, "takes_ballots"),
    "budget.results": _budget_in_phase(_anyone, "shows_results"),  # once voting has closed
    # Proposals: every proposal is public (a withdrawn or merged one stays readable, marked)
    "proposal.view": _view_proposal,
    "proposal.report": _report_what_one_reads("proposal.view", lambda p: not p.is_hidden),
    "proposal.create": _participant,
    "proposal.edit": _proposal_in_state(_own_proposal, "is_editable"),  # until the first support
    "proposal.withdraw": _proposal_in_state(_own_proposal, "is_withdrawable"),
    # Authors may support their own proposal (as on Decide Madrid): README, "Citizen proposals".
    "proposal.support": _proposal_in_state(_verified_participant, "is_supportable"),
    "proposal.follow": _proposal_in_state(_signed_in_rule, "is_followable"),
    "proposal.answer": _proposal_in_state(_role(Role.OFFICIAL, Role.ADMIN), "is_answerable"),
    "proposal.merge": _proposal_in_state(_role(Role.OFFICIAL, Role.ADMIN), "is_mergeable"),
    # Accountability: every implementation record is public; officials keep them up to date
    "accountability.view": _anyone,
    "accountability.create": _role(Role.OFFICIAL, Role.ADMIN),  # for an accepted proposal or funded project
    "accountability.edit": _record_in_state(_role(Role.OFFICIAL, Role.ADMIN), "is_changeable"),  # until done
    "accountability.add_milestone": _record_in_state(_role(Role.OFFICIAL, Role.ADMIN), "takes_milestones"),
    "accountability.follow": _signed_in_rule,
}


# What a suspended (until the end of the suspension) or banned person may not do, whatever their
# roles: every action that writes something others see or that counts. Checked here, once, by
# can() and Abilities, never in a rule. Reading, following, deleting one's own comment,
# withdrawing, the account's own settings and appealing a decision stay open.
WRITING_ACTIONS = frozenset(
    {
        "discussion.start",
        "discussion.vote",
        "comment.create",
        "comment.vote",
        "comment.edit",
        "comment.report",
        "consultation.respond",
        "consultation.vote_statement",
        "petition.create",
        "petition.edit_draft",
        "petition.sign",
        "petition.sponsor",
        "budget.vote",
        "proposal.create",
        "proposal.edit",
        "proposal.support",
    }
)


def is_sanctioned(user):
    """Suspended (until the end of the suspension) or banned: no writing action (WRITING_ACTIONS)."""
    if not _signed_in(user):
        return False
    if getattr(user, "banned_at", None) is not None:
        return True
    until = getattr(user, "suspended_until", None)
    return until is not None and until > clock.now()


def _allowed(rule, user, action, obj, roles, sanctioned):
    if rule is None or (sanctioned and action in WRITING_ACTIONS):
        return False
    return bool(rule(user, obj, roles))


def can(user, action, obj=None):
    """May this user do this action (on this object)? Unknown actions are denied."""
    rule = RULES.get(action)
    if rule is None:
        return False
    return _allowed(rule, user, action, obj, effective_roles(user), action in WRITING_ACTIONS and is_sanctioned(user))


class Abilities:
    """can() for one person with their effective roles worked out once, for a page that asks the
    same questions about many objects (the comments of a discussion). The rules stay in RULES."""

    def __init__(self, user):
        self.user = user
        self.roles = effective_roles(user)
        self.sanctioned = is_sanctioned(user)

    def __call__(self, action, obj=None):
        return _allowed(RULES.get(action), self.user, action, obj, self.roles, self.sanctioned)


def ensure_can(user, action, obj=None):
    """Raise the error that explains why the user may not do this action."""
    if can(user, action, obj):
        return
    if not _signed_in(user):
        raise AuthenticationRequired(_("Please sign in to continue."))
    if action in WRITING_ACTIONS and is_sanctioned(user):
        raise NotAllowed(sanction_notice(user))
    rule = RULES.get(action)
    needs = getattr(rule, "roles", frozenset())
    if needs and (held_roles(user) & needs) and staff_two_factor_required():
        raise TwoFactorEnrolmentRequired(_("Staff accounts must set up two-factor sign-in before using staff pages."))
    raise NotAllowed(_("You do not have permission to do that."))


def sanction_notice(user):
    """Why a sanctioned person may not write, until when, and where to appeal (in their words)."""
    if getattr(user, "banned_at", None) is not None:
        return _(
            "Your account is banned: you can read the site but not take part. "
            "Your statement of reasons, and how to appeal, are under Account settings, Moderation decisions."
        )
    return _(
        "Your account is suspended until %(until)s: you can read the site but not take part until then. "
        "Your statement of reasons, and how to appeal, are under Account settings, Moderation decisions.",
        until=format_moment(user.suspended_until),
    )


def register_template_helpers(app):
    """Templates ask can(action, obj) about the person reading (a page of comments asks through
    civic.discussions.presenting, which works the reader's roles out once)."""
    app.jinja_env.globals["can"] = lambda action, obj=None: can(current_user, action, obj)
    app.jinja_env.globals["sanction_notice"] = lambda: (
        sanction_notice(current_user) if is_sanctioned(current_user) else ""
    )
