"""The index never silently out of step with the database: changes to searchable items are written
to the search outbox in their own transaction, applied after the commit, and replayed after a crash
(at the first request, by the periodic task, by `flask search check`)."""

import pytest
from sqlalchemy import func, select

from civic import create_app
from civic.common.db import commit
from civic.consultations.models import Document
from civic.consultations.services import lifecycle as consultations
from civic.discussions.services.comments import delete_comment, post_comment
from civic.discussions.services.discussions import lock_discussion
from civic.extensions import db
from civic.petitions.services import lifecycle as petitions
from civic.proposals.services import lifecycle as proposals
from civic.search import indexing
from civic.search.backend import SearchDocument, SearchQuery
from civic.search.indexing import apply_outbox, check_index, reindex, search_backend
from civic.search.models import SearchOutboxEntry
from civic.tasks import run_periodic_tasks
from tests.support.consultations import draft_fields
from tests.support.moderation import hide_comment
from tests.support.petitions import fields as petition_fields
from tests.support.petitions import opened_petition
from tests.support.proposals import fields as proposal_fields


def found(text):
    return {(hit.type, hit.id) for hit in search_backend().search(SearchQuery(text=text)).hits}


def outbox_rows():
    return db.session.scalar(select(func.count()).select_from(SearchOutboxEntry))


@pytest.fixture
def crash_after_commit(monkeypatch):
    """The process dies between the commit and the indexing: nothing is applied after commits until
    `recover()` puts the replay back."""
    replay = indexing.apply_outbox
    monkeypatch.setattr(indexing, "apply_outbox", lambda only=None: 0)
    return lambda: monkeypatch.setattr(indexing, "apply_outbox", replay)


def test_a_posted_comment_is_found_once_committed(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    assert ("comment", comment.id) in found("shelters")
    assert ("discussion", open_discussion.id) in found("car-free")
    assert outbox_rows() == 0


def test_a_hidden_comment_disappears_at_once(app, open_discussion, citizen, moderator):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    hide_comment(moderator, comment, "Off topic")
    assert ("comment", comment.id) not in found("shelters")


def test_a_deleted_comment_disappears(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    delete_comment(citizen, comment)
    assert ("comment", comment.id) not in found("shelters")


def test_a_vote_count_change_writes_nothing_to_the_outbox(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    comment.upvotes += 1
    db.session.commit()
    assert outbox_rows() == 0


def test_a_locked_discussion_is_indexed_again_with_its_new_status(app, open_discussion, moderator):
    lock_discussion(moderator, open_discussion, "Enough said")
    hits = search_backend().search(SearchQuery(text="car-free", types=("discussion",))).hits
    assert [hit.status for hit in hits] == ["locked"]


def test_a_rolled_back_change_leaves_no_outbox_row(app, open_discussion, citizen):
    open_discussion.title = "Something else entirely"
    db.session.flush()
    assert outbox_rows() == 1
    db.session.rollback()
    assert outbox_rows() == 0


@pytest.mark.app_config(CIVIC_PETITION_SPONSORS=2)
def test_draft_petitions_are_not_found_and_opened_ones_are(app, citizen, moderator, outbox):
    draft = petitions.create_petition(citizen, petition_fields(title="Repaint the old bandstand"))
    assert outbox_rows() == 0  # applied: the draft was looked at and left out
    assert ("petition", draft.id) not in found("bandstand")
    petition = opened_petition(citizen, moderator, outbox, title="Plant more trees on Riverside Avenue")
    assert ("petition", petition.id) in found("trees riverside")


def test_a_withdrawn_proposal_disappears(app, citizen):
    proposal = proposals.create_proposal(citizen, proposal_fields())
    assert ("proposal", proposal.id) in found("bicycle park")
    proposals.withdraw_proposal(citizen, proposal)
    assert ("proposal", proposal.id) not in found("bicycle park")


def test_a_crash_between_commit_and_indexing_leaves_a_row_that_the_replay_applies(
    app, open_discussion, citizen, crash_after_commit
):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    assert outbox_rows() >= 1
    assert ("comment", comment.id) not in found("shelters")
    assert ("comment", comment.id) in check_index().missing
    crash_after_commit()
    assert indexing.apply_outbox() >= 1
    assert ("comment", comment.id) in found("shelters")
    assert outbox_rows() == 0
    assert check_index().in_step


def test_pending_outbox_rows_are_applied_when_the_app_starts(
    app, app_config, open_discussion, citizen, crash_after_commit
):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    crash_after_commit()
    assert ("comment", comment.id) not in found("shelters")
    create_app(app_config)  # the process starting again
    assert ("comment", comment.id) in found("shelters")
    assert outbox_rows() == 0


def test_the_periodic_task_applies_pending_rows(app, open_discussion, citizen, crash_after_commit):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    crash_after_commit()
    assert "search index entries brought up to date: 1" in run_periodic_tasks()
    assert ("comment", comment.id) in found("shelters")
    assert outbox_rows() == 0


def test_reindex_rebuilds_and_check_reports_missing_and_extra(app, open_discussion, citizen):
    comment = post_comment(citizen, open_discussion, body="Tram stops need shelters from the rain")
    backend = search_backend()
    backend.remove([("comment", comment.id)])
    backend.index([SearchDocument("comment", 999_999, title="Ghost")])
    result = check_index()
    assert result.missing == [("comment", comment.id)]
    assert result.extra == [("comment", 999_999)]
    read = []
    assert reindex(progress=read.append) == 2
    assert sum(read) == 2
    assert check_index().in_step
    assert apply_outbox() == 0


def test_a_consultation_is_found_once_published_and_with_its_documents_titles(app, official, frozen):
    draft = consultations.create_consultation(
        official,
        draft_fields(title="Low traffic neighbourhood in Eastbrook", summary="Fewer cars through the streets"),
    )
    assert ("consultation", draft.id) not in found("eastbrook")
    consultations.publish_consultation(official, draft)
    assert ("consultation", draft.id) in found("eastbrook")
    document = Document(
        consultation_id=draft.id,
        title="Modal filter map",
        filename="map.pdf",
        stored_name="stored-map",
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
    )
    db.session.add(document)
    commit()
    assert ("consultation", draft.id) in found("modal filter")
