"""Reading a Pol.is export folder (comments.csv, votes.csv or participants-votes.csv, summary.csv)
into plain values. Vote values as exported: 1 agree, -1 disagree, 0 pass."""

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from civic.errors import InvalidInput

csv.field_size_limit(10_000_000)


@dataclass
class PolisStatement:
    id: int
    text: str
    moderated: int
    time: datetime | None


@dataclass
class PolisVote:
    statement_id: int
    participant: int
    value: int
    time: datetime | None


@dataclass
class PolisExport:
    topic: str = ""
    description: str = ""
    url: str = ""
    statements: list = field(default_factory=list)
    votes: list = field(default_factory=list)  # in time order
    first_time: datetime | None = None
    last_time: datetime | None = None


def _time(milliseconds):
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return None


def read_polis_export(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder")
    export = PolisExport()
    summary = folder / "summary.csv"
    if summary.is_file():
        with summary.open(newline="", encoding="utf-8") as handle:
            facts = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
        export.topic = facts.get("topic", "")
        export.description = facts.get("conversation-description", "")
        export.url = facts.get("url", "")
    comments = folder / "comments.csv"
    if comments.is_file():
        with comments.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = (row.get("comment-body") or "").strip()
                if not text:
                    continue
                export.statements.append(
                    PolisStatement(
                        id=int(row["comment-id"]),
                        text=text,
                        moderated=int(row.get("moderated") or 0),
                        time=_time(row.get("timestamp")),
                    )
                )
    votes = folder / "votes.csv"
    matrix = folder / "participants-votes.csv"
    if votes.is_file():
        with votes.open(newline="", encoding="utf-8") as handle:
            rows = [
                PolisVote(int(r["comment-id"]), int(r["voter-id"]), int(r["vote"]), _time(r.get("timestamp")))
                for r in csv.DictReader(handle)
            ]
        export.votes = sorted(rows, key=lambda v: v.time or datetime.min.replace(tzinfo=UTC))
    elif matrix.is_file():
        with matrix.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            statement_columns = [name for name in reader.fieldnames if name.isdigit()]
            for row in reader:
                for column in statement_columns:
                    if row[column] not in ("", None):
                        export.votes.append(PolisVote(int(column), int(row["participant"]), int(row[column]), None))
    times = [s.time for s in export.statements if s.time] + [v.time for v in export.votes if v.time]
    if times:
        export.first_time, export.last_time = min(times), max(times)
    return export
