"""How consultations appear in search: published ones only (`Consultation.is_published`; a draft is
for officials), with their documents' titles, and their discussion following them when they change."""

from flask import current_app

from civic.common.urls import path_for
from civic.consultations.models import Consultation, Document
from civic.search.backend import SearchDocument, guess_language
from civic.search.indexing import register_search_kind, register_search_part

WATCHED = (
    "title",
    "summary",
    "body_markdown",
    "topic",
    "area",
    "published_at",
    "opens_at",
    "closes_at",
    "outcome_published_at",
    "discussion_id",
)


def consultation_document(consultation):
    titles = "\n".join(document.title for document in consultation.documents if document.title)
    body = "\n".join(part for part in (consultation.body_markdown, titles) if part)
    return SearchDocument(
        type="consultation",
        id=consultation.id,
        language=guess_language(
            f"{consultation.title}\n{consultation.summary}\n{body}", current_app.config["CIVIC_DEFAULT_LANGUAGE"]
        ),
        title=consultation.title,
        summary=consultation.summary,
        body=body,
        url=path_for("consultations.show", consultation_id=consultation.id),
        status=consultation.phase.value,
        topic=consultation.topic,
        area=consultation.area,
        created_at=consultation.published_at or consultation.created_at,
        public=consultation.is_published,
    )


def discussion_of(consultation):
    return [("discussion", consultation.discussion_id)] if consultation.discussion_id else []


def register_search_documents():
    register_search_kind("consultation", Consultation, consultation_document, watched=WATCHED, dependents=discussion_of)
    register_search_part(Document, lambda document: ("consultation", document.consultation_id))
