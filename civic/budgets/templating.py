"""Template helpers of budgets: labels of phases, rules, ballots and feasibility."""

from civic.budgets.models import BALLOT_KIND_LABELS, FEASIBILITY_LABELS, PHASE_LABELS, RULE_LABELS


def _label(table):
    return lambda code: table.get(getattr(code, "value", code), code)


def register_template_helpers(app):
    app.jinja_env.globals["budget_phase_label"] = _label(PHASE_LABELS)
    app.jinja_env.globals["budget_rule_label"] = _label(RULE_LABELS)
    app.jinja_env.globals["ballot_kind_label"] = _label(BALLOT_KIND_LABELS)
    app.jinja_env.globals["feasibility_label"] = _label(FEASIBILITY_LABELS)
