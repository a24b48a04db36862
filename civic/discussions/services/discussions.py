"""Discussions: loading, listing, starting, attached ones (created and removed by other domains), locks and follows."""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.models import utcnow
from civic.common.pagination import paginate
from civic.common.validation import clean_text
from civic.discussions import live
from civic.discussions.models import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Comment,
    Discussion,
    DiscussionFollow,
)
from civic.discussions.services._shared import clean_reason, render_comment_body
from civic.errors import Conflict, NotFound
from civic.extensions import db
from civic.permissions import can, ensure_can


def get_discussion(discussion_id, viewer):
    # Its page shows the category and who started it: loaded with it (not the starter's roles).
    discussion = db.session.get(Discussion, discussion_id, options=_PAGE_LOADING)
    if discussion is None:
        raise NotFound(_("There is no such discussion."))
    ensure_can(viewer, "discussion.view", discussion)
    return discussion


_PAGE_LOADING = (joinedload(Discussion.category), joinedload(Discussion.author).lazyload(User.roles))


def load_discussion(discussion_id):
    """For the socket layer: the discussion or None, without permission checks."""
    return db.session.get(Discussion, discussion_id)


def _listed_discussions(category=None):
    query = select(Discussion).where(Discussion.hidden_at.is_(None), Discussion.context_type.is_(None))
    if category is not None:
        query = query.where(Discussion.category_id == category.id)
    return query.order_by(Discussion.last_activity_at.desc(), Discussion.id.desc())


def list_discussions(*, category=None, page=1, per_page=20):
    return paginate(_listed_discussions(category), page=page, per_page=per_page)


