"""Template helpers of petitions: labels of states and rejection reasons."""

from civic.petitions.models import REJECTION_LABELS
from civic.petitions.models import STATE_LABELS as PETITION_STATE_LABELS
from civic.petitions.services.queries import progress


def register_template_helpers(app):
    app.jinja_env.globals["petition_state_label"] = lambda state: PETITION_STATE_LABELS[getattr(state, "value", state)]
    app.jinja_env.globals["rejection_label"] = lambda reason: REJECTION_LABELS.get(reason, reason)
    app.jinja_env.globals["petition_progress"] = progress
