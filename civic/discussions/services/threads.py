"""Reading a discussion: a page of top-level comments with replies under them, a sub-thread, a comment's
ancestors. Comments held by pre-moderation are on none of them (their authors see them apart)."""

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.common.pagination import offset_of
from civic.discussions.models import (
    Comment,
    Discussion,
)
from civic.extensions import db

TOP_LEVEL_PAGE_SIZE = 50
MAX_VISIBLE_DEPTH = 4  # levels of replies indented under a top-level comment
# A page shows at most this many replies in all, and this many under one top-level comment,
# so that a thread of thousands of comments opens as fast as a small one (bench/discussion_open.py).
REPLIES_SHOWN_PER_PAGE = 50
REPLIES_SHOWN_PER_THREAD = 10
SORTS = ("best", "newest", "oldest", "controversial")
# How a page loads its comments: with their authors (one join), whose roles no card shows (the
# users' roles would otherwise come with them, one more query per load).
CARD_LOADING = (joinedload(Comment.author).lazyload(User.roles),)
DEFAULT_SORT = "best"


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
        .where(Comment.root_id.in_(root_ids), Comment.depth > 0, Comment.depth <= max_depth, Comment.held_at.is_(None))
        .subquery()
    )
    position = case({root_id: index for index, root_id in enumerate(root_ids)}, value=numbered.c.root_id)
    chosen = (
        select(numbered.c.cid).where(numbered.c.n <= limit_per_root).order_by(numbered.c.n, position).limit(limit_total)
    )
    ids = list(db.session.scalars(chosen))
    if not ids:
        return []
    query = select(Comment).where(Comment.id.in_(ids)).order_by(Comment.path).options(*CARD_LOADING)
    return list(db.session.scalars(query))


def thread_page(discussion, *, sort=DEFAULT_SORT, page=1, per_page=TOP_LEVEL_PAGE_SIZE):
    sort = parse_sort(sort)
    query = (
        select(Comment)
        .where(Comment.discussion_id == discussion.id, Comment.depth == 0, Comment.held_at.is_(None))
        .order_by(*_order(sort))
        .offset(offset_of(page, per_page))
        .limit(per_page + 1)
        .options(*CARD_LOADING)
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
            Comment.held_at.is_(None),
        )
        .order_by(Comment.path)
        .limit(500)
        .options(*CARD_LOADING)
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
