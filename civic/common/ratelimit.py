"""Rate-limit keys and the limits Civic applies to its sensitive writes."""

import functools
import ipaddress
import math
import time

from flask import current_app, request, session
from limits import parse_many

from civic.extensions import client_address, limiter


def address_and_email():
    """Key failed sign-ins by address and account, so that one attacker cannot lock out the owner."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{client_address()}|{email}"


def pending_two_factor_account():
    """Key two-factor attempts by the account being signed in to, whatever the address."""
    pending = session.get("pending_two_factor") or {}
    return f"2fa-account|{pending.get('uid', 'none')}"


# Limits in Flask-Limiter syntax. Each can be changed with an environment variable of the same
# name (see config.py); views read them through limit_from_config() at request time.
DEFAULT_LIMITS = {
    "CIVIC_LIMIT_SIGN_IN_FAILURES": "5 per minute;20 per hour",  # per address and account
    "CIVIC_LIMIT_SIGN_IN": "30 per minute;200 per hour",  # per address
    # Failed sign-ins per account from anywhere: each tier a longer wait. The owner's usual
    # network is let through (accounts.services.sign_in).
    "CIVIC_LIMIT_SIGN_IN_ACCOUNT": "10 per 10 minutes;20 per hour;50 per day",
    "CIVIC_LIMIT_REGISTER": "5 per hour;20 per day",
    "CIVIC_LIMIT_REGISTER_NETWORK": "10 per hour;30 per day",  # per network range (/24, /48)
    "CIVIC_LIMIT_PASSWORD_RESET": "5 per hour",
    "CIVIC_LIMIT_TWO_FACTOR": "10 per 5 minutes;30 per hour",
    "CIVIC_LIMIT_EMAIL_CHANGE": "5 per hour",
    "CIVIC_LIMIT_DATA_EXPORT": "3 per hour;10 per day",  # "Download my data", per person
    "CIVIC_LIMIT_COMMENT": "5 per minute;100 per hour",  # per person: a burst, then a wait
    "CIVIC_LIMIT_REPORT": "10 per hour;30 per day",  # reports of content, per person
    "CIVIC_LIMIT_PETITION_CREATE": "3 per hour;10 per day",  # per person
    "CIVIC_LIMIT_BALLOT": "20 per 10 minutes;100 per day",  # budget ballots cast or changed, per person
    "CIVIC_LIMIT_PROPOSAL_CREATE": "3 per hour;10 per day",  # per person
    "CIVIC_LIMIT_PROPOSAL_SUPPORT": "30 per minute;300 per day",  # supports and their removals, per person
    "CIVIC_LIMIT_SIGN": "20 per 10 minutes;200 per day",  # per network range (/24, /48): one office, one family
    "CIVIC_LIMIT_SIGN_DOMAIN": "100 per hour",  # per email domain, except large providers
    "CIVIC_LIMIT_SIGN_EMAIL": "3 per hour",  # confirmation emails per mailbox and petition
    "CIVIC_LIMIT_ANONYMOUS_RESPONSE": "10 per hour;30 per day",  # responses without an account, per address
    "CIVIC_LIMIT_ANONYMOUS_RESPONSE_EMAIL": "3 per hour;6 per day",  # confirmation emails per mailbox
}


def limit_from_config(name):
    return lambda: current_app.config[name]


@functools.lru_cache(maxsize=65_536)
def network_of(address):
    """The range an address belongs to for rate limits: /24 for IPv4, /48 for IPv6. Kept per
    address: a petition's investigation page asks it for every signature."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return f"{ipaddress.IPv4Address(int(ip) & 0xFFFFFF00)}/24"
    return f"{ipaddress.IPv6Address(int(ip) & ~((1 << 80) - 1))}/48"


def _limit_key(scope, identity):
    return (current_app.config.get("RATELIMIT_KEY_PREFIX", "civic"), scope, str(identity))


def _wait(strategy, items, key):
    """Seconds until every limit of `items` allows one more (the longest wait), or None."""
    waits = [
        max(1, math.ceil(strategy.get_window_stats(item, *key)[0] - time.time()))
        for item in items
        if not strategy.test(item, *key)
    ]
    return max(waits, default=None)


def seconds_until_allowed(scope, identity, limit_string):
    """Count one action against `limit_string` for (scope, identity).

    Returns None when the action may go ahead (and counts it), or the number of seconds to
    wait. Services use this after their other checks and raise RateLimited, so that the view
    can keep what the person typed, which a plain 429 page from a decorator cannot."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy, items, key = limiter.limiter, parse_many(limit_string), _limit_key(scope, identity)
    try:
        wait = _wait(strategy, items, key)
        if wait:
            return wait
        for item in items:
            strategy.hit(item, *key)
    except Exception:  # noqa: BLE001 - the limit store (Redis) is down: let the write through
        current_app.logger.warning("rate limit store unavailable; %s not limited", scope)
    return None


def seconds_to_wait(scope, identity, limit_string):
    """Like seconds_until_allowed, without counting: for limits that count only failures
    (`count_failure` after the attempt failed)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    try:
        return _wait(limiter.limiter, parse_many(limit_string), _limit_key(scope, identity))
    except Exception:  # noqa: BLE001 - the limit store (Redis) is down: let the attempt through
        current_app.logger.warning("rate limit store unavailable; %s not limited", scope)
    return None


def count_failure(scope, identity, limit_string):
    """Count one failed attempt; returns the seconds the next attempt must wait, or None."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy, items, key = limiter.limiter, parse_many(limit_string), _limit_key(scope, identity)
    try:
        for item in items:
            strategy.hit(item, *key)
        return _wait(strategy, items, key)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("rate limit store unavailable; %s not counted", scope)
    return None
