"""In-app notifications: mentions, replies, and new comments in followed discussions."""
