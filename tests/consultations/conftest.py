"""Shared consultation fixtures: frozen time, an official, and an open survey with one question
of every kind (and `answers`, which fills it in)."""
from datetime import datetime, timedelta, timezone

import pytest

from civic.common import clock
from civic.consultations.services import lifecycle, questions

UTC = timezone.utc
OPENS = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    holder = {"now": OPENS + timedelta(days=1)}
    monkeypatch.setattr(clock, "now", lambda: holder["now"])
    return holder


@pytest.fixture
def official(make_user):
    return make_user("olga@example.org", roles=("citizen", "official"), name="Olga Official")


@pytest.fixture
def survey(app, now, official):
    holder_now = now["now"]
    now["now"] = OPENS - timedelta(days=10)
    c = lifecycle.create_consultation(official, lifecycle.ConsultationFields(
        title="Getting around", summary="How do you travel?", opens_local=OPENS.replace(tzinfo=None),
        closes_local=datetime(2027, 4, 1, 9, 0)))
    Q = questions.QuestionData
    for data in (
        Q(kind="short_text", prompt="Where do you live?", section="About you"),
        Q(kind="long_text", prompt="What would make your trips better?", required=True),
        Q(kind="single_choice", prompt="How do you usually travel?", options=("Bus", "Bike", "Car"),
          allow_other=True, required=True),
        Q(kind="multiple_choice", prompt="Which would you use?", options=("Night bus", "Bike lanes", "Car share")),
        Q(kind="scale", prompt="How safe do you feel cycling?", scale="0-10", scale_min_label="Not at all",
          scale_max_label="Completely"),
        Q(kind="ranking", prompt="Rank these priorities", options=("Safety", "Speed", "Cost")),
        Q(kind="yes_no", prompt="Would you support a car-free Saturday?", required=True),
    ):
        questions.save_question(official, c, data)
    lifecycle.publish_consultation(official, c)
    now["now"] = holder_now
    return c


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
