"""Discussion services: categories, discussions, comments, votes, follows, locks and pins.

Every change commits here, then pushes its live event (civic.discussions.live) after the commit."""

import re
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.markdown import link_mentions, mentioned_handles, render_markdown
from civic.common.models import utcnow
from civic.common.ratelimit import seconds_until_allowed
from civic.common.urls import path_for
from civic.common.validation import clean_text
from civic.discussions import live
from civic.discussions.models import (
    BODY_MAX_LENGTH,
    CATEGORY_DESCRIPTION_MAX_LENGTH,
    CATEGORY_NAME_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    PATH_SEGMENT_WIDTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
    Comment,
    CommentRevision,
    CommentVote,
    Discussion,
    DiscussionFollow,
    Stance,
)
from civic.discussions.scoring import controversy, wilson_lower_bound
from civic.errors import Conflict, InvalidInput, NotFound, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.notifications import services as notifications
from civic.permissions import ensure_can

TOP_LEVEL_PAGE_SIZE = 50
MAX_VISIBLE_DEPTH = 4  # levels of replies indented under a top-level comment
# A page shows at most this many replies in all, and this many under one top-level comment,
# so that a thread of thousands of comments opens as fast as a small one (bench/discussion_open.py).
REPLIES_SHOWN_PER_PAGE = 50
REPLIES_SHOWN_PER_THREAD = 10
SORTS = ("best", "newest", "oldest", "controversial")
DEFAULT_SORT = "best"


def _clean_reason(reason):
    return clean_text(
        reason,
        field="reason",
        max_length=REASON_MAX_LENGTH,
        required=_("Give a reason: it is shown to readers."),
        too_long=_("Keep the reason under %(n)d characters.", n=REASON_MAX_LENGTH),
    )


def _resolve_mention(handle):
    user = db.session.scalar(select(User).where(User.handle == handle, User.disabled_at.is_(None)))
    if user is None:
        return None
    return path_for("accounts.public_profile", user_id=user.id), user.handle


def render_comment_body(text):
    return link_mentions(render_markdown(text), _resolve_mention)


# --- categories -----------------------------------------------------------------------------


def list_categories():
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def get_category(slug):
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(_("There is no such category."))
    return category


def _slugify(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:CATEGORY_NAME_MAX_LENGTH] or "category"


def save_category(actor, *, name, description="", citizens_may_start=True, category=None):
    """Create a category (category=None) or change one; audited."""
    ensure_can(actor, "category.manage", category)
    name = clean_text(
        name,
        field="name",
        max_length=CATEGORY_NAME_MAX_LENGTH,
        multiline=False,
        required=_("Give the category a name."),
        too_long=_("A name has at most %(n)d characters.", n=CATEGORY_NAME_MAX_LENGTH),
    )
    description = clean_text(
        description,
        field="description",
        max_length=CATEGORY_DESCRIPTION_MAX_LENGTH,
        too_long=_("Keep the description under %(n)d characters.", n=CATEGORY_DESCRIPTION_MAX_LENGTH),
    )
    creating = category is None
    if creating:
        slug = _slugify(name)
        if db.session.scalar(select(Category).where(Category.slug == slug)):
            raise InvalidInput(_("A category with that name exists already."), field="name")
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        category = Category(slug=slug, position=position)
        db.session.add(category)
    category.name, category.description, category.citizens_may_start = name, description, bool(citizens_may_start)
    db.session.flush()
    record_staff_action(
        actor,
        "category.create" if creating else "category.update",
        "category",
        category.id,
        name,
        "",
        {"citizens_may_start": category.citizens_may_start},
    )
    _commit()
    return category


# --- discussions ----------------------------------------------------------------------------


def get_discussion(discussion_id, viewer):
    discussion = db.session.get(Discussion, discussion_id)
    if discussion is None:
        raise NotFound(_("There is no such discussion."))
    ensure_can(viewer, "discussion.view", discussion)
    return discussion


def load_discussion(discussion_id):
    """For the socket layer: the discussion or None, without permission checks."""
    return db.session.get(Discussion, discussion_id)


def _listed_discussions(category=None):
    query = select(Discussion).where(Discussion.hidden_at.is_(None), Discussion.context_type.is_(None))
    if category is not None:
        query = query.where(Discussion.category_id == category.id)
    return query.order_by(Discussion.last_activity_at.desc(), Discussion.id.desc())


