"""Template helpers of notifications: the signed-in person's unread count, for the site's header."""

from flask_login import current_user

from civic.notifications.services import unread_count


def register_template_helpers(app):
    app.jinja_env.globals["unread_notifications"] = lambda: unread_count(current_user)
