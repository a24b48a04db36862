"""Proposal services by use case: lifecycle (posting, editing, withdrawing, moving on time),
supporting (supports and followers), answers (officials' answers and merging duplicates), queries
(reading and lists), consul (importing CONSUL proposals)."""
