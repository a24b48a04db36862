"""Comments: posting (rate limit, automatic pre-moderation, notifications), editing, deleting, hiding,
pinning, history, stance counts; publishing or rejecting a held comment."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from civic import premoderation
from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.inputs import row_id
from civic.common.markdown import mentioned_handles
from civic.common.models import utcnow
from civic.common.ratelimit import seconds_until_allowed
from civic.common.validation import clean_text
from civic.discussions import live
from civic.discussions.models import (
    COMMENT_MAX_LENGTH,
    PATH_SEGMENT_WIDTH,
    Comment,
    CommentRevision,
    Discussion,
    DiscussionFollow,
    Stance,
)
from civic.discussions.services._shared import clean_reason, render_comment_body
from civic.discussions.services.discussions import is_following
from civic.errors import Conflict, InvalidInput, NotFound, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.notifications import services as notifications
from civic.permissions import ensure_can


def get_comment(discussion, comment_id):
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.discussion_id != discussion.id:
        raise NotFound(_("There is no such comment in this discussion."))
    return comment


def _parse_stance(stance):
    if stance in (None, ""):
        return None
    try:
        return Stance(stance).value
    except ValueError as exc:
        raise InvalidInput(_("Choose in favour, against or neutral."), field="stance") from exc


def _clean_comment(body):
    return clean_text(
        body,
        field="body",
        max_length=COMMENT_MAX_LENGTH,
        required=_("Write your comment first."),
        too_long=_(
            "A comment has at most %(n)d characters; yours has %(len)d.",
            n=COMMENT_MAX_LENGTH,
            len=len((body or "").strip()),
        ),
    )


_STANCE_COLUMNS = {
    Stance.IN_FAVOUR.value: Discussion.in_favour_count,
    Stance.AGAINST.value: Discussion.against_count,
    Stance.NEUTRAL.value: Discussion.neutral_count,
}


def _change_stance_count(discussion, stance, delta):
    if stance in _STANCE_COLUMNS:
        column = _STANCE_COLUMNS[stance]
        db.session.execute(update(Discussion).where(Discussion.id == discussion.id).values({column: column + delta}))


def stance_counts(discussion):
    return {
        "in_favour": discussion.in_favour_count,
        "against": discussion.against_count,
        "neutral": discussion.neutral_count,
    }


def post_comment(actor, discussion, *, body, stance=None, parent_id=None):
    """Add a comment (or a reply to parent_id). Refused in a locked discussion, under a
    removed comment, or with a parent from another discussion; nothing is written then."""
    _require_open(discussion)  # first, so that the person is told why (not just "not allowed")
    ensure_can(actor, "comment.create", discussion)
    body = _clean_comment(body)
    stance = _parse_stance(stance)
    parent = None
    if parent_id not in (None, ""):
        try:
            parent = db.session.get(Comment, row_id(parent_id))
        except (TypeError, ValueError):
            parent = None
        if parent is None or parent.discussion_id != discussion.id:
            raise InvalidInput(_("The comment you are replying to is not in this discussion."), field="parent_id")
        if parent.is_removed:
            raise ParticipationClosed(_("You cannot reply to a comment that was deleted or hidden."))
    _count_against_comment_limit(actor)
    verdict = premoderation.judge_text(actor, body, _recent_comment_texts)
    premoderation.refuse_blocked(verdict, "comment", "body")
    held = premoderation.is_held(verdict)
    comment = Comment(
        discussion_id=discussion.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=actor.id,
        body_markdown=body,
        body_html=render_comment_body(body),
        stance=stance,
    )
    if held:
        comment.held_at, comment.held_rule, comment.held_matched = utcnow(), verdict.rule, verdict.matched[:200]
    db.session.add(comment)
    db.session.flush()
    segment = str(comment.id).zfill(PATH_SEGMENT_WIDTH)
    comment.path = f"{parent.path}{segment}/" if parent else f"{segment}/"
    comment.root_id = parent.root_id if parent else comment.id
    recipients = set()
    if held:
        premoderation.record_decision(verdict, "comment", comment.id, _audit_label(comment, discussion))
    else:
        recipients = _publish(comment, discussion, parent, actor)
    if not is_following(actor, discussion):
        db.session.add(DiscussionFollow(discussion_id=discussion.id, user_id=actor.id))
    _commit()
    db.session.refresh(discussion)
    if not held:  # a held comment is pushed, and its notifications sent, when a moderator approves it
        live.comment_posted(discussion, comment)
        notifications.push_unread_counts(recipients)
    return comment


def _audit_label(comment, discussion):
    return f"#{comment.id} in {discussion.title}"[:200]


def _recent_comment_texts(since, limit, *, leaving_out=None):
    """The comments written since `since` (held ones too), for the burst rule of pre-moderation:
    read from the database, so that every process sees the same burst."""
    query = (
        select(Comment.body_markdown, Comment.author_id, Comment.created_at)
        .where(Comment.created_at >= since, Comment.deleted_at.is_(None))
        .order_by(Comment.created_at.desc())
        .limit(limit)
    )
    if leaving_out is not None:
        query = query.where(Comment.id != leaving_out)
    return [premoderation.RecentText(*row) for row in db.session.execute(query)]


def _count_published(comment, discussion, delta):
    """A comment enters (+1) or leaves (-1) every count: its ancestors' replies, the discussion's
    comments, top-level comments and stances."""
    if comment.parent_id is not None:
        ancestor_ids = [int(part) for part in comment.path.strip("/").split("/")[:-1]]
        db.session.execute(
            update(Comment).where(Comment.id.in_(ancestor_ids)).values(reply_count=Comment.reply_count + delta)
        )
    values = {Discussion.comment_count: Discussion.comment_count + delta}
    if delta > 0:
        values[Discussion.last_activity_at] = utcnow()
    if comment.parent_id is None:
        values[Discussion.top_level_count] = Discussion.top_level_count + delta
    db.session.execute(update(Discussion).where(Discussion.id == discussion.id).values(values))
    _change_stance_count(discussion, comment.stance, delta)


def _publish(comment, discussion, parent, author):
    """A comment becomes public: in the counts, and the people it concerns told (returned)."""
    _count_published(comment, discussion, +1)
    if author is None:  # its author deleted their account while it waited for review
        return set()
    return _notify_about(comment, discussion, parent, author)


def _count_against_comment_limit(actor):
    """A burst of comments, then a wait (CIVIC_LIMIT_COMMENT per person); the refusal says how long."""
    wait = seconds_until_allowed("comment", actor.id, current_app.config["CIVIC_LIMIT_COMMENT"])
    if not wait:
        return
    if wait < 120:
        message = ngettext(
            "You are posting quickly. You can post again in %(num)d second.",
            "You are posting quickly. You can post again in %(num)d seconds.",
            wait,
        )
    else:
        message = ngettext(
            "You are posting quickly. You can post again in %(num)d minute.",
            "You are posting quickly. You can post again in %(num)d minutes.",
            -(-wait // 60),
        )
    raise RateLimited(message, retry_after=wait)


def _notify_about(comment, discussion, parent, actor):
    """Mentions, a reply to someone's comment, and followers; each person told once, best reason first."""
    told = {actor.id}
    handles = mentioned_handles(comment.body_markdown)
    if handles:
        for user in db.session.scalars(select(User).where(User.handle.in_(handles))):
            if user.id not in told:
                notifications.add(user.id, "mention", actor, discussion, comment)
                told.add(user.id)
    if parent is not None and parent.author_id and parent.author_id not in told:
        notifications.add(parent.author_id, "reply", actor, discussion, comment)
        told.add(parent.author_id)
    followers = db.session.scalars(
        select(DiscussionFollow.user_id).where(DiscussionFollow.discussion_id == discussion.id)
    )
    for user_id in followers:
        if user_id not in told:
            notifications.add(user_id, "followed_comment", actor, discussion, comment)
            told.add(user_id)
    return told - {actor.id}


