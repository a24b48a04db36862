"""People for tests: the one password they all share and the User row a test writes for them."""

import uuid

from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.common.models import utcnow

DEFAULT_PASSWORD = "correct horse battery staple"


def new_user(email, *, name, password=DEFAULT_PASSWORD, roles=("citizen",), verified=True, two_factor_secret=None):
    """A User with these roles, not yet added to the session (tests, live servers and server
    processes each write it their own way)."""
    user = User(
        display_name=name,
        email=email,
        email_normalized=email.lower(),
        password_hash=passwords.hash_password(password),
        session_token=uuid.uuid4().hex,
        bio="",
        email_verified_at=utcnow() if verified else None,
    )
    user.roles = [UserRole(role=role) for role in roles]
    if two_factor_secret:
        user.totp_secret, user.totp_enabled_at = two_factor_secret, utcnow()
    return user


def seen_just_now():
    """Mark every signed-in session as seen at the (frozen) clock's now: for a test that moves the
    clock on by weeks while its person stays signed in (a session unseen for 30 days is over)."""
    from sqlalchemy import update

    from civic.accounts.models import UserSession
    from civic.common import clock
    from civic.extensions import db

    db.session.execute(update(UserSession).values(last_seen_at=clock.now()))
    db.session.commit()
