"""Administration pages: people and their roles, and the audit log."""
