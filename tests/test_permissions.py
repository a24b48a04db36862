"""The permission table as a role x action matrix."""

import pytest

from civic.accounts.models import AnonymousUser, User, UserRole
from civic.errors import AuthenticationRequired, NotAllowed, TwoFactorEnrolmentRequired
from civic.permissions import RULES, WRITING_ACTIONS, Abilities, can, ensure_can


def person(*roles, user_id=1, two_factor=False):
    user = User(
        id=user_id,
        display_name="P",
        email="p@example.org",
        email_normalized="p@example.org",
        password_hash="x",
        session_token="t",
    )
    user.roles = [UserRole(role=r) for r in roles]
    from civic.common.models import utcnow as _now

    user.email_verified_at = _now()  # signed up and confirmed their address
    if two_factor:
        from civic.common.models import utcnow

        user.totp_enabled_at = utcnow()
    return user


ROLES = {
    "anonymous": lambda: AnonymousUser(),
    "citizen": lambda: person("citizen"),
    "moderator": lambda: person("citizen", "moderator"),
    "official": lambda: person("citizen", "official"),
    "admin": lambda: person("citizen", "admin"),
}

SIGNED_IN = {"citizen", "moderator", "official", "admin"}
EVERYONE = {"anonymous"} | SIGNED_IN


def discussion(hidden=False, locked=False):
    from civic.common.models import utcnow
    from civic.discussions.models import Discussion

    return Discussion(
        id=3,
        title="T",
        hidden_at=utcnow() if hidden else None,
        locked_at=utcnow() if locked else None,
        lock_reason="Cooling off" if locked else "",
    )


def category(open_to_citizens=True):
    from civic.discussions.models import Category

    return Category(id=1, slug="c", name="C", citizens_may_start=open_to_citizens)


def others_comment():
    from civic.discussions.models import Comment

    return Comment(id=8, discussion_id=3, author_id=99, body_markdown="x", body_html="x")


def hidden_comment():
    from civic.common.models import utcnow

    comment = others_comment()
    comment.hidden_at, comment.hidden_reason = utcnow(), "Rude"
    return comment


