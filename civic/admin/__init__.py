"""Administration pages: people and their roles, the categories of discussions, and the audit log."""
