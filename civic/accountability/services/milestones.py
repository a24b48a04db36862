"""Milestones: an official adds a dated step of the work (sanitised Markdown, an optional photo
checked by its bytes with the consultations' upload checks); the people concerned are told in-app
at once and by email in batches: the record's followers, the proposal's supporters and followers,
or the voters who chose the project."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, literal, select, union, update

from civic.accountability.models import (
    ALT_TEXT_MAX_LENGTH,
    MILESTONE_MAX_LENGTH,
    ImplementationRecord,
    Milestone,
    RecordFollow,
)
from civic.accountability.services.records import ensure_may, pages_changed
from civic.accounts.models import User
from civic.audit.services import record_staff_action
from civic.budgets.models import Ballot, BallotChoice
from civic.common import clock
from civic.common.image_uploads import check_image, commit_with_image, write_image
from civic.common.markdown import render_markdown
from civic.common.urls import external_url
from civic.common.validation import FieldErrors, clean_text
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from civic.mail.mailings import Message, Recipient, register_mailing_kind, start_mailing
from civic.notifications import services as notifications
from civic.notifications.models import Notification
from civic.proposals.models import ProposalFollow, Support

MILESTONE_MAILING = "implementation_milestone"
NOTIFICATION_KIND = "implementation_milestone"
MAX_DAYS_AHEAD = 0  # a milestone tells what happened: not a date to come


@dataclass
class Upload:
    filename: str
    stream: object


@dataclass
class MilestoneFields:
    happened_on: object = None  # a date, or the text typed (YYYY-MM-DD)
    text: str = ""
    photo: Upload | None = None
    photo_alt: str = ""


def concerned_people(record):
    """Who is told of a new milestone, as one SELECT of user ids."""
    parts = [select(RecordFollow.user_id).where(RecordFollow.record_id == record.id)]
    if record.proposal_id is not None:
        parts.append(select(Support.user_id).where(Support.proposal_id == record.proposal_id))
        parts.append(select(ProposalFollow.user_id).where(ProposalFollow.proposal_id == record.proposal_id))
    if record.project_id is not None:
        parts.append(
            select(Ballot.voter_id)
            .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
            .where(BallotChoice.project_id == record.project_id, Ballot.voter_id.is_not(None))
        )
    return union(*parts)


def _clean_day(value):
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(_("Give the date as year-month-day, such as 2026-05-31."), field="happened_on") from None
    if not isinstance(value, date):
        raise InvalidInput(_("Give the date of the milestone."), field="happened_on")
    today = clock.utc_to_local(clock.now()).date()
    if value > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(_("A milestone tells what has happened: give a date up to today."), field="happened_on")
    if value.year < 1900:
        raise InvalidInput(_("Give the date as year-month-day, such as 2026-05-31."), field="happened_on")
    return value


def _photo_folder():
    folder = Path(current_app.config["CIVIC_UPLOAD_PATH"]) / "accountability"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photo_path(milestone):
    """The file of a milestone's photo, to send; NotFound when it has none."""
    if not milestone.photo_stored_name:
        raise NotFound(_("This milestone has no photo."))
    path = _photo_folder() / milestone.photo_stored_name
    if not path.is_file():
        raise NotFound(_("This image is missing."))
    return path


def get_milestone(record, milestone_id):
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.record_id != record.id:
        raise NotFound(_("There is no such milestone."))
    return milestone


def add_milestone(actor, record, fields):
    """Add a milestone (with its photo, both or neither) and tell the people concerned."""
    ensure_may(actor, "accountability.add_milestone", record, _("A cancelled record takes no milestones."))
    problems = FieldErrors()
    day = problems.check(_clean_day, fields.happened_on)
    text = problems.check(
        clean_text,
        fields.text,
        field="text",
        max_length=MILESTONE_MAX_LENGTH,
        required=_("Say what happened."),
    )
    photo = fields.photo if fields.photo is not None and (fields.photo.filename or "").strip() else None
    checked = problems.check(lambda upload: check_image(upload, "photo"), photo) if photo is not None else None
    alt = (
        problems.check(
            clean_text,
            fields.photo_alt,
            field="photo_alt",
            max_length=ALT_TEXT_MAX_LENGTH,
            required=_("Describe the image for people who cannot see it."),
        )
        if photo is not None
        else ""
    )
    problems.raise_if_any()
    milestone = Milestone(
        record_id=record.id,
        happened_on=day,
        text_markdown=text,
        text_html=render_markdown(text),
        photo_alt=alt,
        photo_content_type=checked.kind.content_type if checked else "",
        created_by_id=actor.id,
    )
    written = None
    if checked is not None:
        written = write_image(photo, checked.kind, _photo_folder())
        milestone.photo_stored_name = written[1]
    db.session.add(milestone)
    db.session.execute(
        update(ImplementationRecord)
        .where(ImplementationRecord.id == record.id)
        .values(milestone_count=ImplementationRecord.milestone_count + 1, updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    record_staff_action(
        actor,
        "accountability.add_milestone",
        "implementation",
        record.id,
        record.title,
        details={"milestone": milestone.id},
    )
    told = _notify_people(record)
    start_mailing(MILESTONE_MAILING, "implementation_milestone", milestone.id)
    commit_with_image(written, _photo_folder())
    db.session.refresh(record)
    pages_changed(record)
    notifications.push_unread_counts(told)
    return milestone


def _notify_people(record):
    """One notification to each person concerned, by one INSERT ... SELECT; their ids back."""
    people = concerned_people(record).subquery()
    now = clock.now()
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "implementation_record_id", "created_at"],
            select(
                people.c.user_id,
                literal(NOTIFICATION_KIND),
                literal(record.id),
                literal(now, Notification.created_at.type),
            ),
        )
    )
    return list(db.session.scalars(select(people.c.user_id)))


# --- mail ------------------------------------------------------------------------------------


def _recipients(mailing, after, limit):
    milestone = db.session.get(Milestone, mailing.about_id)
    if milestone is None:
        return []
    people = db.session.scalars(
        select(User)
        .where(User.id > after, User.disabled_at.is_(None), User.id.in_(concerned_people(milestone.record)))
        .order_by(User.id)
        .limit(limit)
    )
    return [Recipient(key=u.id, email=u.email, language=u.language, context={"user": u}) for u in people]


def _message(mailing):
    milestone = db.session.get(Milestone, mailing.about_id)
    if milestone is None:
        return None
    record = milestone.record
    return Message(
        lambda: _("News of “%(title)s”", title=record.title),
        "implementation_milestone",
        {
            "record": record,
            "milestone": milestone,
            "url": external_url("accountability.show", record_id=record.id),
        },
    )


def register_milestone_mailings():
    register_mailing_kind(MILESTONE_MAILING, recipients=_recipients, message=_message)