# (action, object) -> roles allowed; objects belong to someone else where that matters
MATRIX = {
    ("site.view", None): EVERYONE,
    ("profile.view", None): EVERYONE,
    ("account.edit", "other person"): set(),
    ("account.manage_two_factor", "other person"): set(),
    ("staff.dashboard", None): {"moderator", "official", "admin"},
    ("users.list", None): {"admin"},
    ("users.manage_roles", "other person"): {"admin"},
    ("audit.view", None): {"admin"},
    ("audit.view_moderation", None): {"moderator", "admin"},
    ("discussion.view", "discussion"): EVERYONE,
    ("discussion.view", "hidden discussion"): {"moderator", "admin"},
    ("discussion.start", "open category"): SIGNED_IN,
    ("discussion.start", "staff-only category"): {"moderator", "official", "admin"},
    ("discussion.follow", "discussion"): SIGNED_IN,
    ("discussion.lock", "discussion"): {"moderator", "admin"},
    ("category.manage", None): {"admin"},
    ("discussion.vote", "discussion"): SIGNED_IN,
    ("discussion.vote", "locked discussion"): SIGNED_IN,
    ("comment.create", "discussion"): SIGNED_IN,
    ("comment.create", "locked discussion"): set(),  # moderators too: a lock stops everyone
    ("comment.vote", "comment"): SIGNED_IN,
    ("comment.edit", "comment"): set(),
    ("comment.delete", "comment"): set(),
    ("comment.hide", "comment"): {"moderator", "admin"},
    ("comment.pin", "comment"): {"moderator", "official", "admin"},
    ("comment.view_history", "comment"): {"moderator", "admin"},
    ("comment.report", "comment"): SIGNED_IN,
    ("comment.report", "hidden comment"): set(),
    ("discussion.report", "discussion"): SIGNED_IN,
    ("discussion.report", "hidden discussion"): set(),
    ("proposal.report", "open proposal"): SIGNED_IN,
    ("proposal.report", "answered proposal"): SIGNED_IN,
    ("proposal.report", "hidden proposal"): set(),
    ("petition.report", "open petition"): SIGNED_IN,
    ("petition.report", "closed petition"): SIGNED_IN,
    ("petition.report", "pending petition"): set(),  # moderators read it before it is published
    ("petition.report", "rejected petition"): set(),  # a moderator decided already
    ("petition.report", "hidden petition"): set(),
    ("statement.report", "statement"): SIGNED_IN,
    ("statement.report", "hidden statement"): set(),
    ("statement.report", "statement of a draft consultation"): {"official", "admin"},  # who may read it
    ("budget_project.report", "budget project"): SIGNED_IN,
    ("budget_project.report", "hidden budget project"): set(),
    ("profile.report", "other person"): SIGNED_IN,
    ("profile.report", "hidden profile"): set(),
    ("report.list_mine", None): SIGNED_IN,
    ("report.review", None): {"moderator", "admin"},
    ("held.review", None): {"moderator", "admin"},
    ("comment.view_held", "comment"): {"moderator", "admin"},
    ("moderation.queue", None): {"moderator", "admin"},
    ("moderation.decide", None): {"moderator", "admin"},
    ("moderation.list_appeals", None): {"moderator", "admin"},
    ("moderation.decide_appeal", "decision by another moderator"): {"moderator", "admin"},
    ("moderation.decide_appeal", "automatic decision"): {"moderator", "admin"},
    ("moderation.decide_appeal", "own decision"): set(),  # another moderator decides the appeal
    ("decision.list_mine", None): SIGNED_IN,
    ("decision.appeal", "decision about me"): SIGNED_IN,
    ("decision.appeal", "decision about someone else"): set(),
    ("notifications.view", None): SIGNED_IN,
    ("consultation.view", "published consultation"): EVERYONE,
    ("consultation.view", "draft consultation"): {"official", "admin"},
    ("consultation.manage", "published consultation"): {"official", "admin"},
    ("consultation.edit", "published consultation"): {"official", "admin"},
    ("consultation.edit", "consultation with its outcome"): set(),
    ("consultation.publish", "draft consultation"): {"official", "admin"},
    ("consultation.publish", "published consultation"): set(),
    ("consultation.delete", "draft consultation"): {"official", "admin"},
    ("consultation.delete", "published consultation"): set(),
    ("consultation.close_early", "published consultation"): {"official", "admin"},
    ("consultation.close_early", "closed consultation"): set(),
    ("consultation.publish_outcome", "closed consultation"): {"official", "admin"},
    ("consultation.publish_outcome", "published consultation"): set(),
    ("consultation.respond", "published consultation"): SIGNED_IN,
    ("consultation.vote_statement", "consultation with statements"): SIGNED_IN,
    ("consultation.vote_statement", "published consultation"): set(),  # statements not enabled
    ("consultation.vote_statement", "closed consultation with statements"): set(),
    ("consultation.follow", "published consultation"): SIGNED_IN,
    ("consultation.follow", "draft consultation"): set(),
    ("consultation.moderate_statements", "published consultation"): {"moderator", "official", "admin"},
    ("consultation.results", "published consultation"): {"official", "admin"},
    ("consultation.export", "published consultation"): {"official", "admin"},
    ("petition.view", "open petition"): EVERYONE,
    ("petition.view", "draft petition"): {"moderator", "admin"},
    ("petition.create", None): SIGNED_IN,
    ("petition.edit_draft", "draft petition"): set(),  # only its creator (below), whatever the role
    ("petition.sign", "open petition"): EVERYONE,  # no account needed
    ("petition.sign", "closed petition"): set(),
    ("petition.sign", "draft petition"): set(),
    ("petition.sponsor", "draft petition"): EVERYONE,  # with the sponsor link (checked by the service)
    ("petition.sponsor", "pending petition"): EVERYONE,
    ("petition.sponsor", "open petition"): set(),
    ("petition.moderate", None): {"moderator", "admin"},  # the queue
    ("petition.moderate", "pending petition"): {"moderator", "admin"},
    ("petition.moderate", "flagged petition"): {"moderator", "admin"},
    ("petition.moderate", "draft petition"): set(),
    ("petition.moderate", "open petition"): set(),
    ("petition.flag", "pending petition"): {"moderator", "admin"},
    ("petition.flag", "flagged petition"): set(),  # a second opinion once
    ("petition.respond", None): {"official", "admin"},
    ("petition.respond", "open petition"): {"official", "admin"},
    ("petition.respond", "closed petition"): {"official", "admin"},
    ("petition.respond", "pending petition"): set(),
    ("petition.respond", "rejected petition"): set(),
    ("petition.investigate", "open petition"): {"moderator", "admin"},
    ("petition.investigate", "closed petition"): {"moderator", "admin"},
    ("petition.investigate", "pending petition"): set(),
    ("petition.export", "open petition"): {"official", "admin"},
    ("petition.export", "closed petition"): {"official", "admin"},
    ("petition.export", "draft petition"): set(),
    ("petition.export_signers", "open petition"): {"admin"},
    ("petition.export_signers", "closed petition"): {"admin"},
    ("petition.export_signers", "hidden petition"): set(),
    ("budget.view", "budget in review"): EVERYONE,
    ("budget.manage", None): {"official", "admin"},
    ("budget.manage", "voting budget"): {"official", "admin"},  # its dates and text (the services fix the rest)
    ("budget.edit_projects", "budget in review"): {"official", "admin"},
    ("budget.edit_projects", "voting budget"): set(),  # the ballot is fixed once voting starts
    ("budget.vote", "voting budget"): SIGNED_IN,  # with a verified email (the service checks)
    ("budget.vote", "budget in review"): set(),
    ("budget.vote", "budget with results"): set(),
    ("budget.results", "budget with results"): EVERYONE,
    ("budget.results", "voting budget"): set(),
    ("proposal.view", "open proposal"): EVERYONE,
    ("proposal.view", "withdrawn proposal"): EVERYONE,  # stays readable, marked
    ("proposal.view", "hidden proposal"): {"moderator", "admin"},  # and its author (below)
    ("proposal.create", None): SIGNED_IN,
    ("proposal.edit", "open proposal"): set(),  # only its author (below), whatever the role
    ("proposal.withdraw", "open proposal"): set(),  # only its author
    ("proposal.support", "open proposal"): SIGNED_IN,  # with a verified address (below)
    ("proposal.support", "expired proposal"): set(),  # read as expired: past its deadline
    ("proposal.support", "proposal under review"): set(),
    ("proposal.support", "withdrawn proposal"): set(),
    ("proposal.follow", "open proposal"): SIGNED_IN,
    ("proposal.follow", "answered proposal"): SIGNED_IN,
    ("proposal.follow", "merged proposal"): set(),
    ("proposal.answer", "open proposal"): {"official", "admin"},
    ("proposal.answer", "proposal under review"): {"official", "admin"},
    ("proposal.answer", "expired proposal"): {"official", "admin"},
    ("proposal.answer", "answered proposal"): {"official", "admin"},  # an answer may be revised
    ("proposal.answer", "withdrawn proposal"): set(),
    ("proposal.answer", "merged proposal"): set(),
    ("proposal.merge", "open proposal"): {"official", "admin"},
    ("proposal.merge", "answered proposal"): {"official", "admin"},
    ("proposal.merge", "withdrawn proposal"): set(),
    ("proposal.merge", "merged proposal"): set(),
    ("accountability.view", "planned record"): EVERYONE,
    ("accountability.view", "cancelled record"): EVERYONE,
    ("accountability.create", None): {"official", "admin"},
    ("accountability.edit", "planned record"): {"official", "admin"},
    ("accountability.edit", "cancelled record"): {"official", "admin"},  # may be taken up again
    ("accountability.edit", "done record"): set(),  # done is final
    ("accountability.add_milestone", "planned record"): {"official", "admin"},
    ("accountability.add_milestone", "done record"): {"official", "admin"},  # an opening may follow
    ("accountability.add_milestone", "cancelled record"): set(),
    ("accountability.follow", "planned record"): SIGNED_IN,
}

