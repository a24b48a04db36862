"""Dates and numbers in templates: the reader's language and the site's time zone, even though the
formatted texts are kept per process (civic.common.templating)."""

import contextvars
from datetime import UTC, datetime

from flask import render_template_string
from flask_babel import force_locale


def render(app, template, language="en", **values):
    """As a request of its own (a new app context: the test's own is not reused)."""

    def in_request():
        with app.test_request_context("/", headers={"Accept-Language": language}):
            return render_template_string(template, **values)

    return contextvars.Context().run(in_request)


def test_numbers_follow_the_readers_language(app):
    assert render(app, "{{ n|number }}", n=1234567) == "1,234,567"
    assert render(app, "{{ n|number }}", "es", n=1234567) == "1.234.567"
    assert render(app, "{{ n|number }}", n=1234567) == "1,234,567"
    assert render(app, "{{ n|number }} {{ m|number }}", n=2, m=2.5) == "2 2.5"


def test_dates_follow_the_language_the_format_and_the_site_time_zone(app):
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    app.config["CIVIC_TIMEZONE"] = "UTC"
    assert render(app, "{{ m|date }}", m=moment) == "Mar 1, 2026"
    assert render(app, "{{ m|date('long') }}", m=moment) == "March 1, 2026"
    assert render(app, "{{ m|date }}", "es", m=moment) == "1 mar 2026"
    app.config["CIVIC_TIMEZONE"] = "Europe/Madrid"  # already 2 March there
    assert render(app, "{{ m|date }}", m=moment) == "Mar 2, 2026"
    assert render(app, "{{ m|datetime('short') }}", "es", m=moment) == "2/3/26, 0:30"


def test_a_forced_language_is_obeyed_within_a_request(app):
    def in_request():
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            shown = [render_template_string("{{ n|number }}", n=12345)]
            with force_locale("es"):
                shown.append(render_template_string("{{ n|number }}", n=12345))
            return [*shown, render_template_string("{{ n|number }}", n=12345)]

    assert contextvars.Context().run(in_request) == ["12,345", "12.345", "12,345"]
