"""Consultation test helpers: when the shared survey opens, and a filled-in answer to each of its questions."""

from datetime import datetime

from tests.support.clock import UTC

OPENS = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # the `survey` fixture's opening


def answers(survey, **overrides):
    q = {question.prompt: question.id for question in survey.questions}
    base = {
        q["Where do you live?"]: ("Old Town", ""),
        q["What would make your trips better?"]: ("More frequent buses at night.", ""),
        q["How do you usually travel?"]: ("__other__", "Scooter"),
        q["Which would you use?"]: (["Night bus", "Bike lanes"], ""),
        q["How safe do you feel cycling?"]: ("3", ""),
        q["Rank these priorities"]: (["Safety", "Cost", "Speed"], ""),
        q["Would you support a car-free Saturday?"]: ("yes", ""),
    }
    for prompt, value in overrides.items():
        base[q[prompt]] = value
    return base


def draft_fields(**overrides):
    """ConsultationFields for a draft: a draft has its dates from the start (opening OPENS, closing
    a month later, in the site's local time)."""
    from civic.consultations.services.lifecycle import ConsultationFields

    values = {"opens_local": OPENS.replace(tzinfo=None), "closes_local": datetime(2027, 4, 1, 9, 0)}
    values.update(overrides)
    return ConsultationFields(**values)
