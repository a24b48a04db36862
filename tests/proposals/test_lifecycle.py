"""Posting, changing until the first support, withdrawing, and moving on time (derived and by the tick)."""

import io
from datetime import timedelta

import pytest

from civic.discussions.contexts import context_of
from civic.discussions.models import Discussion
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from civic.mail.models import Mailing
from civic.notifications.models import Notification
from civic.proposals.models import Proposal, ProposalState
from civic.proposals.services import lifecycle, supporting
from civic.tasks import run_periodic_tasks
from tests.support import sample_files
from tests.support.proposals import START, fields, supporters

S = ProposalState


def test_a_posted_proposal_collects_supports_until_its_deadline_with_its_discussion(open_proposal):
    assert open_proposal.current_state is S.OPEN
    assert open_proposal.deadline == START + timedelta(days=30)
    assert open_proposal.supports_needed == 3
    assert "<strong>old car park</strong>" in open_proposal.body_html
    discussion = db.session.get(Discussion, open_proposal.discussion_id)
    assert context_of(discussion).link_text == open_proposal.title


def test_script_and_html_are_sanitised(small, frozen, author):
    proposal = lifecycle.create_proposal(
        author, fields(body='<script>alert(1)</script> [x](javascript:alert(1)) <b onclick="x">b</b>')
    )
    assert "<script" not in proposal.body_html and "href" not in proposal.body_html
    assert "<b " not in proposal.body_html  # shown as text, never as markup


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"title": ""}, "title"),
        ({"summary": "x" * 201}, "summary"),
        ({"title": "https://example.org/x"}, "title"),
        ({"external_url": "javascript:alert(1)"}, "external_url"),
        ({"area": "Atlantis"}, "area"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(small, frozen, author, overrides, field):
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_proposal(author, fields(**overrides))
    assert field in info.value.errors
    assert db.session.query(Proposal).count() == 0


def test_an_image_is_checked_by_its_bytes_and_needs_a_description(small, frozen, author):
    fake = lifecycle.Upload("photo.png", io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"))
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_proposal(author, fields(image=fake, image_alt="A park"))
    assert "image" in info.value.errors
    png = lifecycle.Upload("photo.png", io.BytesIO(sample_files.png()))
    with pytest.raises(InvalidInput) as info:
        lifecycle.create_proposal(author, fields(image=png))
    assert "image_alt" in info.value.errors
    png.stream.seek(0)
    proposal = lifecycle.create_proposal(author, fields(image=png, image_alt="The empty car park"))
    assert proposal.image_content_type == "image/png"
    assert lifecycle.image_path(proposal).read_bytes() == sample_files.png()


def test_the_author_edits_until_the_first_support_then_not(open_proposal, author, make_user):
    lifecycle.update_proposal(author, open_proposal, fields(title="A covered bicycle park at the station"))
    assert open_proposal.title == "A covered bicycle park at the station"
    assert db.session.get(Discussion, open_proposal.discussion_id).title == open_proposal.title
    other = make_user("other@example.org")
    with pytest.raises(NotAllowed):
        lifecycle.update_proposal(other, open_proposal, fields())
    supporting.support_proposal(other, open_proposal)
    with pytest.raises(Conflict):
        lifecycle.update_proposal(author, open_proposal, fields(title="Something else entirely"))
    db.session.refresh(open_proposal)
    assert open_proposal.title == "A covered bicycle park at the station"


def test_a_withdrawn_proposal_stays_readable_and_takes_no_supports(open_proposal, author, make_user, client):
    lifecycle.withdraw_proposal(author, open_proposal)
    assert open_proposal.current_state is S.WITHDRAWN
    page = client.get(f"/proposals/{open_proposal.id}")
    assert page.status_code == 200 and "withdrew this proposal" in page.get_data(as_text=True)
    with pytest.raises(Exception) as info:
        supporting.support_proposal(make_user("late@example.org"), open_proposal)
    assert "withdrawn" in str(info.value.message)
    with pytest.raises(Conflict):
        lifecycle.withdraw_proposal(author, open_proposal)


def test_past_its_deadline_without_enough_supports_it_reads_expired_before_the_tick(open_proposal, frozen, make_user):
    supporting.support_proposal(make_user("one@example.org"), open_proposal)
    frozen.set(open_proposal.deadline - timedelta(seconds=1))
    assert open_proposal.current_state is S.OPEN
    frozen.set(open_proposal.deadline)
    assert open_proposal.current_state is S.EXPIRED
    assert db.session.get(Proposal, open_proposal.id).state == "open"  # not written down yet
    run_periodic_tasks()
    db.session.refresh(open_proposal)
    assert open_proposal.state == "expired" and open_proposal.expired_at == open_proposal.deadline


def test_reaching_the_threshold_moves_it_under_review_and_tells_officials(open_proposal, make_user, official):
    for person in supporters(make_user, 3):
        supporting.support_proposal(person, open_proposal)
    db.session.refresh(open_proposal)
    assert open_proposal.state == "review" and open_proposal.review_started_at == START
    told = db.session.query(Notification).filter_by(kind="proposal_under_review").all()
    assert [n.user_id for n in told] == [official.id]
    assert db.session.query(Mailing).filter_by(kind="proposal_under_review").count() == 1


def test_the_tick_moves_a_proposal_whose_threshold_was_reached_without_the_move(open_proposal, official, frozen):
    # As after a crash between the support's commit and the move (or an import): the tick does it.
    db.session.execute(Proposal.__table__.update().where(Proposal.id == open_proposal.id).values(support_count=3))
    db.session.commit()
    assert db.session.get(Proposal, open_proposal.id).current_state is S.UNDER_REVIEW  # derived
    frozen.set(open_proposal.deadline + timedelta(days=1))  # past the deadline too: still review
    run_periodic_tasks()
    db.session.refresh(open_proposal)
    assert open_proposal.state == "review"
    assert db.session.query(Notification).filter_by(kind="proposal_under_review", user_id=official.id).count() == 1
    run_periodic_tasks()
    assert db.session.query(Notification).filter_by(kind="proposal_under_review").count() == 1