def edit_comment(actor, comment, *, body, stance=None):
    ensure_can(actor, "comment.edit", comment)
    _require_open(comment.discussion)
    body = _clean_comment(body)
    stance = _parse_stance(stance)
    if body == comment.body_markdown and stance == comment.stance:
        return comment
    verdict = premoderation.ALLOWED
    if body != comment.body_markdown:
        verdict = premoderation.judge_text(
            actor, body, lambda since, limit: _recent_comment_texts(since, limit, leaving_out=comment.id)
        )
        premoderation.refuse_blocked(verdict, "comment", "body")
    held = premoderation.is_held(verdict)
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body_markdown=comment.body_markdown,
            created_at=comment.edited_at or comment.created_at,
        )
    )
    if stance != comment.stance:
        _change_stance_count(comment.discussion, comment.stance, -1)
        _change_stance_count(comment.discussion, stance, +1)
    comment.body_markdown, comment.body_html, comment.stance = body, render_comment_body(body), stance
    comment.edited_at = utcnow()
    if held:  # out of the page and the counts until a moderator has read the new text
        _count_published(comment, comment.discussion, -1)
        comment.held_at, comment.held_rule, comment.held_matched = utcnow(), verdict.rule, verdict.matched[:200]
        premoderation.record_decision(verdict, "comment", comment.id, _audit_label(comment, comment.discussion))
    _commit()
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_hidden" if held else "comment_edited")
    return comment


