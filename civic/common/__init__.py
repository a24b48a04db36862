"""Helpers that belong to no single domain."""
