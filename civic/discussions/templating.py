"""Template helpers of discussions: the label of a comment's stance."""

from civic.discussions.models import STANCE_LABELS


def register_template_helpers(app):
    app.jinja_env.globals["stance_label"] = lambda stance: STANCE_LABELS.get(stance, stance)
