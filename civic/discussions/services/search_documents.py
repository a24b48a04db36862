"""How discussions and comments appear in search: what the public may read of them (the same rule
as the discussion page, `discussion.view` for someone not signed in; a comment neither hidden nor
deleted), and the discussion's comments following it when it changes."""

from flask import current_app
from sqlalchemy import select

from civic.accounts.models import AnonymousUser
from civic.common.urls import path_for
from civic.discussions.models import Comment, Discussion
from civic.extensions import db
from civic.permissions import can
from civic.search.backend import SearchDocument, guess_language
from civic.search.indexing import register_search_kind

DISCUSSION_WATCHED = ("title", "body_markdown", "hidden_at", "locked_at", "category_id", "context_type", "context_id")
COMMENT_WATCHED = ("body_markdown", "hidden_at", "deleted_at", "discussion_id")


def discussion_is_public(discussion):
    return can(AnonymousUser(), "discussion.view", discussion)


def discussion_document(discussion):
    """A topic of the discussions pages. A discussion attached to a petition, a proposal or a
    consultation is that object's page: the object is found, and the discussion's comments."""
    text = f"{discussion.title}\n{discussion.body_markdown}"
    return SearchDocument(
        type="discussion",
        id=discussion.id,
        language=guess_language(text, current_app.config["CIVIC_DEFAULT_LANGUAGE"]),
        title=discussion.title,
        body=discussion.body_markdown,
        url=path_for("discussions.show", discussion_id=discussion.id),
        status="locked" if discussion.is_locked else "open",
        topic=discussion.category.slug if discussion.category is not None else "",
        created_at=discussion.created_at,
        public=discussion.is_topic and discussion_is_public(discussion),
    )


def comment_document(comment):
    discussion = comment.discussion
    return SearchDocument(
        type="comment",
        id=comment.id,
        language=guess_language(comment.body_markdown, current_app.config["CIVIC_DEFAULT_LANGUAGE"]),
        heading=discussion.title,
        body=comment.body_markdown,
        url=path_for("discussions.permalink", discussion_id=discussion.id, comment_id=comment.id),
        created_at=comment.created_at,
        public=not comment.is_removed and discussion_is_public(discussion),
    )


def comments_of(discussion):
    ids = db.session.scalars(select(Comment.id).where(Comment.discussion_id == discussion.id))
    return [("comment", comment_id) for comment_id in ids]


def register_search_documents():
    register_search_kind(
        "discussion", Discussion, discussion_document, watched=DISCUSSION_WATCHED, dependents=comments_of
    )
    register_search_kind("comment", Comment, comment_document, watched=COMMENT_WATCHED)