def _remove_from_counts(comment, delta=-1):
    _change_stance_count(comment.discussion, comment.stance, delta)
    db.session.execute(
        update(Discussion)
        .where(Discussion.id == comment.discussion_id)
        .values(comment_count=Discussion.comment_count + delta)
    )


def delete_comment(actor, comment):
    """The author removes their comment: its text becomes "[deleted]" and replies stay in place.
    The text is kept as a revision that only moderators can read."""
    ensure_can(actor, "comment.delete", comment)
    if comment.is_deleted:
        return comment
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body_markdown=comment.body_markdown,
            created_at=comment.edited_at or comment.created_at,
        )
    )
    if not comment.is_hidden:
        _remove_from_counts(comment)
    comment.deleted_at = utcnow()
    comment.body_markdown, comment.body_html = "", ""
    _commit()
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_deleted")
    return comment


def hide_in_transaction(actor, comment, reason):
    """Hide a comment in the caller's transaction (through civic.moderation's kind table only: a
    moderator's decision or readers' reports; the caller checked the permission and commits, then
    calls announce_hidden): out of the counts, the reason shown in its place, audited as
    `comment.hide` by `actor` (None: readers' reports hid it pending review). False if it was hidden
    already."""
    if comment.is_hidden:
        return False
    if not comment.is_deleted and not comment.is_held:
        _remove_from_counts(comment)
    comment.hidden_at, comment.hidden_reason = utcnow(), reason
    record_staff_action(
        actor, "comment.hide", "comment", comment.id, f"#{comment.id} in {comment.discussion.title}"[:200], reason
    )
    return True


def redact_in_transaction(actor, comment, body):
    """A moderator edits personal data out of a comment, in the caller's transaction (the caller
    checked the permission and commits, then announces it): the text before is kept as a revision,
    which only moderators read (comment.view_history); audited as `comment.redact`, without the text.
    False if nothing changed."""
    body = _clean_comment(body)
    if comment.is_deleted or body == comment.body_markdown:
        return False
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body_markdown=comment.body_markdown,
            created_at=comment.edited_at or comment.created_at,
        )
    )
    comment.body_markdown, comment.body_html = body, render_comment_body(body)
    comment.edited_at = utcnow()
    record_staff_action(actor, "comment.redact", "comment", comment.id, f"#{comment.id} in {comment.discussion.title}")
    return True


def announce_edited(comment):
    """After the commit: the comment's new text is in every open page."""
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_edited")


def show_again_after_review(comment):
    """Show again a comment that reports hid pending review, once a moderator has dismissed the
    reports (civic.moderation): its text and its place in the counts come back; the caller
    commits, then calls announce_shown_again."""
    if not comment.is_hidden:
        return False
    if not comment.is_deleted and not comment.is_held:
        _remove_from_counts(comment, delta=+1)
    comment.hidden_at, comment.hidden_reason = None, ""
    return True


def announce_shown_again(comment):
    """After the commit: the comment's text is back in every open page."""
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_edited")


def announce_changed_together(comments):
    """After the commit of a moderator's batch: the hidden (or shown again) comments change in every
    open page, one event per discussion."""
    by_discussion = {}
    for comment in comments:
        by_discussion.setdefault(comment.discussion_id, []).append(comment)
    for changed in by_discussion.values():
        discussion = changed[0].discussion
        db.session.refresh(discussion)
        live.comments_changed(discussion, [(c, "comment_hidden" if c.is_hidden else "comment_edited") for c in changed])