OBJECTS = {
    None: lambda: None,
    "other person": lambda: person("citizen", user_id=99),
    "discussion": lambda: discussion(),
    "hidden discussion": lambda: discussion(hidden=True),
    "locked discussion": lambda: discussion(locked=True),
    "open category": lambda: category(True),
    "staff-only category": lambda: category(False),
    "comment": others_comment,
    "hidden comment": hidden_comment,
    "published consultation": lambda: consultation(published=True),
    "draft consultation": lambda: consultation(published=False),
    "closed consultation": lambda: consultation(published=True, closed=True),
    "consultation with its outcome": lambda: consultation(published=True, closed=True, outcome=True),
    "consultation with statements": lambda: consultation(published=True, statements=True),
    "closed consultation with statements": lambda: consultation(published=True, closed=True, statements=True),
    "open petition": lambda: petition("open"),
    "closed petition": lambda: petition("closed"),  # read as closed: open, and past its closing time
    "draft petition": lambda: petition("draft"),
    "pending petition": lambda: petition("pending"),
    "flagged petition": lambda: petition("flagged"),
    "rejected petition": lambda: petition("rejected"),
    "hidden petition": lambda: petition("hidden"),
    "budget in review": lambda: budget(days_to_voting=3),
    "voting budget": lambda: budget(days_to_voting=-1),
    "budget with results": lambda: budget(days_to_voting=-30),
    "open proposal": lambda: proposal("open"),
    "expired proposal": lambda: proposal("expired"),
    "proposal under review": lambda: proposal("review"),
    "answered proposal": lambda: proposal("accepted"),
    "withdrawn proposal": lambda: proposal("withdrawn"),
    "merged proposal": lambda: proposal("duplicate"),
    "hidden proposal": lambda: proposal("open", hidden=True),
    "statement": lambda: statement(),
    "hidden statement": lambda: statement(status="rejected"),
    "statement of a draft consultation": lambda: statement(published=False),
    "hidden profile": lambda: hidden_profile(),
    "budget project": lambda: budget_project(),
    "hidden budget project": lambda: budget_project(hidden=True),
    "planned record": lambda: implementation_record("planned"),
    "done record": lambda: implementation_record("done"),
    "cancelled record": lambda: implementation_record("cancelled"),
    "decision by another moderator": lambda: moderation_decision(moderator_id=99, subject_id=98),
    "automatic decision": lambda: moderation_decision(moderator_id=None, subject_id=98),
    "own decision": lambda: moderation_decision(moderator_id=1, subject_id=98),
    "decision about me": lambda: moderation_decision(moderator_id=99, subject_id=1),
    "decision about someone else": lambda: moderation_decision(moderator_id=99, subject_id=98),
}


