"""Questionnaire results as pure functions."""

from datetime import date

from civic.insights.questionnaire_results import OTHER, per_day, summarise


def test_single_choice_counts_and_shares():
    result = summarise("single_choice", ["Bus", "Bus", "Bike", None, OTHER], options=("Bus", "Bike", "Car"))
    assert result["answered"] == 4 and result["skipped"] == 1
    assert result["rows"] == [("Bus", 2, 50.0), ("Bike", 1, 25.0), ("Car", 0, 0.0), (OTHER, 1, 25.0)]


def test_multiple_choice_shares_are_of_respondents():
    result = summarise("multiple_choice", [["A", "B"], ["A"], []], options=("A", "B"))
    assert result["rows"] == [("A", 2, 100.0), ("B", 1, 50.0)] and result["skipped"] == 1


def test_scale_distribution_mean_and_median():
    result = summarise("scale", [0, 10, 10, 5, None], scale=(0, 10))
    assert result["mean"] == 6.25 and result["median"] == 7.5
    assert dict((n, c) for n, c, _s in result["rows"])[10] == 2 and len(result["rows"]) == 11


def test_ranking_average_position_best_first():
    result = summarise("ranking", [["S", "C", "P"], ["C", "S", "P"], ["S", "P", "C"]], options=("P", "S", "C"))
    assert [row[0] for row in result["rows"]] == ["S", "C", "P"]
    assert result["rows"][0][1] == 1.33


def test_yes_no_and_empty():
    assert summarise("yes_no", ["yes", "no", "yes"])["rows"][0] == ("yes", 2, 66.7)
    assert summarise("scale", [None])["mean"] is None


def test_per_day_fills_gaps():
    rows = per_day([date(2027, 3, 1), date(2027, 3, 3), date(2027, 3, 3)])
    assert rows == [(date(2027, 3, 1), 1), (date(2027, 3, 2), 0), (date(2027, 3, 3), 2)]
    assert per_day([]) == []
