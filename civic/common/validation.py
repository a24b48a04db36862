"""Checking what people typed, for every service: one text cleaner, and several fields' problems at once.

The first problem is the error's message; all of them are shown beside their fields."""

from flask_babel import gettext as _

from civic.errors import InvalidInput


def clean_text(value, *, field, max_length, required=None, multiline=True, too_long=None):
    """The text with Windows line ends made plain and the ends trimmed (and, unless `multiline`,
    every run of white space made one space). `required` is the message for an empty text (None:
    it may be empty); `too_long` replaces the default message that gives the limit and the length."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not multiline:
        text = " ".join(text.split())
    if required and not text:
        raise InvalidInput(required, field=field)
    if len(text) > max_length:
        message = too_long or _(
            "Use at most %(max)d characters; this has %(length)d.", max=max_length, length=len(text)
        )
        raise InvalidInput(message, field=field)
    return text


class FieldErrors:
    """Collects the problems of a form's fields so that one InvalidInput reports all of them.

    problems = FieldErrors()
    title = problems.check(clean_text, fields.title, field="title", max_length=80)
    if ...: problems.add("area", _("Choose an area."))
    problems.raise_if_any()
    """

    def __init__(self):
        self.errors = {}

    def add(self, field, message):
        self.errors.setdefault(field, []).append(message)

    def check(self, cleaner, *args, **kwargs):
        """The cleaner's result, or None with its message recorded against the field it names."""
        try:
            return cleaner(*args, **kwargs)
        except InvalidInput as error:
            self.add(error.field or "", error.message)
            return None

    def __contains__(self, field):
        return field in self.errors

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self):
        raise_first(self.errors)


def raise_first(errors):
    """Raise one InvalidInput for a {field: [messages]} mapping: the first message is the error's
    own, every message is kept for the form. Does nothing when there is no error."""
    if not errors:
        return
    field, messages = next(iter(errors.items()))
    raise InvalidInput(messages[0], field=field, errors=errors)
