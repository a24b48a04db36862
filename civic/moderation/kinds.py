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

from civic.consultations.models import Consultation
from civic.discussions.models import Comment
from civic.discussions.services import comments as comment_services
from civic.extensions import db

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
    is_removed: Callable[[Any], bool]  # hidden or deleted: nothing to report
    is_hidden: Callable[[Any], bool]
    hide: Callable[[Any, Any, str], bool]  # (item, actor or None, reason) -> whether it changed
    show_again: Callable[[Any], bool]  # undo a hiding -> whether it changed
    announce: Callable[[Any], None]  # after commit: every open page shows the change
    visible_ids_by_author: Callable[[int], list[int]]  # what "hide all content of this user" hides
    # For the moderation queue (civic.moderation.services.queue); a kind without them still works,
    # with a query per item and no area or author history.
    load_many: Callable[[list[int]], dict[int, Any]] | None = None  # {id: item}, in one query
    authored: Callable[[], Any] | None = None  # SQL select of (id, author_id, hidden) of every item of the kind
    area: Callable[[], Any] | None = None  # SQL select of (id, area) of the items that belong to an area
    context: Callable[[list[Any]], dict[int, dict]] | None = None  # {id: what is shown around it}, few queries
    context_template: str | None = None  # the partial that shows that context in the queue
    text: Callable[[Any], str] | None = None  # its editable text, for "edit out personal data"
    redact: Callable[[Any, Any, str], bool] | None = None  # (item, actor, new text), original kept -> changed


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
        visible_ids_by_author=_visible_comment_ids,
        load_many=_load_comments,
        authored=_authored_comments,
        area=_comment_areas,
        context=_comment_context,
        context_template="moderation/_comment_context.html",
        text=lambda comment: comment.body_markdown,
        redact=lambda comment, actor, text: comment_services.redact_in_transaction(actor, comment, text),
    )
)
