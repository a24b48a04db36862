"""The domain error tree: services raise these, one handler turns them into HTTP responses."""


class CivicError(Exception):
    """Base of every error a service raises on purpose; its message is safe to show."""

    status = 400
    code = "bad_request"

    def __init__(self, message="", *, field=None, details=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class InvalidInput(CivicError):
    status = 422
    code = "invalid_input"

    def __init__(self, message="", *, field=None, details=None, errors=None):
        super().__init__(message, field=field, details=details)
        # field name -> list of messages, for forms that show errors beside their fields
        self.errors = errors or ({field: [message]} if field else {})


class AuthenticationRequired(CivicError):
    status = 401
    code = "authentication_required"


class InvalidCredentials(InvalidInput):
    """Wrong email, password or code: deliberately says nothing about which."""

    code = "invalid_credentials"


class NotAllowed(CivicError):
    status = 403
    code = "not_allowed"


class TwoFactorEnrolmentRequired(NotAllowed):
    """The user holds a staff role but must enrol two-factor sign-in before using it."""

    code = "two_factor_required"


class NotFound(CivicError):
    status = 404
    code = "not_found"


class Conflict(CivicError):
    status = 409
    code = "conflict"


class ParticipationClosed(Conflict):
    code = "participation_closed"


class TokenInvalid(InvalidInput):
    """A link from an email that is expired, tampered with or already used."""

    status = 400
    code = "token_invalid"


class RateLimited(CivicError):
    status = 429
    code = "rate_limited"

    def __init__(self, message="", *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(CivicError):
    status = 503
    code = "service_unavailable"
