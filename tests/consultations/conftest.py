"""Shared consultation fixtures: an open survey with one question of every kind (fill it in with
tests.support.consultations.answers)."""

from datetime import datetime, timedelta

import pytest

from civic.consultations.services import lifecycle, questions
from tests.support.consultations import OPENS


@pytest.fixture
def survey(app, frozen, official):
    """Drafted and published ten days before OPENS; the clock then stands a day after it opened."""
    frozen.set(OPENS - timedelta(days=10))
    c = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Getting around",
            summary="How do you travel?",
            opens_local=OPENS.replace(tzinfo=None),
            closes_local=datetime(2027, 4, 1, 9, 0),
        ),
    )
    Q = questions.QuestionData
    for data in (
        Q(kind="short_text", prompt="Where do you live?", section="About you"),
        Q(kind="long_text", prompt="What would make your trips better?", required=True),
        Q(
            kind="single_choice",
            prompt="How do you usually travel?",
            options=("Bus", "Bike", "Car"),
            allow_other=True,
            required=True,
        ),
        Q(kind="multiple_choice", prompt="Which would you use?", options=("Night bus", "Bike lanes", "Car share")),
        Q(
            kind="scale",
            prompt="How safe do you feel cycling?",
            scale="0-10",
            scale_min_label="Not at all",
            scale_max_label="Completely",
        ),
        Q(kind="ranking", prompt="Rank these priorities", options=("Safety", "Speed", "Cost")),
        Q(kind="yes_no", prompt="Would you support a car-free Saturday?", required=True),
    ):
        questions.save_question(official, c, data)
    lifecycle.publish_consultation(official, c)
    frozen.set(OPENS + timedelta(days=1))
    return c
