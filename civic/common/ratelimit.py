"""Rate-limit keys and the limits Civic applies to its sensitive writes."""
from flask import request


def client_address():
    """The client's address (ProxyFix has already applied trusted proxy headers)."""
    return request.remote_addr or "unknown"


def address_and_email():
    """Key failed sign-ins by address and account, so that one attacker cannot lock out the owner."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{client_address()}|{email}"


# Limits as strings (Flask-Limiter syntax), in one place so that tests and docs can name them.
SIGN_IN_FAILURES_PER_ACCOUNT = "5 per minute;20 per hour"
SIGN_IN_PER_ADDRESS = "30 per minute;200 per hour"
REGISTER_PER_ADDRESS = "5 per hour;20 per day"
PASSWORD_RESET_PER_ADDRESS = "5 per hour"
TWO_FACTOR_PER_ADDRESS = "10 per 5 minutes;30 per hour"
EMAIL_CHANGE_PER_ADDRESS = "5 per hour"
