"""Read and write the Pabulib format (.pb files): pure functions over text, no database.

The format is described in "Pabulib: A Participatory Budgeting Library" (Faliszewski et al., 2023)
and at pabulib.org/format: three sections, META, PROJECTS and VOTES, in that order, each a line
with the section's name, a header line, then rows of `;`-separated values (quoted with `"` when a
value holds a `;`, as Python's csv module and pabutools read them). A vote lists the chosen
project ids separated by commas; a cumulative or scoring vote adds `points`, one per project.

Every value is kept as text except those Civic computes with: a project's cost, votes, score and
selected, and a vote's points are whole numbers. Civic counts money in whole currency units, so
a cost with decimals other than zeros ("1200.50") is refused, as is a bad number anywhere.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from civic.insights.budget_rules import RULES, Project

SECTIONS = ("meta", "projects", "votes")
PROJECT_NUMBERS = ("cost", "votes", "score", "selected")
_WHOLE = re.compile(r"^[+-]?\d+(?:[.,]0*)?$")


class PabulibError(ValueError):
    """A file that is not valid Pabulib; line_number is 1-based (None when no single line is at fault)."""

    def __init__(self, line_number: int | None, message: str):
        self.line_number = line_number
        self.message = message
        super().__init__(f"line {line_number}: {message}" if line_number else message)


@dataclass
class PabulibProject:
    project_id: str
    cost: int
    name: str = ""
    votes: int | None = None
    score: int | None = None
    selected: int | None = None  # 1 funded, 0 not (Poznań's files also use 2: funded by its 80% rule)
    other: dict[str, str] = field(default_factory=dict)  # every other column, by its header name


@dataclass
class PabulibVote:
    voter_id: str
    vote: list[str]
    points: list[int] | None = None
    other: dict[str, str] = field(default_factory=dict)  # age, sex, voting_method... as written


@dataclass
class PabulibFile:
    meta: dict[str, str]
    projects: list[PabulibProject]
    votes: list[PabulibVote]
    project_columns: list[str] = field(default_factory=lambda: ["project_id", "cost", "name"])
    vote_columns: list[str] = field(default_factory=lambda: ["voter_id", "vote"])


def decode_pabulib(data: bytes) -> str:
    """A file's bytes as text: Pabulib files are UTF-8 (a byte order mark is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PabulibError(line, "the file is not UTF-8 text") from None


def parse_pabulib(text: str) -> PabulibFile:
    """The file's sections, or PabulibError naming the first line that is wrong."""
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    section_lines: dict[str, int] = {}
    current = None
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    line_number = 0
    try:
        for row in reader:
            start, line_number = line_number + 1, reader.line_num
            if not row or all(not value.strip() for value in row):
                continue
            name = row[0].strip().lower()
            if len(row) == 1 and name in SECTIONS:
                expected = SECTIONS[len(sections)] if len(sections) < len(SECTIONS) else None
                if name in sections:
                    raise PabulibError(start, f"section {name.upper()} appears twice")
                if name != expected:
                    raise PabulibError(start, f"section {name.upper()} comes before {expected.upper()}")
                sections[name] = []
                section_lines[name] = start
                current = name
                continue
            if current is None:
                raise PabulibError(start, "the file must start with the section META")
            sections[current].append((start, [value.strip() for value in row]))
    except csv.Error as error:
        raise PabulibError(line_number + 1, f"unreadable line ({error})") from None
    for name in SECTIONS:
        if name not in sections:
            raise PabulibError(line_number + 1, f"the section {name.upper()} is missing")
    meta = _parse_meta(sections["meta"], section_lines["meta"])
    projects, project_columns = _parse_projects(sections["projects"], section_lines["projects"])
    votes, vote_columns = _parse_votes(sections["votes"], section_lines["votes"], {p.project_id for p in projects})
    return PabulibFile(meta, projects, votes, project_columns, vote_columns)


def _header(rows, section_line, section, required):
    if not rows:
        raise PabulibError(section_line + 1, f"the section {section.upper()} has no header line")
    line, header = rows[0]
    header = [name.lower() for name in header]
    for name in required:
        if name not in header:
            raise PabulibError(line, f"the {section.upper()} header has no column {name}")
    if len(set(header)) != len(header):
        raise PabulibError(line, f"the {section.upper()} header names a column twice")
    return header, rows[1:]


def _values(line, header, row, section):
    if len(row) != len(header):
        raise PabulibError(line, f"{len(row)} values where the {section.upper()} header has {len(header)}")
    return dict(zip(header, row))


def _parse_meta(rows, section_line):
    meta, budget_line = {}, None
    if rows and [value.lower() for value in rows[0][1]] == ["key", "value"]:
        rows = rows[1:]
    for line, row in rows:
        if len(row) != 2 or not row[0]:
            raise PabulibError(line, "a META line must be key;value")
        if row[0] in meta:
            raise PabulibError(line, f"the META key {row[0]} appears twice")
        meta[row[0]] = row[1]
        if row[0] == "budget":
            budget_line = line
    if budget_line is None:
        raise PabulibError(section_line, "META has no budget")
    budget = _number(meta["budget"].replace(",", "."), budget_line, "the budget", allow_decimals=True)
    if budget < 0:
        raise PabulibError(budget_line, "the budget cannot be negative")
    return meta


def _parse_projects(rows, section_line):
    header, rows = _header(rows, section_line, "projects", ("project_id", "cost"))
    projects, seen = [], set()
    for line, row in rows:
        values = _values(line, header, row, "projects")
        project_id = values.pop("project_id")
        if not project_id:
            raise PabulibError(line, "a project has no project_id")
        if project_id in seen:
            raise PabulibError(line, f"the project {project_id} is listed twice")
        seen.add(project_id)
        numbers = {}
        for name in PROJECT_NUMBERS:
            raw = values.pop(name, "")
            if raw or name == "cost":
                numbers[name] = _number(raw, line, f"the {name} of project {project_id}")
        if numbers["cost"] <= 0:
            raise PabulibError(line, f"the cost of project {project_id} must be more than 0")
        name = values.pop("name", "")
        projects.append(PabulibProject(project_id, name=name, other=values, **numbers))
    return projects, header


