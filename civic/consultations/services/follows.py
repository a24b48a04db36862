"""Following a consultation, and telling followers and respondents when it closes and when its
outcome is published (a notification at once, an email through a batched mailing)."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User
from civic.common import clock
from civic.common.db import commit
from civic.common.urls import external_url
from civic.consultations.models import Consultation, ConsultationFollow, Response
from civic.consultations.services.responses import submitted
from civic.extensions import db
from civic.mail.mailings import Message, Recipient, register_mailing_kind, start_mailing
from civic.notifications import services as notifications
from civic.permissions import ensure_can


def is_following(user, consultation):
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ConsultationFollow.id).where(
                ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id
            )
        )
        is not None
    )


def follow_consultation(user, consultation, follow=True):
    ensure_can(user, "consultation.follow", consultation)
    if follow and not is_following(user, consultation):
        db.session.add(ConsultationFollow(consultation_id=consultation.id, user_id=user.id))
    elif not follow:
        db.session.execute(
            ConsultationFollow.__table__.delete().where(
                ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id
            )
        )
    try:
        commit()
    except IntegrityError:
        pass  # followed from another window a moment ago


def _people_to_tell(consultation):
    followers = set(
        db.session.scalars(
            select(ConsultationFollow.user_id).where(ConsultationFollow.consultation_id == consultation.id)
        )
    )
    respondents = set(
        db.session.scalars(select(Response.user_id).where(submitted(consultation), Response.user_id.isnot(None)))
    )
    return followers | respondents


def notify_closed_consultations(now=None):
    """Tell followers and respondents of each consultation that has closed since the last run.
    Run every minute by `flask civic tick` (and by the development server itself)."""
    now = now or clock.now()
    due = list(
        db.session.scalars(
            select(Consultation).where(
                Consultation.published_at.isnot(None),
                Consultation.closes_at <= now,
                Consultation.closed_notified_at.is_(None),
            )
        )
    )
    told = set()
    for consultation in due:
        for user_id in _people_to_tell(consultation):
            notifications.add(user_id, "consultation_closed", None, consultation=consultation)
            told.add(user_id)
        consultation.closed_notified_at = now
    commit()
    notifications.push_unread_counts(told)
    return len(due)


def record_outcome_news(consultation):
    """After the outcome's first publication, in the caller's transaction: a notification to each
    follower and respondent, and the mailings that email them (and those who responded without an
    account) in batches. Returns who was notified, for push_unread_counts after the commit."""
    people = _people_to_tell(consultation)
    for user_id in people:
        notifications.add(user_id, "consultation_outcome", None, consultation=consultation)
    start_mailing(OUTCOME_TO_MEMBERS, "consultation", consultation.id)
    start_mailing(OUTCOME_TO_GUESTS, "consultation", consultation.id)
    return people


OUTCOME_TO_MEMBERS = "consultation_outcome"  # followers and respondents with an account
OUTCOME_TO_GUESTS = "consultation_outcome_guests"  # people who responded without an account


def _members_to_tell(mailing, after, limit):
    consultation = db.session.get(Consultation, mailing.about_id)
    followers = select(ConsultationFollow.user_id).where(ConsultationFollow.consultation_id == consultation.id)
    respondents = select(Response.user_id).where(submitted(consultation), Response.user_id.isnot(None))
    people = db.session.scalars(
        select(User)
        .where(User.id > after, User.disabled_at.is_(None), User.id.in_(followers) | User.id.in_(respondents))
        .order_by(User.id)
        .limit(limit)
    )
    return [Recipient(key=user.id, email=user.email, language=user.language, context={"user": user}) for user in people]


def _guests_to_tell(mailing, after, limit):
    consultation = db.session.get(Consultation, mailing.about_id)
    rows = db.session.execute(
        select(Response.id, Response.email)
        .where(submitted(consultation), Response.user_id.is_(None), Response.email.isnot(None), Response.id > after)
        .order_by(Response.id)
        .limit(limit)
    )
    return [Recipient(key=row.id, email=row.email, context={"user": None}) for row in rows]


def _outcome_message(mailing):
    consultation = db.session.get(Consultation, mailing.about_id)
    if consultation is None:
        return None
    return Message(
        lambda: _("What was decided: “%(title)s”", title=consultation.title),
        "consultation_outcome",
        {"consultation": consultation, "url": external_url("consultations.show", consultation_id=consultation.id)},
    )


def register_consultation_mailings():
    """The mailings consultations start, for civic.mail.mailings (called by create_app)."""
    register_mailing_kind(OUTCOME_TO_MEMBERS, recipients=_members_to_tell, message=_outcome_message)
    register_mailing_kind(OUTCOME_TO_GUESTS, recipients=_guests_to_tell, message=_outcome_message)
