"""Petitions: from idea to official response, every signature verified and counted once."""