def busiest_discussions(limit=5, *, days=30):
    """The listed discussions active in the last `days` with the most comments (the home page)."""
    since = clock.now() - timedelta(days=days)
    query = (
        _listed_discussions()
        .order_by(None)
        .where(Discussion.last_activity_at >= since)
        .order_by(Discussion.comment_count.desc(), Discussion.last_activity_at.desc(), Discussion.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def comment_total():
    """Comments in listed discussions, from their kept counters (the home page's figures)."""
    listed = and_(Discussion.hidden_at.is_(None), Discussion.context_type.is_(None))
    return db.session.scalar(select(func.coalesce(func.sum(Discussion.comment_count), 0)).where(listed))


def start_discussion(actor, category, *, title, body):
    ensure_can(actor, "discussion.start", category)
    title = clean_text(
        title,
        field="title",
        max_length=TITLE_MAX_LENGTH,
        required=_("Give the discussion a title."),
        too_long=_("A title has at most %(n)d characters.", n=TITLE_MAX_LENGTH),
    )
    body = clean_text(
        body,
        field="body",
        max_length=BODY_MAX_LENGTH,
        required=_("Say what you would like to discuss."),
        too_long=_("Write at most %(n)d characters.", n=BODY_MAX_LENGTH),
    )
    discussion = Discussion(
        category_id=category.id,
        title=title,
        body_markdown=body,
        body_html=render_comment_body(body),
        author_id=actor.id,
    )
    db.session.add(discussion)
    db.session.flush()
    db.session.add(DiscussionFollow(discussion_id=discussion.id, user_id=actor.id))
    _commit()
    return discussion


def create_attached_discussion(context_type, context_id, title):
    """A discussion for another participatory object (a consultation, a paragraph, a petition...).
    The caller stores the discussion's id on its object; nothing is committed here."""
    discussion = Discussion(context_type=context_type, context_id=context_id, title=title[:TITLE_MAX_LENGTH])
    db.session.add(discussion)
    db.session.flush()
    return discussion


def lock_discussion(actor, discussion, reason):
    ensure_can(actor, "discussion.lock", discussion)
    reason = clean_reason(reason)
    if discussion.is_locked:
        raise Conflict(_("This discussion is locked already."))
    discussion.locked_at, discussion.lock_reason = utcnow(), reason
    record_staff_action(actor, "discussion.lock", "discussion", discussion.id, discussion.title, reason)
    _commit()
    live.discussion_locked(discussion)
    return discussion


def unlock_discussion(actor, discussion, reason):
    ensure_can(actor, "discussion.lock", discussion)
    reason = clean_reason(reason)
    if not discussion.is_locked:
        raise Conflict(_("This discussion is not locked."))
    discussion.locked_at, discussion.lock_reason = None, ""
    record_staff_action(actor, "discussion.unlock", "discussion", discussion.id, discussion.title, reason)
    _commit()
    live.discussion_locked(discussion)
    return discussion


def discussion_for_page(discussion_id, viewer):
    """(the discussion, whether its page shows `viewer` only the notice that moderation hid it, with
    the reason): loaded once, as get_discussion loads it. NotFound, or NotAllowed, as get_discussion."""
    discussion = db.session.get(Discussion, discussion_id, options=_PAGE_LOADING)
    if discussion is None:
        raise NotFound(_("There is no such discussion."))
    if discussion.is_hidden and not can(viewer, "discussion.view", discussion):
        return discussion, True
    ensure_can(viewer, "discussion.view", discussion)
    return discussion, False


def hide_discussion_in_transaction(actor, discussion, reason):
    """Hide a topic in the caller's transaction (the caller checked the permission and commits, then
    calls announce_discussion_hidden): out of the lists and counts, only its starter and moderators
    read it, everyone else the reason. Audited as `discussion.hide` by `actor` (None: readers' reports
    hid it pending review). False if it was hidden already."""
    if discussion.is_hidden:
        return False
    discussion.hidden_at, discussion.hidden_reason = utcnow(), reason
    record_staff_action(actor, "discussion.hide", "discussion", discussion.id, discussion.title, reason)
    return True


def show_discussion_again(discussion):
    """Undo a hiding after review (the caller commits and audits the decision). False if not hidden."""
    if not discussion.is_hidden:
        return False
    discussion.hidden_at, discussion.hidden_reason = None, ""
    return True


def announce_discussion_hidden(discussion):
    """After the commit: open pages of the discussion learn that it was hidden or shown again."""
    live.discussion_hidden(discussion)


def reader_state(user, discussion):
    """(does `user` follow the discussion, how many of their comments in it did pre-moderation hold),
    in one query: every signed-in reader's page asks both."""
    if not getattr(user, "is_authenticated", False):
        return False, 0
    follows = select(DiscussionFollow.id).where(
        DiscussionFollow.discussion_id == discussion.id, DiscussionFollow.user_id == user.id
    )
    held = select(func.count(Comment.id)).where(
        Comment.discussion_id == discussion.id,
        Comment.author_id == user.id,
        Comment.held_at.isnot(None),
        Comment.deleted_at.is_(None),
    )
    following, held_count = db.session.execute(
        select(follows.exists().label("following"), held.scalar_subquery().label("held"))
    ).one()
    return bool(following), held_count


def is_following(user, discussion):
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(DiscussionFollow.id).where(
                DiscussionFollow.discussion_id == discussion.id, DiscussionFollow.user_id == user.id
            )
        )
        is not None
    )


def follow_discussion(user, discussion):
    ensure_can(user, "discussion.follow", discussion)
    if is_following(user, discussion):
        return
    db.session.add(DiscussionFollow(discussion_id=discussion.id, user_id=user.id))
    try:
        _commit()
    except IntegrityError:
        pass  # followed in a concurrent request


def unfollow_discussion(user, discussion):
    ensure_can(user, "discussion.follow", discussion)
    db.session.execute(
        DiscussionFollow.__table__.delete().where(
            DiscussionFollow.discussion_id == discussion.id, DiscussionFollow.user_id == user.id
        )
    )
    _commit()


def delete_attached_discussion(discussion_id):
    """Remove an attached discussion that nobody commented on (its object went away), with its
    follows. The caller commits. A discussion with comments is kept: they stay on record."""
    if discussion_id is None:
        return False
    if db.session.scalar(select(Comment.id).where(Comment.discussion_id == discussion_id).limit(1)) is not None:
        return False
    db.session.execute(DiscussionFollow.__table__.delete().where(DiscussionFollow.discussion_id == discussion_id))
    discussion = db.session.get(Discussion, discussion_id)
    if discussion is not None:
        db.session.delete(discussion)
    return True
