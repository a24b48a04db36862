"""Pabulib files: reading, writing, the line of every mistake, and the published outcome reproduced."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civic.budgets.pabulib import (
    PabulibError,
    PabulibFile,
    PabulibProject,
    PabulibVote,
    budget_of,
    decode_pabulib,
    parse_pabulib,
    projects_and_ballots,
    rule_of,
    write_pabulib,
)
from civic.insights.budget_rules import compute_result

DATA = Path(__file__).resolve().parent.parent / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))

VALID = """META
key;value
budget;100
rule;greedy
PROJECTS
project_id;cost;votes;name
p1;60;2;First
p2;50;1;Second
VOTES
voter_id;vote
1;p1,p2
2;p1
"""
WITH_POINTS = VALID.replace("voter_id;vote\n1;p1,p2\n2;p1", "voter_id;vote;points\n1;p1,p2;2,1\n2;p1;1")


def read(name):
    return parse_pabulib((DATA / name).read_text(encoding="utf-8"))


def test_a_file_is_read_with_its_sections_and_typed_values():
    pb = read("greedy_approval.pb")
    assert pb.meta["rule"] == "greedy" and budget_of(pb.meta) == 100_000
    assert [p.project_id for p in pb.projects] == ["1", "2", "3", "4", "5"]
    first = pb.projects[0]
    assert (first.cost, first.votes, first.selected, first.name) == (60_000, 6, 1, "Playground; with a fence")
    assert pb.projects[2].name == 'Trees on "Main" street'
    assert pb.votes[0].vote == ["1", "2", "3"] and pb.votes[0].other == {"age": "34", "sex": "F"}
    assert pb.votes[-1].vote == []  # an empty ballot
    cumulative = read("cumulative.pb")
    assert cumulative.votes[1].points == [4, 1]
    assert cumulative.projects[0].score == 9


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_the_files_rule_reproduces_its_selected_column(path):
    pb = parse_pabulib(path.read_text(encoding="utf-8"))
    projects, ballots = projects_and_ballots(pb)
    file_order = [p.id for p in projects]
    result = compute_result(rule_of(pb.meta), budget_of(pb.meta), projects, ballots, tie_order=file_order)
    selected = {p.project_id for p in pb.projects if p.selected}
    assert set(result.funded) == selected
    for project in result.projects:  # the file's own counts agree with the ballots'
        listed = next(p for p in pb.projects if p.project_id == project.id)
        assert project.votes == (listed.score if listed.score is not None else listed.votes)


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_writing_then_reading_gives_the_same_file(path):
    pb = parse_pabulib(path.read_text(encoding="utf-8"))
    again = parse_pabulib(write_pabulib(pb))
    assert again == pb
    projects, ballots = projects_and_ballots(again)
    rule = rule_of(again.meta)
    assert compute_result(rule, budget_of(again.meta), projects, ballots) == compute_result(
        rule, budget_of(pb.meta), *projects_and_ballots(pb)
    )


def test_ties_follow_the_files_ranking_only_when_asked():
    pb = read("greedy_tie.pb")
    projects, ballots = projects_and_ballots(pb)
    assert compute_result("greedy", 100, projects, ballots, tie_order=["x", "y", "z"]).funded == ("x", "z")
    assert compute_result("greedy", 100, projects, ballots).funded == ("y", "z")  # Civic's own: cheaper first


def test_a_file_built_in_code_is_written_with_the_columns_it_uses():
    pb = PabulibFile(
        meta={"budget": "10", "rule": "greedy", "vote_type": "cumulative"},
        projects=[PabulibProject("a", 5, name="A;1", votes=1, score=3, selected=1)],
        votes=[PabulibVote("v1", ["a"], [3])],
    )
    text = write_pabulib(pb)
    assert "project_id;cost;name;votes;score;selected" in text
    assert 'a;5;"A;1";1;3;1' in text
    assert "voter_id;vote;points\nv1;a;3" in text
    again = parse_pabulib(text)
    assert again.projects == pb.projects and again.votes == pb.votes and again.meta == pb.meta


@pytest.mark.parametrize(
    "broken, line, message",
    [
        (VALID.replace("VOTES\nvoter_id;vote\n1;p1,p2\n2;p1\n", ""), 9, "section VOTES is missing"),
        (VALID.replace("PROJECTS\n", ""), 8, "section VOTES comes before PROJECTS"),
        (VALID.replace("rule;greedy", "rule;greedy;now"), 4, "META line must be key;value"),
        (VALID.replace("META\n", ""), 1, "must start with the section META"),
        (VALID.replace("1;p1,p2", "1;p1,p9"), 11, "unknown project p9"),
        (VALID.replace("1;p1,p2", "1;p1,p1"), 11, "names a project twice"),
        (VALID.replace("p2;50;1", "p2;5O;1"), 8, "cost of project p2 is not a whole number: '5O'"),
        (VALID.replace("p2;50;1", "p2;50.5;1"), 8, "not a whole number"),
        (VALID.replace("p2;50;1", "p2;0;1"), 8, "must be more than 0"),
        (VALID.replace("p2;50;1", "p2;50;many"), 8, "votes of project p2 is not a whole number"),
        (VALID.replace("p2;50;1", "p1;50;1"), 8, "project p1 is listed twice"),
        (VALID.replace("2;p1\n", "1;p1\n"), 12, "voter 1 votes twice"),
        (VALID.replace("budget;100", "budget;lots"), 3, "budget is not a number"),
        (VALID.replace("budget;100\n", ""), 1, "META has no budget"),
        (VALID.replace("p2;50;1;Second", "p2;50;1"), 8, "3 values where the PROJECTS header has 4"),
        (VALID.replace("project_id;cost", "project_id;price"), 6, "no column cost"),
        (WITH_POINTS.replace("2;p1;1", "2;p1;x"), 12, "points of voter 2 is not a whole number"),
        (WITH_POINTS.replace("2;p1;1", "2;p1;1,2"), 12, "1 projects but 2 points"),
        (WITH_POINTS.replace("2;p1;1", "2;p1;-1"), 12, "cannot be negative"),
        (VALID + "PROJECTS\n", 13, "section PROJECTS appears twice"),
        (VALID.replace("rule;greedy", "budget;5"), 4, "META key budget appears twice"),
    ],
)
def test_a_malformed_file_names_the_line_at_fault(broken, line, message):
    with pytest.raises(PabulibError) as raised:
        parse_pabulib(broken)
    assert raised.value.line_number == line
    assert message in raised.value.message
    assert f"line {line}" in str(raised.value)


def test_bytes_that_are_not_utf8_name_their_line():
    assert decode_pabulib("\ufeffMETA\nunit;Łódź\n".encode()) == "META\nunit;Łódź\n"
    with pytest.raises(PabulibError, match="line 3: the file is not UTF-8 text"):
        decode_pabulib("META\nkey;value\nunit;Łódź\n".encode("iso-8859-2"))


def test_sections_out_of_order_are_named():
    broken = VALID.replace("PROJECTS\nproject_id;cost;votes;name\np1;60;2;First\np2;50;1;Second\n", "")
    broken += "PROJECTS\nproject_id;cost\np1;60\n"
    with pytest.raises(PabulibError, match="line 5: section VOTES comes before PROJECTS"):
        parse_pabulib(broken)


def test_blank_lines_and_a_byte_order_mark_are_allowed():
    pb = parse_pabulib("\ufeff" + VALID.replace("PROJECTS\n", "\nPROJECTS\n").replace("VOTES", "\n\nVOTES"))
    assert len(pb.projects) == 2 and len(pb.votes) == 2


@pytest.mark.parametrize(
    "written, rule",
    [
        ("greedy", "greedy"),
        ("Greedy", "greedy"),
        ("greedy-no-skip", "greedy-no-skip"),
        ("greedy_no_skip", "greedy-no-skip"),
        ("equalshares", "equalshares"),
        ("equalshares/add1", "equalshares"),
        ("equalshares/add1u/greedy", "equalshares"),
    ],
)
def test_the_rule_in_meta_maps_to_one_of_civics_rules(written, rule):
    assert rule_of({"rule": written}) == rule


@pytest.mark.parametrize("written", ["unknown", "greedy-threshold", "greedy-exclusive", "greedy-custom", "borda"])
def test_a_rule_civic_cannot_reproduce_is_refused(written):
    """Pabulib's other rule names: a threshold of votes, zones excluding each other, a city's own
    adjustments described in a comment, or no known rule. Greedy would give another outcome."""
    with pytest.raises(PabulibError, match="not one Civic can compute"):
        rule_of({"rule": written})


def test_a_file_without_a_rule_is_greedy():
    assert rule_of({}) == "greedy"


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12).map(str.strip)
ID = st.text("abcdefgh0123456789_-", min_size=1, max_size=6)


@st.composite
def pabulib_files(draw):
    ids = draw(st.lists(ID, min_size=1, max_size=5, unique=True))
    projects = [
        PabulibProject(
            i,
            draw(st.integers(1, 10**9)),
            name=draw(TEXT),
            votes=draw(st.integers(0, 10**6)),
            selected=draw(st.sampled_from([0, 1])),
        )
        for i in ids
    ]
    cumulative = draw(st.booleans())
    votes = []
    for voter in draw(st.lists(ID, max_size=6, unique=True)):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True))
        points = [draw(st.integers(0, 9)) for _ in chosen] if cumulative else None
        votes.append(PabulibVote(voter, chosen, points, {"age": str(draw(st.integers(16, 99)))}))
    meta = {"budget": str(draw(st.integers(0, 10**9))), "rule": "greedy", "description": draw(TEXT)}
    columns = ["voter_id", "vote", "points", "age"] if cumulative else ["voter_id", "vote", "age"]
    return PabulibFile(meta, projects, votes, ["project_id", "cost", "name", "votes", "selected"], columns)


@settings(max_examples=150, deadline=None, database=None)
@given(pabulib_files())
def test_any_file_survives_a_round_trip(pb):
    assert parse_pabulib(write_pabulib(pb)) == pb