def _parse_votes(rows, section_line, project_ids):
    header, rows = _header(rows, section_line, "votes", ("voter_id", "vote"))
    votes, seen = [], set()
    for line, row in rows:
        values = _values(line, header, row, "votes")
        voter_id = values.pop("voter_id")
        if not voter_id:
            raise PabulibError(line, "a vote has no voter_id")
        if voter_id in seen:
            raise PabulibError(line, f"the voter {voter_id} votes twice")
        seen.add(voter_id)
        chosen = [item.strip() for item in values.pop("vote").split(",") if item.strip()]
        for project_id in chosen:
            if project_id not in project_ids:
                raise PabulibError(line, f"the vote of voter {voter_id} names an unknown project {project_id}")
        if len(set(chosen)) != len(chosen):
            raise PabulibError(line, f"the vote of voter {voter_id} names a project twice")
        points = None
        if "points" in values:
            raw = [item.strip() for item in values.pop("points").split(",") if item.strip()]
            points = [_number(item, line, f"the points of voter {voter_id}") for item in raw]
            if len(points) != len(chosen):
                raise PabulibError(line, f"voter {voter_id} has {len(chosen)} projects but {len(points)} points")
            if any(point < 0 for point in points):
                raise PabulibError(line, f"the points of voter {voter_id} cannot be negative")
        votes.append(PabulibVote(voter_id, chosen, points, values))
    return votes, header


def _number(raw, line, what, allow_decimals=False):
    text = raw.strip()
    if allow_decimals:
        try:
            return float(text)
        except ValueError:
            raise PabulibError(line, f"{what} is not a number: {raw!r}") from None
    if not _WHOLE.match(text):
        raise PabulibError(line, f"{what} is not a whole number: {raw!r}")
    return int(re.split(r"[.,]", text)[0])


def budget_of(meta: dict[str, str]) -> int:
    """META's budget in whole currency units, rounded down as Pabulib's own checker does."""
    raw = meta.get("budget")
    if raw is None:
        raise PabulibError(None, "META has no budget")
    return int(float(raw.replace(",", ".")))


def projects_and_ballots(pabulib: PabulibFile) -> tuple[list[Project], list[dict[str, int]]]:
    """What compute_result takes: projects by their Pabulib id, ballots with points (1 per approval)."""
    projects = [Project(project.project_id, project.cost) for project in pabulib.projects]
    ballots = [
        dict(zip(vote.vote, vote.points if vote.points is not None else [1] * len(vote.vote))) for vote in pabulib.votes
    ]
    return projects, ballots


def rule_of(meta: dict[str, str]) -> str:
    """META's `rule` as one of Civic's RULES: greedy, greedy-no-skip, or equalshares (any completion).

    Pabulib's other names (greedy-threshold, greedy-exclusive, greedy-custom, unknown) describe
    outcomes none of Civic's rules would reproduce, so they are refused rather than guessed.
    """
    rule = meta.get("rule", "").strip().lower()
    if rule in ("greedy", ""):  # the rule of nearly every city, and Pabulib's default
        return "greedy"
    if rule.replace("_", "-") in ("greedy-no-skip", "greedy-noskip"):
        return "greedy-no-skip"
    if rule.startswith("equalshares"):
        return "equalshares"
    raise PabulibError(None, f"the rule {meta['rule']!r} is not one Civic can compute ({', '.join(RULES)})")


def write_pabulib(pabulib: PabulibFile) -> str:
    """The file as text; parse_pabulib(write_pabulib(f)) == f."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in pabulib.meta.items():
        writer.writerow([key, value])
    project_columns = _columns(pabulib.project_columns, ("project_id", "cost"), _project_present(pabulib.projects))
    out.write("PROJECTS\n")
    writer.writerow(project_columns)
    for project in pabulib.projects:
        known = {
            "project_id": project.project_id,
            "cost": project.cost,
            "name": project.name,
            "votes": project.votes,
            "score": project.score,
            "selected": project.selected,
        }
        writer.writerow([_text(known[c] if c in known else project.other.get(c, "")) for c in project_columns])
    vote_columns = _columns(pabulib.vote_columns, ("voter_id", "vote"), _vote_present(pabulib.votes))
    out.write("VOTES\n")
    writer.writerow(vote_columns)
    for vote in pabulib.votes:
        known = {
            "voter_id": vote.voter_id,
            "vote": ",".join(vote.vote),
            "points": ",".join(str(p) for p in vote.points) if vote.points is not None else "",
        }
        writer.writerow([_text(known[c] if c in known else vote.other.get(c, "")) for c in vote_columns])
    return out.getvalue()


def _columns(declared, required, present):
    columns = [c for c in required if c not in declared] + list(declared)
    return columns + [c for c in present if c not in columns]


def _project_present(projects):
    present = []
    for name in ("name", "votes", "score", "selected"):
        if any(getattr(p, name) not in (None, "") for p in projects):
            present.append(name)
    for project in projects:
        present.extend(c for c in project.other if c not in present)
    return present


def _vote_present(votes):
    present = ["points"] if any(v.points is not None for v in votes) else []
    for vote in votes:
        present.extend(c for c in vote.other if c not in present)
    return present


def _text(value):
    if value is None:
        return ""
    return " ".join(str(value).splitlines())  # one record per line, as every Pabulib reader expects
