"""Accountability services by use case: records (opening a record for an accepted proposal or a
funded project, officials changing its status, progress and money, following it), milestones
(dated steps with an optional photo; the people concerned told in-app and by batched mail) and
queries (the public list and one record). Callers import the module that owns the function."""
