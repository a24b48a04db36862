"""Consultation pages, one module per use case, all on the one blueprint of views/blueprint.py.
Importing this package attaches every route to it."""

from civic.consultations.views import (  # noqa: F401
    anonymous_responses,
    documents,
    draft_text,
    follows,
    lifecycle,
    questions,
    responses,
    results,
    statements,
)
