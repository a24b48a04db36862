"""How petitions appear in search: the public ones only (`Petition.is_public`, the PUBLIC set), and
their discussion following them when they change."""

from flask import current_app

from civic.common.urls import path_for
from civic.petitions.models import Petition
from civic.search.backend import SearchDocument, guess_language
from civic.search.indexing import register_search_kind

WATCHED = ("title", "background", "details", "topic", "state", "response_summary", "discussion_id", "closes_at")


def petition_document(petition):
    body = "\n".join(part for part in (petition.details, petition.response_summary) if part)
    return SearchDocument(
        type="petition",
        id=petition.id,
        language=guess_language(
            f"{petition.title}\n{petition.background}\n{body}", current_app.config["CIVIC_DEFAULT_LANGUAGE"]
        ),
        title=petition.title,
        summary=petition.background,
        body=body,
        url=path_for("petitions.show", petition_id=petition.id),
        status=petition.current_state.value,
        topic=petition.topic,
        created_at=petition.opened_at or petition.created_at,
        public=petition.is_public,
    )


def discussion_of(petition):
    return [("discussion", petition.discussion_id)] if petition.discussion_id else []


def register_search_documents():
    register_search_kind("petition", Petition, petition_document, watched=WATCHED, dependents=discussion_of)