def moderation_decision(*, moderator_id, subject_id):
    from civic.moderation.models import ModerationDecision

    return ModerationDecision(
        action="hide", content_kind="comment", content_id=5, moderator_id=moderator_id, subject_id=subject_id
    )


def implementation_record(status):
    from civic.accountability.models import ImplementationRecord

    return ImplementationRecord(id=9, proposal_id=5, title="R", status=status)


def consultation(published, *, closed=False, outcome=False, statements=False):
    """Open once published (no dates), unless closed an hour ago."""
    from datetime import timedelta

    from civic.common.models import utcnow
    from civic.consultations.models import Consultation

    return Consultation(
        id=4,
        title="C",
        published_at=utcnow() if published else None,
        closes_at=utcnow() - timedelta(hours=1) if closed else None,
        outcome_published_at=utcnow() if outcome else None,
        statements_enabled=statements,
    )


def petition(state):
    from datetime import timedelta

    from civic.common.models import utcnow
    from civic.petitions.models import Petition

    if state == "closed":
        return Petition(id=6, title="P", state="open", creator_id=99, closes_at=utcnow() - timedelta(minutes=1))
    return Petition(id=6, title="P", state=state, creator_id=99)


def budget(days_to_voting):
    """Voting opens `days_to_voting` days from now and lasts two weeks; review the week before."""
    from datetime import timedelta

    from civic.budgets.models import Budget
    from civic.common.models import utcnow

    opens = utcnow() + timedelta(days=days_to_voting)
    return Budget(
        id=7,
        title="B",
        amount=100,
        review_starts_at=opens - timedelta(days=7),
        voting_starts_at=opens,
        voting_ends_at=opens + timedelta(days=14),
    )


