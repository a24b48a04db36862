"""What moderation acts on: each kind of content says here how to load it, who wrote it, where it is,
and how to hide it and show it again. Reports, the queue, decisions and appeals, and "hide all
content of this user" go through this table only, never through a kind's own functions."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.accounts.services import profile as profile_services
from civic.budgets.models import Project
from civic.budgets.services import projects as project_services
from civic.consultations.models import Consultation, Statement, StatementStatus
from civic.consultations.services import statements as statement_services
from civic.discussions.models import Comment, Discussion
from civic.discussions.services import comments as comment_services
from civic.discussions.services import discussions as discussion_services
from civic.extensions import db
from civic.permissions import can
from civic.petitions.models import PUBLISHED, Petition, PetitionState
from civic.petitions.services import moderation as petition_moderation
from civic.proposals.models import Proposal
from civic.proposals.services import hiding as proposal_hiding

EXCERPT_LENGTH = 280


@dataclass(frozen=True)
class ModeratedKind:
    """One kind of moderatable content. Every function but `announce` works in the caller's
    transaction and never commits; `announce` runs after the commit and pushes the change live."""

    name: str  # stored in Report.content_kind and decisions; also the URL segment
    label: Any  # what the kind is called on pages ("Comment")
    load: Callable[[int], Any]  # the item by id, or None (no permission check)
    author_id: Callable[[Any], int | None]  # who wrote it (None: deleted account)
    url: Callable[[Any], str]  # where it is, for a moderator
    excerpt: Callable[[Any], str]  # its text, plain, for the queue and my reports
    is_removed: Callable[[Any], bool]  # hidden, deleted or past reporting (a rejected petition): nothing to report
    is_hidden: Callable[[Any], bool]
    hide: Callable[[Any, Any, str], bool]  # (item, actor or None, reason) -> whether it changed
    show_again: Callable[[Any], bool]  # undo a hiding -> whether it changed
    announce: Callable[[Any], None]  # after commit: every open page shows the change
    visible_ids_by_author: Callable[[int], list[int]]  # what "hide all content of this user" hides
    # Who may read it (the report page shows it only to them); the item's own view rule.
    may_view: Callable[[Any, Any], bool] = lambda user, item: True
    # Said to a reader who tries to report what they wrote themselves.
    own_item_refusal: Any = _l("You cannot report what you wrote yourself.")
    # For the moderation queue (civic.moderation.services.queue); a kind without them still works,
    # with a query per item and no area or author history.
    load_many: Callable[[list[int]], dict[int, Any]] | None = None  # {id: item}, in one query
    authored: Callable[[], Any] | None = None  # SQL select of (id, author_id, hidden) of every item of the kind
    area: Callable[[], Any] | None = None  # SQL select of (id, area) of the items that belong to an area
    context: Callable[[list[Any]], dict[int, dict]] | None = None  # {id: what is shown around it}, few queries
    context_template: str | None = None  # the partial that shows that context in the queue
    text: Callable[[Any], str] | None = None  # its editable text, for "edit out personal data"
    redact: Callable[[Any, Any, str], bool] | None = None  # (item, actor, new text), original kept -> changed
    # After a batch's commit, many items at once (one live event instead of one per item); else announce each.
    announce_many: Callable[[list[Any]], None] | None = None


KINDS: dict[str, ModeratedKind] = {}


def register_kind(kind):
    KINDS[kind.name] = kind
    return kind


def kind_named(name):
    """The kind called `name`, or None."""
    return KINDS.get(name)


def _plain_excerpt(text):
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _comment_url(comment):
    return url_for(
        "discussions.permalink",
        discussion_id=comment.discussion_id,
        comment_id=comment.id,
        _anchor=f"comment-{comment.id}",
    )


def _comment_announce(comment):
    if comment.is_hidden:
        comment_services.announce_hidden(comment)
    else:
        comment_services.announce_shown_again(comment)


def _visible_comment_ids(author_id):
    return list(
        db.session.scalars(
            select(Comment.id).where(
                Comment.author_id == author_id, Comment.hidden_at.is_(None), Comment.deleted_at.is_(None)
            )
        )
    )


def load_items(kind, ids):
    """{id: item} of this kind; items that are gone are missing."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    if kind.load_many is not None:
        return kind.load_many(ids)
    items = ((item_id, kind.load(item_id)) for item_id in ids)
    return {item_id: item for item_id, item in items if item is not None}


def _load_comments(ids):
    comments = db.session.scalars(
        select(Comment).options(joinedload(Comment.discussion)).where(Comment.id.in_(ids))
    ).unique()
    return {comment.id: comment for comment in comments}


