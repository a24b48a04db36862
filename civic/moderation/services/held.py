"""What automatic pre-moderation held (comments, statements), for moderators to approve or reject."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.consultations.models import Consultation, Statement, StatementStatus
from civic.consultations.services import statements as statement_services
from civic.discussions.models import Comment
from civic.discussions.services import comments as comment_services
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import ensure_can
from civic.premoderation import rule_label

KINDS = ("comment", "statement")
EXCERPT_LENGTH = 400


@dataclass(frozen=True)
class HeldItem:
    """One held text as the moderators' list shows it."""

    kind: str  # "comment" or "statement"
    id: int
    text: str
    rule: str
    matched: str
    held_at: datetime
    where: str  # the discussion's or consultation's title
    place_id: int  # the discussion's or consultation's id
    author_name: str

    @property
    def rule_label(self):
        return rule_label(self.rule)


def _excerpt(text):
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _author_name(user):
    return user.display_name if user is not None else _("Former member")


def _held_statements(limit):
    waiting = (Statement.status == StatementStatus.PENDING.value, Statement.held_rule != "")
    rows = db.session.execute(
        select(Statement, Consultation)
        .join(Consultation, Consultation.id == Statement.consultation_id)
        .where(*waiting)
        .order_by(Statement.created_at, Statement.id)
        .limit(limit)
    ).all()
    count = db.session.scalar(select(func.count()).select_from(Statement).where(*waiting))
    return rows, count


def held_items(actor, *, limit=50):
    """The texts waiting for review after pre-moderation held them, oldest first (at most `limit` of
    each kind), and how many there are in all."""
    ensure_can(actor, "held.review")
    comments, comment_count = comment_services.held_comments(limit=limit)
    statements, statement_count = _held_statements(limit)
    items = [
        HeldItem(
            "comment",
            comment.id,
            _excerpt(comment.body_markdown),
            comment.held_rule,
            comment.held_matched,
            comment.held_at,
            discussion.title,
            discussion.id,
            _author_name(comment.author),
        )
        for comment, discussion in comments
    ] + [
        HeldItem(
            "statement",
            statement.id,
            _excerpt(statement.text),
            statement.held_rule,
            statement.held_matched,
            statement.created_at,
            consultation.title,
            consultation.id,
            _author_name(statement.author),
        )
        for statement, consultation in statements
    ]
    items.sort(key=lambda item: item.held_at)
    return items, comment_count + statement_count


def count_held():
    """How many texts wait for review (the staff navigation's figure); no permission asked."""
    comments = db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.held_at.isnot(None), Comment.hidden_at.is_(None), Comment.deleted_at.is_(None))
    )
    statements = db.session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(Statement.status == StatementStatus.PENDING.value, Statement.held_rule != "")
    )
    return comments + statements


def _load(kind, content_id):
    if kind == "comment":
        item = db.session.get(Comment, content_id)
    elif kind == "statement":
        item = db.session.get(Statement, content_id)
    else:
        item = None
    if item is None:
        raise NotFound(_("There is no such text waiting for review."))
    return item


def approve_held(actor, kind, content_id):
    """Publish a held text now (its counts, notifications and live updates with it); audited."""
    ensure_can(actor, "held.review")
    item = _load(kind, content_id)
    if kind == "comment":
        return comment_services.approve_held_comment(actor, item)
    return statement_services.moderate_statement(actor, _waiting_statement(item), True)


def reject_held(actor, kind, content_id, reason):
    """Keep a held text unpublished, with the moderator's reason; audited."""
    ensure_can(actor, "held.review")
    item = _load(kind, content_id)
    if kind == "comment":
        return comment_services.reject_held_comment(actor, item, reason)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(_("Give a reason for the rejection."), field="reason")
    return statement_services.moderate_statement(actor, _waiting_statement(item), False, reason[:500])


def _waiting_statement(statement):
    if statement.status != StatementStatus.PENDING.value or not statement.held_rule:
        raise NotFound(_("There is no such text waiting for review."))
    return statement
