"""Consultation services, one module per use case: lifecycle (listing, drafting, publishing,
closing, the timeline and the outcome), questions, responses, anonymous_responses, results,
follows, statements, documents and draft_text. Callers import from the module that owns the
function."""
