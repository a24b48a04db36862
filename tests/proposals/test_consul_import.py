"""`flask civic import-consul-proposals` on the real Decide Madrid export (read in place, never
copied into the project) and on small broken files."""

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civic.errors import InvalidInput
from civic.extensions import db
from civic.proposals.models import Proposal, Support
from civic.proposals.services.consul import import_consul_proposals

MADRID = Path(__file__).resolve().parents[3] / "shared" / "data" / "decide_madrid" / "proposals.csv"
HEADER = '"id";"title";"description";"cached_votes_up";"created_at";"retired_at"\n'


def madrid_file():
    if not MADRID.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{MADRID} is missing (CI is set: the Madrid file must be there)")
        pytest.skip(f"{MADRID} is not on this machine")
    return MADRID


def test_the_madrid_file_imports_with_probes_reported_and_supports_as_a_figure(app, frozen):
    path = madrid_file()
    result = app.test_cli_runner().invoke(args=["civic", "import-consul-proposals", str(path)])
    assert result.exit_code == 0, result.output
    total = db.session.scalar(select(func.count()).select_from(Proposal))
    probes = result.output.count("\n  line ")
    assert total + probes == 2738
    assert 100 <= probes <= 200, result.output[-2000:]  # the README counts about 139 probing titles
    assert "testsia" in result.output and "SSRF Test" in result.output
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0  # no invented accounts
    assert db.session.scalar(select(func.max(Proposal.imported_support_count))) == 842
    withdrawn = db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.state == "withdrawn"))
    assert 20 <= withdrawn <= 30
    for body in db.session.scalars(select(Proposal.body_html)):
        assert "<script" not in body and "javascript:" not in body and "onerror" not in body
    assert db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.discussion_id.is_(None))) == 0
    again = app.test_cli_runner().invoke(args=["civic", "import-consul-proposals", str(path)])
    assert "Imported 0 proposals" in again.output
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == total
    assert app.test_client().get("/proposals?sort=supported&status=all").status_code == 200


def test_a_bad_row_is_reported_by_its_line_and_nothing_is_written(app, frozen):
    lines = [
        HEADER,
        '"1";"Más árboles en la plaza";"<p>Sombra <b>ya</b></p>";"12";"01/02/2024";""\n',
        '"2";"Bancos en el parque";"";"many";"01/02/2024";""\n',
    ]
    with pytest.raises(InvalidInput) as info:
        import_consul_proposals(lines)
    assert "line 3" in info.value.message
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


@pytest.mark.parametrize(
    "content,fragment",
    [("", "empty"), ('"a";"b"\n', "line 1"), (HEADER + '"1";"T t t";"d";"1";"32/13/2024";""\n', "line 2")],
)
def test_broken_files_are_refused_with_the_line(app, frozen, content, fragment):
    with pytest.raises(InvalidInput) as info:
        import_consul_proposals(content.splitlines(keepends=True))
    assert fragment in info.value.message


def test_html_is_sanitised_and_text_kept(app, frozen):
    body = '<p onclick=""x"" style=""color:red"">Agua <a href=""https://example.org"">aquí</a><img src=""x""></p>'
    lines = [HEADER, f'"7";"Fuentes en el río";"{body}";"3";"01/02/2024";""\n']
    report = import_consul_proposals(lines)
    assert report.imported == 1
    proposal = db.session.scalar(select(Proposal))
    assert (
        "onclick" not in proposal.body_html and "style" not in proposal.body_html and "<img" not in proposal.body_html
    )
    assert 'href="https://example.org"' in proposal.body_html
    assert proposal.summary == "Agua aquí" and proposal.imported_support_count == 3 and proposal.support_count == 0


def test_rows_with_script_are_left_out_as_probes(app, frozen):
    lines = [HEADER, '"8";"Fuentes en el río";"<script>alert(1)</script>";"3";"01/02/2024";""\n']
    report = import_consul_proposals(lines)
    assert report.imported == 0 and report.probes[0][:2] == (2, 8)
