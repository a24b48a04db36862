"""Template helpers that belong to no domain: the site's name, languages, localised formatting."""

from flask import current_app, request
from flask_babel import format_date, format_decimal, get_locale

from civic.common.i18n import LANGUAGE_NAMES, current_locale, format_moment

# Formatted dates and numbers, kept per process: a page such as a petition's per-day table formats
# hundreds, and Babel takes tens of microseconds for each. The key holds everything the text
# depends on (value, format, language, time zone); the whole dict is dropped when it is full.
FORMATTED_KEPT = 20_000
_formatted = {}


def keep(store, key, make, limit):
    """store[key], made by make() the first time. The key must hold everything the value depends
    on, so a kept value is never stale; when `limit` values are kept they are all dropped (limit
    0: keep nothing). Formatted dates, the layout's parts and comment cards are kept this way."""
    value = store.get(key)
    if value is None:
        value = make()
        if limit:
            if len(store) >= limit:
                store.clear()
            store[key] = value
    return value


def _kept(key, format_now):
    return keep(_formatted, key, format_now, FORMATTED_KEPT)


def number(value):
    return _kept(("number", type(value), value, current_locale()), lambda: format_decimal(value))


def date(value, fmt="medium"):
    if not value:
        return ""
    zone = current_app.config["CIVIC_TIMEZONE"]
    return _kept(("date", type(value), value, fmt, current_locale(), zone), lambda: format_date(value, fmt))


def date_time(value):
    """The `datetime` filter: civic.common.i18n.format_moment, the site's one format for a moment."""
    if not value:
        return ""
    zone = current_app.config["CIVIC_TIMEZONE"]
    return _kept(("datetime", value, current_locale(), zone), lambda: format_moment(value))


def kept(macro, *arguments):
    """A macro of templates/_chrome.html rendered once per app, process and language for its
    arguments (the layout's navigation, footer and texts for the page's script: ~40 translations
    and URLs that are the same on every page). Such a macro may depend on nothing else."""
    parts = current_app.extensions.setdefault("civic_kept_layout", {})
    return keep(parts, (macro.name, current_locale(), arguments), lambda: macro(*arguments), FORMATTED_KEPT)


def register_template_helpers(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["kept"] = kept
    app.jinja_env.filters["datetime"] = date_time
    app.jinja_env.filters["date"] = date
    app.jinja_env.filters["number"] = number

    @app.context_processor
    def inject_site():
        return {
            "site_name": current_app.config["CIVIC_SITE_NAME"],
            "languages": [(code, LANGUAGE_NAMES[code]) for code in current_app.config["CIVIC_LANGUAGES"]],
            "current_language": str(get_locale() or current_app.config["CIVIC_DEFAULT_LANGUAGE"]),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "dev_mail_page": current_app.config["CIVIC_DEV_MAIL_PAGE"] and "mail" in current_app.blueprints,
        }