def _comment_context(comments):
    """A comment's discussion and the comment it replies to."""
    parent_ids = {comment.parent_id for comment in comments if comment.parent_id}
    parents = _load_comments(sorted(parent_ids)) if parent_ids else {}
    return {
        comment.id: {"discussion": comment.discussion, "parent": parents.get(comment.parent_id)} for comment in comments
    }


def _authored_comments():
    return select(
        Comment.id.label("id"), Comment.author_id.label("author_id"), Comment.hidden_at.isnot(None).label("hidden")
    )


def _comment_areas():
    """A comment in a consultation's discussion belongs to the consultation's area."""
    return (
        select(Comment.id.label("id"), Consultation.area.label("area"))
        .join(Consultation, Consultation.discussion_id == Comment.discussion_id)
        .where(Consultation.area != "")
    )


COMMENT = register_kind(
    ModeratedKind(
        name="comment",
        label=_l("Comment"),
        load=lambda comment_id: db.session.get(Comment, comment_id),
        author_id=lambda comment: comment.author_id,
        url=_comment_url,
        excerpt=lambda comment: _plain_excerpt(comment.body_markdown),
        is_removed=lambda comment: comment.is_removed,
        is_hidden=lambda comment: comment.is_hidden,
        hide=lambda comment, actor, reason: comment_services.hide_in_transaction(actor, comment, reason),
        show_again=comment_services.show_again_after_review,
        announce=_comment_announce,
        announce_many=comment_services.announce_changed_together,
        visible_ids_by_author=_visible_comment_ids,
        may_view=lambda user, comment: can(user, "discussion.view", comment.discussion),
        own_item_refusal=_l("You cannot report your own comment. You can edit or delete it instead."),
        load_many=_load_comments,
        authored=_authored_comments,
        area=_comment_areas,
        context=_comment_context,
        context_template="moderation/_comment_context.html",
        text=lambda comment: comment.body_markdown,
        redact=lambda comment, actor, text: comment_services.redact_in_transaction(actor, comment, text),
    )
)


def _load_topic(discussion_id):
    """A topic a citizen or staff member started; attached discussions are their object's (a petition's)."""
    discussion = db.session.get(Discussion, discussion_id)
    return discussion if discussion is not None and discussion.is_topic else None


DISCUSSION = register_kind(
    ModeratedKind(
        name="discussion",
        label=_l("Discussion"),
        load=_load_topic,
        author_id=lambda discussion: discussion.author_id,
        url=lambda discussion: url_for("discussions.show", discussion_id=discussion.id),
        excerpt=lambda discussion: _plain_excerpt(f"{discussion.title}: {discussion.body_markdown}"),
        is_removed=lambda discussion: discussion.is_hidden,
        is_hidden=lambda discussion: discussion.is_hidden,
        hide=lambda discussion, actor, reason: discussion_services.hide_discussion_in_transaction(
            actor, discussion, reason
        ),
        show_again=discussion_services.show_discussion_again,
        announce=discussion_services.announce_discussion_hidden,
        visible_ids_by_author=lambda author_id: list(
            db.session.scalars(
                select(Discussion.id).where(
                    Discussion.author_id == author_id,
                    Discussion.context_type.is_(None),
                    Discussion.hidden_at.is_(None),
                )
            )
        ),
        may_view=lambda user, discussion: can(user, "discussion.view", discussion),
        own_item_refusal=_l("You cannot report a discussion you started."),
    )
)


PROPOSAL = register_kind(
    ModeratedKind(
        name="proposal",
        label=_l("Proposal"),
        load=lambda proposal_id: db.session.get(Proposal, proposal_id),
        author_id=lambda proposal: proposal.author_id,
        url=lambda proposal: url_for("proposals.show", proposal_id=proposal.id),
        excerpt=lambda proposal: _plain_excerpt(f"{proposal.title}: {proposal.summary}"),
        is_removed=lambda proposal: proposal.is_hidden,
        is_hidden=lambda proposal: proposal.is_hidden,
        hide=lambda proposal, actor, reason: proposal_hiding.hide_proposal_in_transaction(actor, proposal, reason),
        show_again=proposal_hiding.show_proposal_again,
        announce=proposal_hiding.announce_proposal_hidden,
        visible_ids_by_author=lambda author_id: list(
            db.session.scalars(select(Proposal.id).where(Proposal.author_id == author_id, Proposal.hidden_at.is_(None)))
        ),
        may_view=lambda user, proposal: can(user, "proposal.view", proposal),
        own_item_refusal=_l("You cannot report your own proposal. You can edit or withdraw it instead."),
    )
)