def list_discussions(*, category=None, page=1, per_page=20):
    return db.paginate(_listed_discussions(category), page=page, per_page=per_page, error_out=False)


def recent_discussions(limit=5):
    """The latest active discussions, without counting them all (the home page)."""
    return list(db.session.scalars(_listed_discussions().limit(limit)))


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
    reason = _clean_reason(reason)
    if discussion.is_locked:
        raise Conflict(_("This discussion is locked already."))
    discussion.locked_at, discussion.lock_reason = utcnow(), reason
    record_staff_action(actor, "discussion.lock", "discussion", discussion.id, discussion.title, reason)
    _commit()
    live.discussion_locked(discussion)
    return discussion


def unlock_discussion(actor, discussion, reason):
    ensure_can(actor, "discussion.lock", discussion)
    reason = _clean_reason(reason)
    if not discussion.is_locked:
        raise Conflict(_("This discussion is not locked."))
    discussion.locked_at, discussion.lock_reason = None, ""
    record_staff_action(actor, "discussion.unlock", "discussion", discussion.id, discussion.title, reason)
    _commit()
    live.discussion_locked(discussion)
    return discussion


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


# --- comments -------------------------------------------------------------------------------


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
            parent = db.session.get(Comment, int(parent_id))
        except (TypeError, ValueError):
            parent = None
        if parent is None or parent.discussion_id != discussion.id:
            raise InvalidInput(_("The comment you are replying to is not in this discussion."), field="parent_id")
        if parent.is_removed:
            raise ParticipationClosed(_("You cannot reply to a comment that was deleted or hidden."))
    _count_against_comment_limit(actor)
    comment = Comment(
        discussion_id=discussion.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=actor.id,
        body_markdown=body,
        body_html=render_comment_body(body),
        stance=stance,
    )
    db.session.add(comment)
    db.session.flush()
    segment = str(comment.id).zfill(PATH_SEGMENT_WIDTH)
    comment.path = f"{parent.path}{segment}/" if parent else f"{segment}/"
    comment.root_id = parent.root_id if parent else comment.id
    if parent is not None:
        ancestor_ids = [int(part) for part in parent.path.strip("/").split("/")]
        db.session.execute(
            update(Comment).where(Comment.id.in_(ancestor_ids)).values(reply_count=Comment.reply_count + 1)
        )
    values = {Discussion.comment_count: Discussion.comment_count + 1, Discussion.last_activity_at: utcnow()}
    if parent is None:
        values[Discussion.top_level_count] = Discussion.top_level_count + 1
    db.session.execute(update(Discussion).where(Discussion.id == discussion.id).values(values))
    _change_stance_count(discussion, stance, +1)
    recipients = _notify_about(comment, discussion, parent, actor)
    if not is_following(actor, discussion):
        db.session.add(DiscussionFollow(discussion_id=discussion.id, user_id=actor.id))
    _commit()
    db.session.refresh(discussion)
    live.comment_posted(discussion, comment)
    notifications.push_unread_counts(recipients)
    return comment


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
    _commit()
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_edited")
    return comment


