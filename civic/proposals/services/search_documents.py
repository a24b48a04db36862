"""How proposals appear in search: those the list shows (the LISTED set: not withdrawn, not merged
into another), and their discussion following them when they change."""

from flask import current_app

from civic.common.urls import path_for
from civic.proposals.models import LISTED, Proposal
from civic.search.backend import SearchDocument, guess_language
from civic.search.indexing import register_search_kind

WATCHED = ("title", "summary", "body_markdown", "topic", "area", "state", "discussion_id", "answer_markdown")


def proposal_document(proposal):
    return SearchDocument(
        type="proposal",
        id=proposal.id,
        language=guess_language(
            f"{proposal.title}\n{proposal.summary}\n{proposal.body_markdown}",
            current_app.config["CIVIC_DEFAULT_LANGUAGE"],
        ),
        title=proposal.title,
        summary=proposal.summary,
        body=proposal.body_markdown,
        url=path_for("proposals.show", proposal_id=proposal.id),
        status=proposal.current_state.value,
        topic=proposal.topic,
        area=proposal.area,
        created_at=proposal.published_at,
        public=proposal.current_state in LISTED,
    )


def discussion_of(proposal):
    return [("discussion", proposal.discussion_id)] if proposal.discussion_id else []


def register_search_documents():
    register_search_kind("proposal", Proposal, proposal_document, watched=WATCHED, dependents=discussion_of)
