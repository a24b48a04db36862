"""Every CSV the site produces is written by one writer that keeps a spreadsheet from reading a
person's text as a formula (OWASP's CSV-injection rule), and no other module writes CSV."""

import ast
import io

import pytest

from civic.common.downloads import csv_writer, neutralised, stream_csv
from tests.support.apps import project_root
from tests.support.downloads import FORMULAS, csv_rows, formula_cells


@pytest.mark.parametrize("value", FORMULAS)
def test_text_that_a_spreadsheet_would_read_as_a_formula_gets_a_leading_apostrophe(value):
    assert neutralised(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "", "2027-03-01T10:00:00+00:00", "a=b", "Ana - Luis", "'=already"])
def test_other_text_is_written_as_it_is(value):
    assert neutralised(value) == value


@pytest.mark.parametrize("value", [-3, 0, 12, -1.5, None])
def test_numbers_the_site_writes_stay_numbers_even_when_negative(value):
    assert neutralised(value) is value
    buffer = io.StringIO()
    csv_writer(buffer).writerow(["count", value])
    assert buffer.getvalue() == f"count,{'' if value is None else value}\r\n"


def test_the_streamed_csv_neutralises_the_header_and_every_row(app):
    rows = [[n, value] for n, value in enumerate(FORMULAS)] + [[-7, "-7"]]
    with app.test_request_context():
        response = stream_csv(["n", "=HEADER()"], iter(rows), "x.csv", bom=True)
        body = "".join(response.response)
    read = csv_rows(body)
    assert read[0] == ["n", "'=HEADER()"]
    assert [row[1] for row in read[1:-1]] == ["'" + value for value in FORMULAS]
    assert read[-1] == ["-7", "'-7"]  # the number stays a number; the same characters as text do not
    assert formula_cells(read[1:-1]) == []


CSV_WRITERS = {"writer", "DictWriter"}
THE_ONE_WRITER = "civic/common/downloads.py"
# Files in another program's format, not spreadsheets: neutralising a cell that starts with "=",
# "+", "-" or "@" would change the data that program reads (a Pabulib project named "-5% traffic").
INTERCHANGE_WRITERS = {"civic/budgets/pabulib.py"}


def _csv_writer_uses(tree):
    """Line numbers where a module reaches the csv module's writers, however it imports them."""
    csv_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "csv"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "csv":
            if any(alias.name in CSV_WRITERS or alias.name == "*" for alias in node.names):
                yield node.lineno
        elif isinstance(node, ast.Attribute) and node.attr in CSV_WRITERS:
            if isinstance(node.value, ast.Name) and node.value.id in csv_names:
                yield node.lineno


def test_no_module_but_the_one_writer_writes_csv():
    root = project_root()
    offenders = []
    for path in sorted((root / "civic").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == THE_ONE_WRITER or relative in INTERCHANGE_WRITERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        offenders += [f"{relative}:{line}" for line in _csv_writer_uses(tree)]
    assert not offenders, "write CSV with civic.common.downloads (csv_writer, stream_csv): " + ", ".join(offenders)


def test_the_guard_finds_every_way_of_reaching_a_csv_writer():
    for source in (
        "import csv\ncsv.writer(x)",
        "import csv as c\nc.DictWriter(x, [])",
        "from csv import writer",
        "from csv import DictWriter as W",
        "from csv import *",
    ):
        assert list(_csv_writer_uses(ast.parse(source))), source
    assert not list(_csv_writer_uses(ast.parse("import csv\ncsv.reader(x)\nfrom csv import DictReader")))