def announce_hidden(comment):
    """After the commit: the hidden comment leaves every open page."""
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_hidden")


def approve_held_comment(actor, comment):
    """A moderator publishes a comment that pre-moderation held: it enters the counts, the people it
    concerns are told and every open page shows it, now; audited."""
    ensure_can(actor, "held.review")
    if not comment.is_held or comment.is_hidden:
        raise Conflict(_("This comment is not waiting for review."))
    discussion = comment.discussion
    parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
    rule = comment.held_rule
    comment.held_at, comment.held_rule, comment.held_matched = None, "", ""
    recipients = set()
    if not comment.is_deleted:
        recipients = _publish(comment, discussion, parent, comment.author)
    record_staff_action(
        actor, premoderation.APPROVED, "comment", comment.id, _audit_label(comment, discussion), "", {"rule": rule}
    )
    _commit()
    db.session.refresh(discussion)
    if comment.edited_at is None:
        live.comment_posted(discussion, comment)
    else:  # held when it was edited: its card is on open pages already
        live.comment_changed(comment, "comment_edited")
    notifications.push_unread_counts(recipients)
    return comment


def reject_held_comment(actor, comment, reason):
    """A moderator rejects a held comment: it stays out of every page and count, and its author sees
    the reason in its place; audited with the reason."""
    ensure_can(actor, "held.review")
    reason = clean_reason(reason)
    if not comment.is_held or comment.is_hidden:
        raise Conflict(_("This comment is not waiting for review."))
    comment.hidden_at, comment.hidden_reason = utcnow(), reason
    record_staff_action(
        actor,
        premoderation.REJECTED,
        "comment",
        comment.id,
        _audit_label(comment, comment.discussion),
        reason,
        {"rule": comment.held_rule},
    )
    _commit()
    return comment


def held_comments(*, limit=50):
    """The comments waiting for review, oldest first, with their discussions, and how many there are."""
    waiting = (Comment.held_at.isnot(None), Comment.hidden_at.is_(None), Comment.deleted_at.is_(None))
    rows = db.session.execute(
        select(Comment, Discussion)
        .join(Discussion, Discussion.id == Comment.discussion_id)
        .where(*waiting)
        .order_by(Comment.held_at, Comment.id)
        .limit(limit)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(Comment).where(*waiting))
    return [tuple(row) for row in rows], count


def held_comments_of(viewer, discussion):
    """The viewer's own comments in this discussion that pre-moderation held (waiting, or rejected
    with a reason): only they and the moderators ever see them."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.discussion_id == discussion.id,
                Comment.author_id == viewer.id,
                Comment.held_at.isnot(None),
                Comment.deleted_at.is_(None),
            )
            .order_by(Comment.created_at.desc())
            .limit(20)
        )
    )


def recently_hidden(*, limit=20):
    """The comments moderators hid most recently, with their discussions (the moderators' overview)."""
    rows = db.session.execute(
        select(Comment, Discussion)
        .join(Discussion, Discussion.id == Comment.discussion_id)
        .where(Comment.hidden_at.isnot(None))
        .order_by(Comment.hidden_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    return [tuple(row) for row in rows]


def pin_comment(actor, comment, pinned=True):
    ensure_can(actor, "comment.pin", comment)
    if comment.depth != 0:
        raise InvalidInput(_("Only top-level comments can be pinned."))
    if comment.is_removed and pinned:
        raise Conflict(_("A deleted or hidden comment cannot be pinned."))
    comment.pinned_at = utcnow() if pinned else None
    record_staff_action(
        actor,
        "comment.pin" if pinned else "comment.unpin",
        "comment",
        comment.id,
        f"#{comment.id} in {comment.discussion.title}"[:200],
    )
    _commit()
    return comment


def comment_history(actor, comment):
    ensure_can(actor, "comment.view_history", comment)
    return list(
        db.session.scalars(
            select(CommentRevision)
            .where(CommentRevision.comment_id == comment.id)
            .order_by(CommentRevision.replaced_at.desc())
        )
    )


def _require_open(discussion):
    """Refuse, saying why, a comment or an edit where the discussion takes none now (it is locked, or
    its object takes none: Discussion.why_closed, which comment.create asks too)."""
    reason = discussion.why_closed
    if reason is not None:
        raise ParticipationClosed(reason)
