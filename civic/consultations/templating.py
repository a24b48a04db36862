"""Template helpers of consultations: labels of phases and question kinds, documents and the cover."""

from civic.consultations.forms import question_kind_choices
from civic.consultations.models import PHASE_LABELS
from civic.consultations.questionnaire import KINDS, SETTINGS_OF_KIND
from civic.consultations.services.documents import cover_of, describe_document, documents_of


def register_template_helpers(app):
    app.jinja_env.globals["question_kind_label"] = lambda kind: {c.value: c.label for c in question_kind_choices()}[
        kind
    ]
    app.jinja_env.globals["phase_label"] = lambda phase: PHASE_LABELS[getattr(phase, "value", phase)]
    app.jinja_env.globals.update(cover_of=cover_of, documents_of=documents_of, describe_document=describe_document)
    # The question editor shows the settings of the kind chosen (questionnaire.SETTINGS_OF_KIND).
    app.jinja_env.globals["settings_of_kind"] = lambda kind: SETTINGS_OF_KIND.get(kind, frozenset())
    app.jinja_env.globals["kinds_with_setting"] = lambda setting: [k for k in KINDS if setting in SETTINGS_OF_KIND[k]]
    # The options of a question as (value, label) pairs, for the radio and checkbox macros.
    app.jinja_env.filters["zip_self"] = lambda items: [(item, item) for item in items]
