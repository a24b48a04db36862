"""The outcome's "you said / we did" points, each linked to a question (with its results) or a theme."""

from datetime import timedelta

import pytest

from civic.consultations.models import Correction, OutcomeItem
from civic.consultations.services import lifecycle, responses, results
from civic.errors import InvalidInput
from civic.extensions import db
from tests.support.consultations import answers

Row = lifecycle.OutcomeItemRow


@pytest.fixture
def closed(survey, make_user, frozen):
    for name in ("Ana", "Ben", "Cy"):
        responses.submit_response(
            make_user(name=name),
            survey,
            answers(survey, **{"Would you support a car-free Saturday?": ("no" if name == "Cy" else "yes", "")}),
        )
    frozen.set(survey.closes_at + timedelta(days=1))
    return survey


def _question(survey, prompt):
    return next(q for q in survey.questions if q.prompt == prompt)


def test_points_link_questions_and_themes_and_show_the_results(app, closed, official, web):
    saturday = _question(closed, "Would you support a car-free Saturday?")
    lifecycle.publish_outcome(
        official,
        closed,
        "We will try it in June.",
        [
            Row(question_id=str(saturday.id), you_said="Two in three of you want it.", we_did="A trial in June."),
            Row(),  # an empty row is dropped
            Row(theme="Night buses", you_said="Many asked for later buses.", we_did="Two more routes after midnight."),
        ],
    )
    points = results.outcome_points(closed)
    assert [item.position for item, _s in points] == [0, 1]
    (first, summary), (second, none) = points
    assert first.question_id == saturday.id and none is None and second.theme == "Night buses"
    assert summary["answered"] == 3 and summary["rows"][0] == ("yes", 2, 66.7)
    page = web.get(f"/consultations/{closed.id}").get_data(as_text=True)
    assert "About the question “Would you support a car-free Saturday?”" in page
    assert "A trial in June." in page and "Night buses" in page and "66.7%" in page
    assert "Scooter" not in page  # results are counts only, never someone's words


def test_bad_points_are_refused_row_by_row_and_nothing_changes(app, closed, official):
    with pytest.raises(InvalidInput) as info:
        lifecycle.publish_outcome(
            official,
            closed,
            "",
            [
                Row(you_said="Said", we_did=""),
                Row(question_id="999999", you_said="x", we_did="y"),
                Row(theme="T", you_said="x" * 2001, we_did="y"),
            ],
        )
    assert set(info.value.errors) == {
        "outcome",
        "items-0-theme",
        "items-0-we_did",
        "items-1-question_id",
        "items-2-you_said",
    }
    db.session.rollback()
    assert closed.outcome_published_at is None and db.session.query(OutcomeItem).count() == 0


def test_updating_replaces_the_points_and_is_listed_as_a_correction(app, closed, official):
    lifecycle.publish_outcome(official, closed, "First.", [Row(theme="A", you_said="x", we_did="y")])
    lifecycle.publish_outcome(official, closed, "Second.", [Row(theme="B", you_said="x", we_did="y")])
    assert [item.theme for item in closed.outcome_items] == ["B"]
    assert db.session.query(Correction).filter_by(fields="outcome").count() == 1
    lifecycle.publish_outcome(official, closed, "Third.")  # points kept when none are given
    assert [item.theme for item in closed.outcome_items] == ["B"]


def test_the_outcome_form_keeps_what_was_typed(app, closed, official, web):
    web.sign_in(official.email)
    url = f"/consultations/{closed.id}/outcome"
    page = web.get(url).get_data(as_text=True)
    assert page.count("You said") >= 3 and "Would you support a car-free Saturday?" in page
    bad = web.post(
        url,
        {"outcome": "Decided.", "items-0-theme": "Parking", "items-0-you_said": "Too little.", "items-0-we_did": ""},
        form_url=url,
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Point 1: Say what was decided about it." in text and "Too little." in text
    good = web.post(
        url,
        {
            "outcome": "Decided.",
            "items-0-theme": "Parking",
            "items-0-you_said": "Too little.",
            "items-0-we_did": "More spaces.",
        },
        form_url=url,
    )
    assert good.status_code == 302
    assert "More spaces." in web.get(f"/consultations/{closed.id}").get_data(as_text=True)
