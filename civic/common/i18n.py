"""Language choice and localised formatting."""

from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, to_user_timezone
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


def _babel_state():
    """Flask-Babel's own per-app-context state (its locale, once chosen), read without proxies."""
    app_ctx = _cv_app.get(None)
    return app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None


def current_translations():
    """The catalog of the current locale, kept for the app context beside Flask-Babel's own state.

    Flask-Babel looks the catalog up through several context proxies on every call (~20 µs);
    a page's templates translate dozens of strings, so templates use this instead. The kept
    catalog is reused only while Flask-Babel's locale is the very object it was found for, so
    `force_locale` (emails in the recipient's language) and `refresh()` are obeyed.
    """
    state = _babel_state()
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, "civic_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state = _babel_state()  # get_translations() may have just created it and chosen the locale
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.civic_translations = (locale, translations)
    return translations


def current_locale():
    """flask_babel.get_locale() without its lookups through context proxies once the request's
    locale is known (forced or refreshed locales included: it reads the same state)."""
    locale = getattr(_babel_state(), "babel_locale", None)
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


class MomentFormat:
    """The site's one way to write a moment: the medium date and the short time ("Dec 1, 2026,
    2:06 PM", "1 dic 2026, 14:06"), never seconds, in the site's time zone; the locale's patterns
    looked up once, as babel.dates.format_datetime combines them."""

    def __init__(self, locale):
        self.locale = locale
        self.combined = get_datetime_format("medium", locale).replace("'", "")
        self.date = get_date_format("medium", locale)
        self.time = get_time_format("short", locale)

    def __call__(self, value):
        local = to_user_timezone(value)
        text = self.combined.replace("{0}", self.time.apply(local, self.locale))
        return text.replace("{1}", self.date.apply(local, self.locale))


_moment_formats = {}


def format_moment(value):
    """A date and time as the site writes them everywhere (pages, emails, services' messages)."""
    if not value:
        return ""
    locale = current_locale()
    moment_format = _moment_formats.get(locale)
    if moment_format is None:
        moment_format = _moment_formats[locale] = MomentFormat(locale)
    return moment_format(value)
