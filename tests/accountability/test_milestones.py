"""Milestones: dated, sanitised text, an optional photo checked by its bytes; the people concerned
(the record's followers, the proposal's supporters and followers, the project's voters) are told
in-app at once and by batched mail; bad input changes nothing."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from civic.accountability.models import ImplementationRecord, Milestone
from civic.accountability.services import milestones, records
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from civic.mail.mailings import send_mailings
from civic.notifications.models import Notification
from civic.proposals.models import Support
from civic.proposals.services import supporting
from tests.support.accountability import accepted_proposal, budget_with_results, milestone_fields
from tests.support.mail import link_in, mail_to
from tests.support.sample_files import png


def _told(record):
    return set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.implementation_record_id == record.id, Notification.kind == "implementation_milestone"
            )
        )
    )


def test_a_milestone_is_stored_sanitised_and_counted(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    milestone = milestones.add_milestone(
        official, record, milestone_fields(text="Laid <script>alert(1)</script> the **first** stone")
    )
    assert milestone.happened_on == date(2027, 3, 1)
    assert "<script>" not in milestone.text_html and "<strong>first</strong>" in milestone.text_html
    db.session.refresh(record)
    assert record.milestone_count == 1


def test_supporters_followers_and_record_followers_are_told(small, frozen, citizen, official, make_user, outbox):
    proposal, record = accepted_proposal(citizen, official)
    supporter = make_user("sam@example.org", name="Sam Supporter")
    watcher = make_user("wes@example.org", name="Wes Watcher")
    stranger = make_user("stan@example.org", name="Stan Stranger")
    # An accepted proposal takes no new supports: those from before count.
    db.session.add(Support(proposal_id=proposal.id, user_id=supporter.id))
    db.session.commit()
    supporting.follow_proposal(citizen, proposal, True)
    records.follow_record(watcher, record, True)
    milestones.add_milestone(official, record, milestone_fields())
    assert _told(record) == {citizen.id, supporter.id, watcher.id}
    assert stranger.id not in _told(record)
    send_mailings()
    for person in (citizen, supporter, watcher):
        [message] = [m for m in mail_to(outbox, person.email) if "News of" in m["Subject"]]
        assert record.title in message["Subject"]
        assert link_in(message, f"/accountability/{record.id}")
    assert mail_to(outbox, stranger.email) == []


def test_voters_who_chose_a_project_are_told(official, frozen, make_user, outbox):
    voters = [make_user(f"v{k}@example.org", name=f"Voter {k}") for k in range(2)]
    _budget, (p1, _p2, _p3) = budget_with_results(official, frozen, voters)
    record = db.session.scalar(select(ImplementationRecord).where(ImplementationRecord.project_id == p1.id))
    milestones.add_milestone(official, record, milestone_fields(happened_on="2027-05-15"))
    assert _told(record) == {v.id for v in voters}
    send_mailings()
    assert all(len(mail_to(outbox, v.email)) == 1 for v in voters)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": "   "}, "text"),
        ({"happened_on": "31/02/2027"}, "happened_on"),
        ({"happened_on": "2099-01-01"}, "happened_on"),  # a milestone is what has happened
        ({"happened_on": ""}, "happened_on"),
        ({"photo": milestones.Upload("drawing.svg", io.BytesIO(b"<svg></svg>")), "photo_alt": "A drawing"}, "photo"),
        ({"photo": milestones.Upload("site.png", io.BytesIO(png())), "photo_alt": ""}, "photo_alt"),
    ],
)
def test_bad_milestones_are_refused_whole(small, frozen, citizen, official, changes, field, app):
    _proposal, record = accepted_proposal(citizen, official)
    with pytest.raises(InvalidInput) as refused:
        milestones.add_milestone(official, record, milestone_fields(**changes))
    assert field in refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_photo_is_kept_with_its_description(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    milestone = milestones.add_milestone(
        official,
        record,
        milestone_fields(photo=milestones.Upload("site.png", io.BytesIO(png())), photo_alt="The new shelter"),
    )
    assert milestone.photo_content_type == "image/png"
    assert milestones.photo_path(milestone).read_bytes() == png()


def test_only_officials_add_milestones_and_not_to_cancelled_work(small, frozen, citizen, official):
    _proposal, record = accepted_proposal(citizen, official)
    with pytest.raises(NotAllowed):
        milestones.add_milestone(citizen, record, milestone_fields())
    records.change_record(official, record, status="cancelled", progress="0", spent="0")
    with pytest.raises(Conflict):
        milestones.add_milestone(official, record, milestone_fields())
