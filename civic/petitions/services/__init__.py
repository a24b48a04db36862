"""Petition services, one module per use case: queries (reading, counts and tallies), lifecycle
(drafting, sponsors, moving states, closing on time), moderation, signing, responses (the
official response, debates and mailings to signers), fraud, and exports (CSV and open data).
Callers import the module that owns the function; nothing is re-exported here."""
