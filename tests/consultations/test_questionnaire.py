"""Each question type accepts what fits it and refuses the rest (pure functions, no app)."""

import pytest

from civic.consultations.questionnaire import (
    OTHER,
    QuestionSpec,
    check_answer,
    check_options,
    ranking_from_positions,
)

CHOICES = ("Buses", "Bikes", "Walking")


@pytest.mark.parametrize("kind,limit", [("short_text", 500), ("long_text", 10_000)])
def test_text_answers(kind, limit):
    spec = QuestionSpec(kind)
    assert check_answer(spec, "  hello \r\n world ").value == "hello \n world"
    assert check_answer(spec, "x" * limit).problem is None
    too_long = check_answer(spec, "x" * (limit + 1))
    assert too_long.problem == "too_long" and too_long.numbers == {"max": limit, "length": limit + 1}
    assert check_answer(QuestionSpec(kind, required=True), "   ").problem == "required"
    assert check_answer(spec, "").problem is None


def test_single_choice():
    spec = QuestionSpec("single_choice", options=CHOICES)
    assert check_answer(spec, "Bikes").value == "Bikes"
    assert check_answer(spec, "Rockets").problem == "not_offered"
    assert check_answer(spec, ["Bikes", "Buses"]).problem == "one_choice"
    assert check_answer(spec, OTHER).problem == "not_offered"  # "other" not allowed here
    with_other = QuestionSpec("single_choice", options=CHOICES, allow_other=True)
    assert check_answer(with_other, OTHER, "Scooters").other == "Scooters"
    assert check_answer(with_other, OTHER, "  ").problem == "other_empty"
    assert check_answer(QuestionSpec("single_choice", required=True, options=CHOICES), None).problem == "required"


def test_multiple_choice():
    spec = QuestionSpec("multiple_choice", options=CHOICES, allow_other=True)
    checked = check_answer(spec, ["Walking", "Buses", "Walking", OTHER], "Trams")
    assert checked.value == ["Walking", "Buses"] and checked.other == "Trams"
    assert check_answer(spec, ["Buses", "Rockets"]).problem == "not_offered"
    assert check_answer(spec, []).value == []
    assert check_answer(QuestionSpec("multiple_choice", required=True, options=CHOICES), []).problem == "required"


@pytest.mark.parametrize("low,high", [(1, 5), (0, 10)])
def test_scale(low, high):
    spec = QuestionSpec("scale", scale_min=low, scale_max=high)
    assert check_answer(spec, str(low)).value == low and check_answer(spec, str(high)).value == high
    for bad in (str(low - 1), str(high + 1), "3.5", "many"):
        checked = check_answer(spec, bad)
        assert checked.problem == "out_of_range" and checked.numbers == {"min": low, "max": high}


def test_ranking():
    spec = QuestionSpec("ranking", options=CHOICES, required=True)
    assert check_answer(spec, ["Walking", "Buses", "Bikes"]).value == ["Walking", "Buses", "Bikes"]
    assert check_answer(spec, ["Walking", "Buses"]).problem == "rank_all"
    assert check_answer(spec, ["Walking", "Walking", "Bikes"]).problem == "rank_all"
    assert check_answer(spec, []).problem == "required"
    assert ranking_from_positions(CHOICES, {"Buses": "2", "Bikes": "3", "Walking": "1"}) == [
        "Walking",
        "Buses",
        "Bikes",
    ]
    assert ranking_from_positions(CHOICES, {"Buses": "1", "Bikes": "1", "Walking": "2"}) == ["?"]
    assert ranking_from_positions(CHOICES, {}) == []


def test_yes_no():
    spec = QuestionSpec("yes_no", required=True)
    assert check_answer(spec, "yes").value == "yes" and check_answer(spec, "no").value == "no"
    assert check_answer(spec, "maybe").problem == "not_offered"
    assert check_answer(spec, "").problem == "required"


def test_options_typed_by_officials():
    assert check_options("single_choice", [" Buses ", "Bikes", "Buses", ""]) == ["Buses", "Bikes"]
    assert check_options("single_choice", ["Only one"]) is None
    assert check_options("ranking", ["x" * 201, "b"]) is None
    assert check_options("short_text", ["ignored"]) == []
