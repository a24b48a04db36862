"""Every user-facing string is translated into every language Civic ships."""

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.support.apps import project_root

LANGUAGES = ["es"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Extract the strings from the code and templates now, so that a new string fails the test."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    root = project_root()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-k",
            "pgettext:1c,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {(m.id, m.context) for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_has_a_translation(extracted, language):
    path = project_root() / "civic" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for msgid, context in extracted:
        message = catalog.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
        strings = message.string if message else None
        if not message or not strings or (isinstance(strings, tuple) and not all(strings[:2])):
            missing.append(msgid)
        elif message.fuzzy:
            missing.append(msgid)
    assert not missing, (
        f"{len(missing)} strings lack a {language} translation (run `make extract-messages`):\n"
        + "\n".join(map(str, sorted(missing, key=str)[:30]))
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    path = project_root() / "civic" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if string:
                assert set(PLACEHOLDER.findall(string)) <= wanted | {"num"}, (message.id, string)


FORMAT_OK = re.compile(r"%%|%\(\w+\)[sd]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_template_strings_write_a_percent_sign_as_two(language):
    """A template's _() always formats its string (Jinja's newstyle gettext), even with no
    variables: a lone % is read as a directive ("400% and" became "400{}nd", and the Spanish
    "400 % y" a 500). Only %% and %(name)s / %(name)d may appear, in the source and in each
    translation; a string used only from Python is formatted only when given variables."""
    path = project_root() / "civic" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    wrong = []
    for message in catalog:
        if not message.id or not any(where.startswith("templates/") for where, _line in message.locations):
            continue
        texts = message.id if isinstance(message.id, tuple) else (message.id,)
        texts += message.string if isinstance(message.string, tuple) else (message.string,)
        wrong += [text for text in texts if text and "%" in FORMAT_OK.sub("", text)]
    assert wrong == []


def test_a_page_with_a_percent_sign_renders_in_every_language(web):
    for language in ["en", *LANGUAGES]:
        web.post("/language", {"language": language, "next": "/"})
        response = web.get("/accessibility")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "400%" in html or "400 %" in html
        assert "{}" not in html


def test_templates_follow_the_language_of_the_moment_within_one_request(app):
    """Templates translate through a catalog kept per request (civic.common.i18n); it must follow
    force_locale (emails in the recipient's language) and go back afterwards."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Sign in') }}") == "Sign in"
        with force_locale("es"):
            assert render_template_string("{{ _('Sign in') }}") == "Entrar"
        assert render_template_string("{{ _('Sign in') }}") == "Sign in"
