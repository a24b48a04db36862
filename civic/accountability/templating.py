"""Template helpers of accountability: status labels, and the record of a proposal or of budget
projects for the pages of those domains (which import nothing of accountability)."""

from civic.accountability.models import KIND_LABELS, STATUS_LABELS
from civic.accountability.services.queries import record_of_proposal, records_of_projects


def register_template_helpers(app):
    app.jinja_env.globals["implementation_status_label"] = lambda status: str(STATUS_LABELS.get(status, status))
    app.jinja_env.globals["implementation_kind_label"] = lambda kind: str(KIND_LABELS.get(kind, kind))
    app.jinja_env.globals["implementation_record_of_proposal"] = record_of_proposal
    app.jinja_env.globals["implementation_records_of_projects"] = records_of_projects
