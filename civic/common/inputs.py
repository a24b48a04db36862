"""What every request's input goes through before a view reads it: ids within the database's range
and no control characters, for every route, form and query string at once."""

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

# Every id column is an `integer`: PostgreSQL refuses a larger number with an error, not "no row".
MAX_ID = 2**31 - 1

# Never typed by a person; PostgreSQL refuses NUL in text. Tab, newline and carriage return stay:
# text areas hold them (a `next` address is checked where it is parsed, civic.common.urls).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(text):
    return CONTROL_CHARACTERS.sub("", text)


def row_id(value):
    """A form or query-string value as a row id; ValueError when it cannot be one, so that it
    serves as `request.form.get("id", type=row_id)` (None then) as well as on its own."""
    if isinstance(value, bool):
        raise ValueError("not an id")
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError("not an id")
    return number


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond any id matches nothing, so the answer is 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PlainTextConverter(UnicodeConverter):
    """`<name>` and `<string:...>`: a path segment with a control character matches nothing (404),
    so a slug or token never carries one to the database."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


class CleanParameters(ImmutableMultiDict):
    """The query string's and the form's values (and names) without control characters. Removed
    rather than refused, so that a long text pasted with a stray NUL is kept, not lost to an error
    page; every view, form and error page reads these, whatever route it serves."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        pairs = mapping.items(multi=True) if isinstance(mapping, MultiDict) else MultiDict(mapping).items(multi=True)
        super().__init__([(_clean(name), _clean(value)) for name, value in pairs])


def _clean(value):
    return without_control_characters(value) if isinstance(value, str) else value


class CivicRequest(Request):
    parameter_storage_class = CleanParameters


def guard_inputs(app):
    """Install the guards before any route is added: rules pick their converters when added."""
    app.request_class = CivicRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["default"] = PlainTextConverter
    app.url_map.converters["string"] = PlainTextConverter
