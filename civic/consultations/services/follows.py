"""Following a consultation, and telling followers and respondents when it closes and when its
outcome is published."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User
from civic.common import clock
from civic.common.db import commit
from civic.common.urls import external_url
from civic.consultations.models import Consultation, ConsultationFollow, Response
from civic.consultations.services.responses import submitted
from civic.errors import ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.notifications import services as notifications
from civic.permissions import ensure_can


def is_following(user, consultation):
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(ConsultationFollow.id).where(
        ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id)) is not None


def follow_consultation(user, consultation, follow=True):
    ensure_can(user, "consultation.follow", consultation)
    if follow and not is_following(user, consultation):
        db.session.add(ConsultationFollow(consultation_id=consultation.id, user_id=user.id))
    elif not follow:
        db.session.execute(ConsultationFollow.__table__.delete().where(
            ConsultationFollow.consultation_id == consultation.id, ConsultationFollow.user_id == user.id))
    try:
        commit()
    except IntegrityError:
        pass  # followed from another window a moment ago


def _people_to_tell(consultation):
    followers = set(db.session.scalars(select(ConsultationFollow.user_id).where(
        ConsultationFollow.consultation_id == consultation.id)))
    respondents = set(db.session.scalars(select(Response.user_id).where(
        submitted(consultation), Response.user_id.isnot(None))))
    return followers | respondents


def notify_closed_consultations(now=None):
    """Tell followers and respondents of each consultation that has closed since the last run.
    Run every minute by `flask civic tick` (and by the development server itself)."""
    now = now or clock.now()
    due = list(db.session.scalars(select(Consultation).where(
        Consultation.published_at.isnot(None), Consultation.closes_at <= now,
        Consultation.closed_notified_at.is_(None))))
    told = set()
    for consultation in due:
        for user_id in _people_to_tell(consultation):
            notifications.add(user_id, "consultation_closed", None, consultation=consultation)
            told.add(user_id)
        consultation.closed_notified_at = now
    commit()
    notifications.push_unread_counts(told)
    return len(due)


def notify_outcome(consultation):
    """After the outcome's first publication: a notification and an email to each follower and
    respondent (and an email to those who responded without an account)."""
    people = _people_to_tell(consultation)
    for user_id in people:
        notifications.add(user_id, "consultation_outcome", None, consultation=consultation)
    commit()
    notifications.push_unread_counts(people)
    url = external_url("consultations.show", consultation_id=consultation.id)
    for user in db.session.scalars(select(User).where(User.id.in_(people), User.disabled_at.is_(None))):
        try:
            send_mail(user.email, lambda: _("What was decided: “%(title)s”", title=consultation.title),
                      "consultation_outcome", language=user.language, user=user, consultation=consultation, url=url)
        except ServiceUnavailable:
            current_app.logger.warning("outcome mail to user %s not sent", user.id)
    for address in db.session.scalars(select(Response.email).where(
            submitted(consultation), Response.user_id.is_(None), Response.email.isnot(None))):
        try:  # people who responded without an account
            send_mail(address, lambda: _("What was decided: “%(title)s”", title=consultation.title),
                      "consultation_outcome", user=None, consultation=consultation, url=url)
        except ServiceUnavailable:
            current_app.logger.warning("outcome mail to an anonymous respondent not sent")
