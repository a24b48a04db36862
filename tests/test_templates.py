"""Rules every template follows (checked on the source, so that a new template is covered at once)."""

import re

from tests.support.apps import project_root

# `|safe` is for HTML the server made safe before: sanitised Markdown (stored as *_html) and
# SVG that Civic draws itself. Markup built in a template by joining strings (`'<span>' ~ _(...)`)
# is escaped by Jinja's autoescape before `|safe` sees it: issue 12's "(required)" marker showed
# as `<span class="muted">(required)</span>` text. Write such markup as markup (a macro).
SAFE_VALUES = re.compile(r"\{\{\s*[\w.]*(?:_html|\.html|qr_svg)\s*\|safe\s*\}\}")


def test_only_prepared_html_is_marked_safe():
    offenders = []
    for path in sorted((project_root() / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for use in re.finditer(r"\{\{[^}]*\|\s*safe[^}]*\}\}", line):
                if not SAFE_VALUES.fullmatch(use.group(0)):
                    offenders.append(f"{path.relative_to(project_root())}:{number}: {use.group(0)}")
    assert offenders == []


def test_no_template_joins_markup_into_a_string():
    joined = re.compile(r"""~\s*['"][^'"]*<[a-z/]|['"][^'"]*<[a-z/][^'"]*['"]\s*~""")
    offenders = [
        f"{path.relative_to(project_root())}:{number}"
        for path in sorted((project_root() / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{%" in line and joined.search(line)
    ]
    assert offenders == []
