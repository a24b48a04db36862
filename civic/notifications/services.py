"""Notification services: record (inside the caller's transaction), count, list, mark read."""

from sqlalchemy import func, select, update

from civic.common.models import utcnow
from civic.common.pagination import paginate
from civic.extensions import db
from civic.notifications.models import Notification
from civic.realtime import publish, room_for


def add(user_id, kind, actor, discussion=None, comment=None, consultation=None, proposal=None):
    """Record a notification; committed with the change that caused it."""
    db.session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            actor_id=getattr(actor, "id", None),
            discussion_id=getattr(discussion, "id", None),
            comment_id=getattr(comment, "id", None),
            consultation_id=getattr(consultation, "id", None),
            proposal_id=getattr(proposal, "id", None),
        )
    )


def unread_count(user):
    """Unread notifications: as loaded with the signed-in person (accounts.services.sessions) unless
    something was marked read since, else counted now."""
    if not getattr(user, "is_authenticated", False):
        return 0
    known = getattr(user, "unread_at_load", None)
    if known is not None:
        return known
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_notifications(user, *, page=1, per_page=30):
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)


def mark_all_read(user):
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    user.unread_at_load = None  # counted again when next shown
    push_unread_counts([user.id])


def mark_read(user, notification_id):
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id == notification_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    user.unread_at_load = None  # counted again when next shown
    push_unread_counts([user.id])


def push_unread_counts(user_ids):
    """After the commit: tell each person's open pages their new unread count."""
    if not user_ids:
        return
    rows = db.session.execute(
        select(Notification.user_id, func.count())
        .where(Notification.user_id.in_(list(user_ids)), Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    ).all()
    counts = dict(rows)
    for user_id in user_ids:
        publish(room_for("user", user_id), "notifications", {"unread": counts.get(user_id, 0)})