def statement(*, status="approved", published=True):
    from civic.consultations.models import Statement

    item = Statement(id=6, consultation_id=4, text="S", author_id=99, status=status)
    item.consultation = consultation(published=published, statements=True)
    return item


def budget_project(hidden=False):
    from civic.budgets.models import Project
    from civic.common.models import utcnow

    project = Project(id=5, budget_id=7, title="Pr", cost=10, hidden_at=utcnow() if hidden else None)
    project.budget = budget(days_to_voting=3)
    return project


def hidden_profile():
    from civic.common.models import utcnow

    other = person("citizen", user_id=99)
    other.profile_hidden_at, other.profile_hidden_reason = utcnow(), "Insults"
    return other


def proposal(state, *, support_count=0, hidden=False):
    """By someone else (author 99), needing 300 supports; "expired" is read so: open, past its deadline."""
    from datetime import timedelta

    from civic.common.models import utcnow
    from civic.proposals.models import Proposal

    deadline = utcnow() + (timedelta(minutes=-1) if state == "expired" else timedelta(days=30))
    return Proposal(
        id=7,
        title="P",
        state="open" if state == "expired" else state,
        author_id=99,
        deadline=deadline,
        supports_needed=300,
        support_count=support_count,
        imported_support_count=0,
        hidden_at=utcnow() if hidden else None,
    )


