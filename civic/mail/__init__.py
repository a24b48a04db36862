"""Outgoing mail: one service, an SMTP backend and a developer outbox."""
