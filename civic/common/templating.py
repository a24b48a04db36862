"""Template helpers that belong to no domain: the site's name, languages, localised formatting."""

from flask import current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from civic.common.i18n import LANGUAGE_NAMES


def register_template_helpers(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)

    @app.context_processor
    def inject_site():
        return {
            "site_name": current_app.config["CIVIC_SITE_NAME"],
            "languages": [(code, LANGUAGE_NAMES[code]) for code in current_app.config["CIVIC_LANGUAGES"]],
            "current_language": str(get_locale() or current_app.config["CIVIC_DEFAULT_LANGUAGE"]),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "dev_mail_page": current_app.config["CIVIC_DEV_MAIL_PAGE"] and "mail" in current_app.blueprints,
        }
