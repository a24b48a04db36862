"""Moderation use cases: reporting content (reports.py)."""
