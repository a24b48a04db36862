"""Discussion services, one module per use case: categories, discussions (loading, listing,
starting, attached ones, locks and follows), comments (posting, editing, removing, pinning and
their history), votes, and threads (reading a page of a discussion); _shared cleans reasons and
renders comment bodies. Every change commits in its service, then pushes its live event
(civic.discussions.live) after the commit. Callers import the module that owns the function;
nothing is re-exported here."""
