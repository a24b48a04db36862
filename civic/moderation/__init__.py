"""Moderation: reports of content by the people who read it, and what staff decide about them."""