PETITION = register_kind(
    ModeratedKind(
        name="petition",
        label=_l("Petition"),
        load=lambda petition_id: db.session.get(Petition, petition_id),
        author_id=lambda petition: petition.creator_id,
        url=lambda petition: url_for("petitions.show", petition_id=petition.id),
        excerpt=lambda petition: _plain_excerpt(f"{petition.title}: {petition.background}"),
        # Only a published petition can be reported: before that moderators read it anyway, and a
        # rejected one was decided by a moderator.
        is_removed=lambda petition: not petition.is_hideable_by_reports,
        is_hidden=lambda petition: petition.current_state is PetitionState.HIDDEN,
        hide=lambda petition, actor, reason: petition_moderation.hide_petition_in_transaction(actor, petition, reason),
        show_again=petition_moderation.show_petition_again,
        announce=petition_moderation.announce_petition_hidden,
        visible_ids_by_author=lambda author_id: list(
            db.session.scalars(
                select(Petition.id).where(
                    Petition.creator_id == author_id, Petition.state.in_([s.value for s in PUBLISHED])
                )
            )
        ),
        may_view=lambda user, petition: can(user, "petition.view", petition),
        own_item_refusal=_l("You cannot report a petition you started."),
    )
)


STATEMENT = register_kind(
    ModeratedKind(
        name="statement",
        label=_l("Consultation statement"),
        load=lambda statement_id: db.session.get(Statement, statement_id),
        author_id=lambda statement: statement.author_id,
        url=lambda statement: url_for(
            "consultations.statements", consultation_id=statement.consultation_id, _anchor=f"statement-{statement.id}"
        ),
        excerpt=lambda statement: _plain_excerpt(statement.text),
        # Only a shown statement can be reported; one waiting for a moderator or rejected is theirs.
        is_removed=lambda statement: not statement.is_hideable_by_reports,
        is_hidden=lambda statement: statement.status == StatementStatus.REJECTED.value,
        hide=lambda statement, actor, reason: statement_services.hide_statement_in_transaction(
            actor, statement, reason
        ),
        show_again=statement_services.show_statement_again,
        announce=statement_services.announce_statement_hidden,
        visible_ids_by_author=lambda author_id: list(
            db.session.scalars(
                select(Statement.id).where(
                    Statement.author_id == author_id, Statement.status == StatementStatus.APPROVED.value
                )
            )
        ),
        may_view=lambda user, statement: can(user, "consultation.view", statement.consultation),
        own_item_refusal=_l("You cannot report your own statement."),
    )
)


def _load_profile(user_id):
    person = db.session.get(User, user_id)
    return person if person is not None and person.is_active else None


PROFILE = register_kind(
    ModeratedKind(
        name="profile",
        label=_l("User profile"),
        load=_load_profile,
        author_id=lambda person: person.id,
        url=lambda person: url_for("accounts.public_profile", user_id=person.id),
        excerpt=lambda person: _plain_excerpt(f"{person.display_name} (@{person.handle}): {person.bio}"),
        is_removed=lambda person: person.profile_is_hidden,
        is_hidden=lambda person: person.profile_is_hidden,
        hide=lambda person, actor, reason: profile_services.hide_profile_in_transaction(actor, person, reason),
        show_again=profile_services.show_profile_again,
        announce=profile_services.announce_profile_hidden,
        visible_ids_by_author=lambda author_id: [] if _shown_profile(author_id) is None else [author_id],
        own_item_refusal=_l("You cannot report your own profile. You can change it under your account."),
    )
)


def _shown_profile(user_id):
    person = _load_profile(user_id)
    return person if person is not None and not person.profile_is_hidden else None


def _project_url(project):
    return url_for("budgets.show", budget_id=project.budget_id, _anchor=f"project-{project.id}")


BUDGET_PROJECT = register_kind(
    ModeratedKind(
        name="budget_project",
        label=_l("Budget project"),
        load=lambda project_id: db.session.get(Project, project_id),
        # Officials enter projects: no reader is their author (one taken from a proposal is the council's
        # text now).
        author_id=lambda project: None,
        url=_project_url,
        excerpt=lambda project: _plain_excerpt(f"{project.title}: {project.description_markdown}"),
        is_removed=lambda project: project.is_hidden,
        is_hidden=lambda project: project.is_hidden,
        hide=lambda project, actor, reason: project_services.hide_project_in_transaction(actor, project, reason),
        show_again=project_services.show_project_again,
        announce=project_services.announce_project_hidden,
        visible_ids_by_author=lambda author_id: [],
        may_view=lambda user, project: can(user, "budget.view", project.budget),
    )
)
