"""Language choice and localised formatting."""

from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
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


def current_translations():
    """The catalog of the current locale, kept for the app context beside Flask-Babel's own state.

    Flask-Babel looks the catalog up through several context proxies on every call (~20 µs);
    a page's templates translate dozens of strings, so templates use this instead. The kept
    catalog is reused only while Flask-Babel's locale is the very object it was found for, so
    `force_locale` (emails in the recipient's language) and `refresh()` are obeyed.
    """
    app_ctx = _cv_app.get(None)
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, "civic_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.civic_translations = (locale, translations)
    return translations


def current_locale():
    """flask_babel.get_locale() without its lookups through context proxies once the request's
    locale is known (forced or refreshed locales included: it reads the same state)."""
    app_ctx = _cv_app.get(None)
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    locale = getattr(state, "babel_locale", None)
    return locale if locale is not None else get_locale()


def install_template_gettext(app):
    """Templates translate through `current_translations` (same catalogs, same rules as Flask-Babel)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )
