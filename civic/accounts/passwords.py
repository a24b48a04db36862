"""Password hashing (argon2id) and the password policy."""

import functools
import gzip
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

PASSWORD_MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@functools.lru_cache(maxsize=4)
def _hasher(time_cost, memory_kib):
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher():
    config = current_app.config
    return _hasher(config["CIVIC_ARGON2_TIME_COST"], config["CIVIC_ARGON2_MEMORY_KIB"])


def hash_password(password):
    return hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return hasher().check_needs_rehash(password_hash)


# A valid hash to verify against when the email is unknown, so both paths take as long.
@functools.lru_cache(maxsize=4)
def _dummy_hash(time_cost, memory_kib):
    return _hasher(time_cost, memory_kib).hash("civic-no-such-account")


def burn_verification_time(password):
    config = current_app.config
    verify_password(_dummy_hash(config["CIVIC_ARGON2_TIME_COST"], config["CIVIC_ARGON2_MEMORY_KIB"]), password)


@functools.lru_cache(maxsize=1)
def common_passwords():
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problems(password, *, email="", display_name=""):
    """Messages explaining why a password is not acceptable; empty when it is fine."""
    minimum = current_app.config["CIVIC_PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=PASSWORD_MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append(_("This password is one of the most common ones and is easy to guess. Choose another."))
    elif password.isdigit():
        problems.append(_("A password made only of digits is easy to guess. Add some words."))
    elif len(set(password)) < 4:
        problems.append(_("This password repeats too few characters to be safe."))
    local_part = (email or "").split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append(_("Do not use your email address in your password."))
    elif display_name and len(display_name) >= 4 and display_name.lower() in lowered:
        problems.append(_("Do not use your name in your password."))
    return problems
