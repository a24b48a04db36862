"""The test suite's own rules: a conftest holds fixtures, which pytest finds by itself; the plain
helpers live in tests/support/ and every module imports them from there, never from a conftest."""

import re

from tests.support.apps import project_root

FROM_A_CONFTEST = re.compile(r"^\s*(from\s+[\w.]*conftest\s+import|import\s+[\w.]*conftest\b)", re.M)


def test_nothing_is_imported_from_a_conftest():
    root = project_root()
    offenders = []
    for folder in ("tests", "bench", "civic"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in FROM_A_CONFTEST.finditer(text):
                offenders.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}")
    assert not offenders, "import these helpers from tests/support/ instead: " + ", ".join(offenders)
