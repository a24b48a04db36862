"""Account services, one module per use case: people (finding people, normalising addresses),
registration (and verification), sign_in (credentials, the per-account throttle), sessions (the
signed-in browsers, revocable on the server), two_factor, password_changes, email_changes,
profile, and roles. Callers import the module that owns the function; nothing is re-exported here."""
