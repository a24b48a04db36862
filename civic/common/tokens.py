"""Signed, expiring tokens for links sent by email."""

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from civic.errors import TokenInvalid


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"civic.{purpose}")


def make_token(purpose, payload):
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token, max_age):
    """Return the payload, or raise TokenInvalid saying whether the link expired."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenInvalid(_("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenInvalid(_("This link is not valid. Check that you copied all of it.")) from exc
