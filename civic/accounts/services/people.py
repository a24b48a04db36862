"""Finding people, and the one way an email address is checked and normalised."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import EMAIL_MAX_LENGTH, User
from civic.errors import InvalidInput, NotFound
from civic.extensions import db


def normalize_email(address, *, field="email"):
    """Validate an address and return (as typed but trimmed, lower-cased key)."""
    address = (address or "").strip()
    if not address:
        raise InvalidInput(_("Enter your email address."), field=field)
    if len(address) > EMAIL_MAX_LENGTH:
        raise InvalidInput(_("An email address has at most %(n)d characters.", n=EMAIL_MAX_LENGTH), field=field)
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter an email address like name@example.org."), field=field) from exc
    return valid.normalized, valid.normalized.lower()


def get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such person."))
    return user


def find_user_by_email(address):
    key = (address or "").strip().lower()
    return db.session.scalar(select(User).where(User.email_normalized == key))