def _remove_from_counts(comment):
    _change_stance_count(comment.discussion, comment.stance, -1)
    db.session.execute(
        update(Discussion)
        .where(Discussion.id == comment.discussion_id)
        .values(comment_count=Discussion.comment_count - 1)
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


def hide_comment(actor, comment, reason):
    """A moderator hides a comment with a stated reason, shown in its place; audited."""
    ensure_can(actor, "comment.hide", comment)
    reason = _clean_reason(reason)
    if comment.is_hidden:
        raise Conflict(_("This comment is hidden already."))
    if not comment.is_deleted:
        _remove_from_counts(comment)
    comment.hidden_at, comment.hidden_reason = utcnow(), reason
    record_staff_action(
        actor, "comment.hide", "comment", comment.id, f"#{comment.id} in {comment.discussion.title}"[:200], reason
    )
    _commit()
    db.session.refresh(comment.discussion)
    live.comment_changed(comment, "comment_hidden")
    return comment


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


# --- votes ----------------------------------------------------------------------------------


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


# --- reading a thread -----------------------------------------------------------------------


@dataclass
class Thread:
    """What a page of a discussion shows: top-level comments and the replies loaded under them."""

    discussion: Discussion
    roots: list
    children: dict = field(default_factory=dict)  # parent id -> [replies]
    sort: str = DEFAULT_SORT
    page: int = 1
    has_more: bool = False
    focus: Comment | None = None  # the comment a sub-thread page is about

    def replies(self, comment):
        return self.children.get(comment.id, [])

    def shown_reply_count(self, comment):
        total, stack = 0, list(self.replies(comment))
        while stack:
            reply = stack.pop()
            total += 1
            stack.extend(self.replies(reply))
        return total

    def all_comments(self):
        found, stack = [], list(self.roots)
        while stack:
            comment = stack.pop()
            found.append(comment)
            stack.extend(self.replies(comment))
        return found


def _order(sort):
    pinned_first = case((Comment.pinned_at.is_(None), 1), else_=0)
    orders = {
        "best": (Comment.best_score.desc(), Comment.id.desc()),
        "newest": (Comment.created_at.desc(), Comment.id.desc()),
        "oldest": (Comment.created_at.asc(), Comment.id.asc()),
        "controversial": (Comment.controversy.desc(), Comment.id.desc()),
    }
    return (pinned_first, *orders[sort])


def parse_sort(sort):
    return sort if sort in SORTS else DEFAULT_SORT


def _load_replies(root_ids, *, max_depth, limit_per_root, limit_total):
    """Replies under the given roots down to max_depth, in one query whatever the thread's size.

    Each root contributes its replies in threaded (path) order, at most limit_per_root; the page
    takes them round-robin (every thread's first reply, then every thread's second...) up to
    limit_total, earlier roots first. A reply always comes after its parent in path order, so a
    shown reply's parent is shown too."""
    if not root_ids:
        return []
    numbered = (
        select(
            Comment.id.label("cid"),
            Comment.root_id.label("root_id"),
            func.row_number().over(partition_by=Comment.root_id, order_by=Comment.path).label("n"),
        )
        .where(Comment.root_id.in_(root_ids), Comment.depth > 0, Comment.depth <= max_depth)
        .subquery()
    )
    position = case({root_id: index for index, root_id in enumerate(root_ids)}, value=numbered.c.root_id)
    chosen = (
        select(numbered.c.cid).where(numbered.c.n <= limit_per_root).order_by(numbered.c.n, position).limit(limit_total)
    )
    ids = list(db.session.scalars(chosen))
    if not ids:
        return []
    return list(db.session.scalars(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.path)))


def thread_page(discussion, *, sort=DEFAULT_SORT, page=1, per_page=TOP_LEVEL_PAGE_SIZE):
    sort = parse_sort(sort)
    page = max(1, int(page or 1))
    query = (
        select(Comment)
        .where(Comment.discussion_id == discussion.id, Comment.depth == 0)
        .order_by(*_order(sort))
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    roots = list(db.session.scalars(query))
    has_more = len(roots) > per_page
    roots = roots[:per_page]
    thread = Thread(discussion=discussion, roots=roots, sort=sort, page=page, has_more=has_more)
    for reply in _load_replies(
        [c.id for c in roots],
        max_depth=MAX_VISIBLE_DEPTH,
        limit_per_root=REPLIES_SHOWN_PER_THREAD,
        limit_total=REPLIES_SHOWN_PER_PAGE,
    ):
        thread.children.setdefault(reply.parent_id, []).append(reply)
    return thread


def sub_thread(discussion, comment):
    """A comment and the replies under it, for "continue this thread" and permalinks."""
    thread = Thread(discussion=discussion, roots=[comment], focus=comment)
    query = (
        select(Comment)
        .where(
            Comment.discussion_id == discussion.id,
            Comment.path.like(f"{comment.path}%"),
            Comment.id != comment.id,
            Comment.depth <= comment.depth + MAX_VISIBLE_DEPTH,
        )
        .order_by(Comment.path)
        .limit(500)
    )
    for reply in db.session.scalars(query):
        thread.children.setdefault(reply.parent_id, []).append(reply)
    return thread


def ancestors_of(comment):
    ids = [int(part) for part in comment.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    found = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# --- attached discussions -------------------------------------------------------------------


def _require_open(discussion):
    """Refuse, saying why, a comment or an edit where the discussion takes none now (it is locked, or
    its object takes none: Discussion.why_closed, which comment.create asks too)."""
    reason = discussion.why_closed
    if reason is not None:
        raise ParticipationClosed(reason)


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