def test_matrix_covers_every_rule():
    assert {action for action, _obj in MATRIX} == set(RULES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action,obj", MATRIX)
def test_role_action_matrix(app, role, action, obj):
    assert can(ROLES[role](), action, OBJECTS[obj]()) is (role in MATRIX[(action, obj)])


def test_authors_edit_and_delete_their_own_live_comments_but_never_vote_on_them(app):
    from civic.common.models import utcnow

    me = person("citizen", user_id=5)
    mine = others_comment()
    mine.author_id = 5
    assert can(me, "comment.edit", mine) and can(me, "comment.delete", mine)
    assert not can(me, "comment.vote", mine)
    mine.deleted_at = utcnow()
    assert not can(me, "comment.edit", mine)


def test_the_report_ability_does_not_depend_on_who_wrote_the_comment(app):
    """Comment cards are shared by readers of the same roles: the author is refused by the service."""
    me = person("citizen", user_id=5)
    mine, theirs = others_comment(), others_comment()
    mine.author_id = 5
    assert can(me, "comment.report", mine) is can(me, "comment.report", theirs) is True


def test_a_person_without_the_citizen_role_cannot_take_part(app):
    nobody = person(user_id=5)
    assert not can(nobody, "comment.create", discussion())
    assert not can(nobody, "discussion.start", category(True))
    assert can(nobody, "discussion.view", discussion())


@pytest.mark.parametrize("action", ["account.edit", "account.manage_two_factor"])
def test_people_may_edit_only_their_own_account(app, action):
    me = person("citizen", user_id=5)
    assert can(me, action, me)
    assert not can(me, action, person("citizen", user_id=6))
    assert not can(person("citizen", "admin", user_id=7), action, me)
    assert not can(AnonymousUser(), action, me)


def test_the_creator_sees_their_own_petition_before_it_is_published(app):
    for state in ("draft", "pending", "flagged", "hidden"):
        mine = petition(state)
        assert can(person("citizen", user_id=99), "petition.view", mine)
        assert not can(person("citizen", user_id=5), "petition.view", mine)
        assert not can(person("citizen", "official", user_id=5), "petition.view", mine)
    assert can(AnonymousUser(), "petition.view", petition("rejected"))
    assert can(person("citizen", user_id=99), "petition.edit_draft", petition("draft"))
    assert not can(person("citizen", "admin", user_id=5), "petition.edit_draft", petition("draft"))


def test_the_creator_edits_the_text_only_while_collecting_sponsors(app):
    from civic.permissions import allowed_but_for_state

    creator, stranger = person("citizen", user_id=99), person("citizen", "moderator", user_id=5)
    for state in ("pending", "flagged", "open", "rejected"):
        assert not can(creator, "petition.edit_draft", petition(state))
        # the services tell the creator why not (409); anyone else is simply not allowed (403)
        assert allowed_but_for_state(creator, "petition.edit_draft", petition(state))
        assert not allowed_but_for_state(stranger, "petition.edit_draft", petition(state))
    assert not allowed_but_for_state(creator, "petition.edit_draft", petition("draft"))


def test_unknown_action_is_denied_even_for_admins(app):
    assert not can(person("citizen", "admin"), "launch.rockets")


def test_staff_roles_need_two_factor_when_required(app):
    app.config["CIVIC_REQUIRE_STAFF_2FA"] = True
    admin = person("citizen", "admin")
    assert not can(admin, "users.manage_roles")
    with pytest.raises(TwoFactorEnrolmentRequired):
        ensure_can(admin, "users.manage_roles")
    assert can(person("citizen", "admin", two_factor=True), "users.manage_roles")
    # citizens are not affected
    assert can(person("citizen"), "site.view")


def test_ensure_can_says_why(app):
    with pytest.raises(AuthenticationRequired):
        ensure_can(AnonymousUser(), "users.list")
    with pytest.raises(NotAllowed) as info:
        ensure_can(person("citizen"), "users.list")
    assert not isinstance(info.value, TwoFactorEnrolmentRequired)


def test_the_author_edits_until_the_first_support_and_withdraws_while_open(app):
    from civic.permissions import allowed_but_for_state

    author, other = person("citizen", user_id=99), person("citizen", "admin", user_id=5)
    assert can(author, "proposal.edit", proposal("open"))
    assert not can(other, "proposal.edit", proposal("open"))
    assert not can(author, "proposal.edit", proposal("open", support_count=1))
    assert allowed_but_for_state(author, "proposal.edit", proposal("open", support_count=1))
    assert can(author, "proposal.withdraw", proposal("open"))
    assert not can(author, "proposal.withdraw", proposal("review"))
    assert not can(other, "proposal.withdraw", proposal("open"))


def test_supporting_needs_a_verified_address(app):
    unverified = person("citizen", user_id=5)
    unverified.email_verified_at = None
    assert not can(unverified, "proposal.support", proposal("open"))
    assert can(person("citizen", user_id=99), "proposal.support", proposal("open"))  # authors may support their own


def test_the_author_of_hidden_content_still_reads_it(app):
    me, stranger = person("citizen", user_id=99), person("citizen", user_id=5)
    hidden_topic = discussion(hidden=True)
    hidden_topic.author_id = 99
    for action, item in (("proposal.view", OBJECTS["hidden proposal"]()), ("discussion.view", hidden_topic)):
        assert can(me, action, item) and not can(stranger, action, item)


def test_every_writing_action_is_a_rule():
    assert WRITING_ACTIONS <= set(RULES)


@pytest.mark.parametrize("sanction", ["suspended", "banned"])
def test_a_suspended_or_banned_person_is_refused_every_writing_action_and_told_why(app, sanction):
    from datetime import timedelta

    from civic.common.models import utcnow

    allowed = {}
    for (action, obj), roles in MATRIX.items():
        if action in WRITING_ACTIONS and "citizen" in roles:
            allowed.setdefault(action, OBJECTS[obj])
    # each writing action is allowed to a citizen somewhere (but those on one's own things)...
    assert WRITING_ACTIONS - allowed.keys() <= {"petition.edit_draft", "comment.edit", "proposal.edit"}
    me = person("citizen", "moderator")
    if sanction == "suspended":
        me.suspended_until = utcnow() + timedelta(days=3)
    else:
        me.banned_at = utcnow()
    for action, make in allowed.items():  # ...and refused to a sanctioned person
        assert not can(me, action, make()), action
        assert not Abilities(me)(action, make()), action
        with pytest.raises(NotAllowed, match="suspended until|banned"):
            ensure_can(me, action, make())
    # Reading, appealing and staff work stay open.
    assert can(me, "site.view") and can(me, "decision.list_mine") and can(me, "moderation.decide")


def test_a_suspension_ends_on_its_date(app):
    from datetime import timedelta

    from civic.common.models import utcnow

    me = person("citizen")
    me.suspended_until = utcnow() - timedelta(minutes=1)
    assert can(me, "petition.create")
