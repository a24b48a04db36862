"""Template helpers of proposals: labels of states and the progress towards the threshold."""

from civic.proposals.models import STATE_LABELS
from civic.proposals.services.queries import progress


def register_template_helpers(app):
    app.jinja_env.globals["proposal_state_label"] = lambda state: STATE_LABELS[getattr(state, "value", state)]
    app.jinja_env.globals["proposal_progress"] = progress
