"""Helpers that belong to no domain, and import none: time, transactions, errors to HTTP, forms, text."""
