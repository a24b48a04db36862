"""Checks that registration, profiles, passwords and the command line share."""

import secrets

from flask_babel import gettext as _

from civic.accounts import passwords
from civic.accounts.models import DISPLAY_NAME_MAX_LENGTH
from civic.common.validation import clean_text
from civic.errors import InvalidInput


def clean_display_name(name):
    return clean_text(
        name,
        field="display_name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        multiline=False,
        required=_("Enter the name other people will see."),
        too_long=_("A name has at most %(n)d characters.", n=DISPLAY_NAME_MAX_LENGTH),
    )


def check_password(password, *, email="", display_name="", field="password"):
    problems = passwords.password_problems(password or "", email=email, display_name=display_name)
    if problems:
        raise InvalidInput(" ".join(problems), field=field)


def new_session_token():
    return secrets.token_hex(16)
