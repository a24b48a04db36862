"""The current time, in one place, so that tests can freeze it, and site-local time conversions."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now():
    return datetime.now(UTC)


def site_zone():
    return ZoneInfo(current_app.config["CIVIC_TIMEZONE"])


def local_to_utc(local, zone=None):
    """A naive wall-clock time in the site's zone -> aware UTC, or None for a time that does
    not exist there (skipped when clocks go forward). An ambiguous time (clocks go back) means
    its first occurrence."""
    zone = zone or site_zone()
    aware = local.replace(tzinfo=zone, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return as_utc


def utc_to_local(moment, zone=None):
    return moment.astimezone(zone or site_zone()) if moment else None
