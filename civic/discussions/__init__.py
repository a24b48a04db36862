"""Discussions: topics in categories, and threads attached to any participatory object."""
