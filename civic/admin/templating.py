"""Template helpers of the staff pages: readable names of staff actions, and the counts of what
waits for moderators (shown in the staff navigation)."""

from flask_login import current_user

from civic.admin.overview import listen_for_counted_changes, waiting_counts
from civic.audit.labels import action_label


def register_template_helpers(app):
    app.jinja_env.globals["action_label"] = action_label
    app.jinja_env.globals["staff_waiting"] = lambda: waiting_counts(current_user)
    listen_for_counted_changes()
