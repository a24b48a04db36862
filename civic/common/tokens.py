"""Signed, expiring tokens for links sent by email, and comparing a secret someone sent with the one kept."""

import hmac

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


def same_secret(given, kept):
    """Whether a secret someone sent (a token, a code) is the one kept, in constant time. Compared
    as bytes: hmac.compare_digest refuses str holding anything but ASCII, which a typed or pasted
    value may hold, and that refusal was a 500 instead of "not valid"."""
    if not isinstance(given, str | bytes) or not isinstance(kept, str | bytes):
        return False
    return hmac.compare_digest(_as_bytes(given), _as_bytes(kept))


def _as_bytes(value):
    # surrogatepass: a lone surrogate (possible in JSON) still becomes bytes, and simply differs.
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
