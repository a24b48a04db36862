"""Template helpers of accounts: the label of a role."""

from civic.accounts.services.roles import ROLE_LABELS
from civic.permissions import Role


def register_template_helpers(app):
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS[Role(role)]
