"""Language choice and localised formatting."""

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale():
    languages = current_app.config["CIVIC_LANGUAGES"]
    if not has_request_context():
        return current_app.config["CIVIC_DEFAULT_LANGUAGE"]
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    user_language = getattr(current_user, "language", None) if current_user else None
    if user_language in languages:
        return user_language
    return request.accept_languages.best_match(languages) or current_app.config["CIVIC_DEFAULT_LANGUAGE"]


def select_timezone():
    return current_app.config["CIVIC_TIMEZONE"]


LANGUAGE_NAMES = {"en": "English", "es": "Español"}
