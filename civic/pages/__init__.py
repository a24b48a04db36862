"""Site pages: home, about, accessibility, privacy, health check, language choice."""
