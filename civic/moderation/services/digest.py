"""The email digest of new reports to moderators, sent from the periodic task at most every
CIVIC_REPORT_DIGEST_MINUTES, only when reports came in since the last one.

What was sent is remembered (ReportDigest, up to which report): the next digest starts after it, a
tick within the interval sends nothing, and the unique key on `up_to_report_id` lets only one of
two ticks that claim the same digest send it (the tick lock already runs one at a time)."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic.accounts.models import User, UserRole
from civic.common.models import utcnow
from civic.common.urls import external_url
from civic.errors import ServiceUnavailable
from civic.extensions import db
from civic.mail.services import send_mail
from civic.moderation.models import Report, ReportDigest
from civic.moderation.services.reports import count_open_items
from civic.permissions import RULES

SUBJECT = _l("New reports to moderate")


def _moderators():
    roles = sorted(RULES["moderation.queue"].roles)
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(roles), User.disabled_at.is_(None), User.email_verified_at.isnot(None))
            .distinct()
            .order_by(User.id)
        )
    )


def last_digest():
    return db.session.scalars(select(ReportDigest).order_by(ReportDigest.up_to_report_id.desc()).limit(1)).first()


def send_report_digest(now=None):
    """Mail the moderators about the reports made since the last digest, if the interval has passed
    and there are any. Returns how many emails were sent."""
    minutes = current_app.config["CIVIC_REPORT_DIGEST_MINUTES"]
    if minutes <= 0:
        return 0
    now = now or utcnow()
    last = last_digest()
    if last is not None and now - last.sent_at < timedelta(minutes=minutes):
        return 0
    since = last.up_to_report_id if last is not None else 0
    new, newest = db.session.execute(select(func.count(Report.id), func.max(Report.id)).where(Report.id > since)).one()
    if not new:
        return 0
    moderators = _moderators()
    digest = ReportDigest(up_to_report_id=newest, reports=new, recipients=len(moderators), sent_at=now)
    db.session.add(digest)
    try:
        db.session.commit()  # claimed: whoever commits this digest sends it
    except IntegrityError:
        db.session.rollback()
        return 0
    waiting = count_open_items()
    link = external_url("moderation.queue")
    sent = 0
    for moderator in moderators:
        try:
            send_mail(
                moderator.email,
                lambda: str(SUBJECT),
                "report_digest",
                language=moderator.language or None,
                name=moderator.display_name,
                new=new,
                waiting=waiting,
                link=link,
            )
            sent += 1
        except ServiceUnavailable:
            pass  # logged by send_mail; the next digest tells them again
    return sent
