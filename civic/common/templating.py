"""Template globals: can(), language links, localised formatting."""
from flask import current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from civic.common.i18n import LANGUAGE_NAMES
from civic.notifications.services import unread_count
from civic.permissions import can


def init_templating(app):
    from civic.accounts.services import ROLE_LABELS
    from civic.permissions import Role

    from civic.discussions.forms import STANCE_LABELS

    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS[Role(role)]
    app.jinja_env.globals["can_as"] = can
    from civic.consultations.models import PHASE_LABELS

    from civic.consultations.forms import question_kind_choices

    app.jinja_env.globals["question_kind_label"] = lambda kind: {c.value: c.label for c in question_kind_choices()}[kind]
    app.jinja_env.filters["zip_self"] = lambda items: [(item, item) for item in items]
    app.jinja_env.globals["phase_label"] = lambda phase: PHASE_LABELS[getattr(phase, "value", phase)]
    from civic.consultations.services.documents import cover_of, describe_document, documents_of

    app.jinja_env.globals.update(cover_of=cover_of, documents_of=documents_of, describe_document=describe_document)
    app.jinja_env.globals["stance_label"] = lambda stance: STANCE_LABELS.get(stance, stance)
    from civic.petitions.models import REJECTION_LABELS, STATE_LABELS as PETITION_STATE_LABELS

    app.jinja_env.globals["petition_state_label"] = lambda state: PETITION_STATE_LABELS[getattr(state, "value", state)]
    app.jinja_env.globals["rejection_label"] = lambda reason: REJECTION_LABELS.get(reason, reason)
    from civic.petitions.models import state_of as petition_state

    app.jinja_env.globals["petition_state"] = petition_state

    @app.context_processor
    def inject_globals():
        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            "site_name": current_app.config["CIVIC_SITE_NAME"],
            "languages": [(code, LANGUAGE_NAMES[code]) for code in current_app.config["CIVIC_LANGUAGES"]],
            "current_language": str(get_locale() or current_app.config["CIVIC_DEFAULT_LANGUAGE"]),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "unread_notifications": lambda: unread_count(current_user),
            "dev_mail_page": current_app.config["CIVIC_DEV_MAIL_PAGE"] and "mail" in current_app.blueprints,
        }

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
