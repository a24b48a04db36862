"""Votes on comments: casting, changing and removing one, and a reader's votes on a page."""

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from civic.common.db import commit as _commit
from civic.discussions import live
from civic.discussions.models import (
    Comment,
    CommentVote,
)
from civic.discussions.scoring import controversy, wilson_lower_bound
from civic.errors import Conflict, InvalidInput, ParticipationClosed
from civic.extensions import db
from civic.permissions import ensure_can


def vote_on_comment(actor, comment, value):
    """+1 or -1 sets the person's vote (changing it if they had one); 0 removes it."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in (-1, 0, 1):
        raise InvalidInput(_("A vote is up or down."), field="value")
    ensure_can(actor, "comment.vote", comment)
    if comment.is_removed:
        raise ParticipationClosed(_("You cannot vote on a comment that was deleted or hidden."))
    existing = db.session.scalar(
        select(CommentVote).where(CommentVote.comment_id == comment.id, CommentVote.user_id == actor.id)
    )
    old = existing.value if existing else 0
    if old == value:
        return comment
    if existing is not None and value == 0:
        db.session.delete(existing)
    elif existing is not None:
        existing.value = value
    else:
        db.session.add(CommentVote(comment_id=comment.id, user_id=actor.id, value=value))
    up_delta = (value == 1) - (old == 1)
    down_delta = (value == -1) - (old == -1)
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(upvotes=Comment.upvotes + up_delta, downvotes=Comment.downvotes + down_delta)
    )
    db.session.flush()
    db.session.refresh(comment)
    comment.best_score = wilson_lower_bound(comment.upvotes, comment.downvotes)
    comment.controversy = controversy(comment.upvotes, comment.downvotes)
    try:
        _commit()
    except IntegrityError as exc:
        raise Conflict(_("Your vote was counted already. Reload the page.")) from exc
    live.votes_changed(comment)
    return comment


def votes_of(user, comment_ids):
    if not getattr(user, "is_authenticated", False) or not comment_ids:
        return {}
    rows = db.session.execute(
        select(CommentVote.comment_id, CommentVote.value).where(
            CommentVote.user_id == user.id, CommentVote.comment_id.in_(comment_ids)
        )
    )
    return dict(rows.all())


def votes_with_counts_of(user, comment_ids):
    """{comment id: (the user's vote, upvotes, downvotes now)} for the comments they voted on."""
    if not getattr(user, "is_authenticated", False) or not comment_ids:
        return {}
    rows = db.session.execute(
        select(CommentVote.comment_id, CommentVote.value, Comment.upvotes, Comment.downvotes)
        .join(Comment, Comment.id == CommentVote.comment_id)
        .where(CommentVote.user_id == user.id, CommentVote.comment_id.in_(comment_ids))
    )
    return {cid: (value, up, down) for cid, value, up, down in rows}
