"""Accounts tables: users, their roles, their signed-in sessions and their two-factor recovery codes."""

import re
import unicodedata
from datetime import datetime

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.extensions import db

EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 80
BIO_MAX_LENGTH = 1000
HANDLE_MAX_LENGTH = 30
HANDLE_PATTERN = rf"[a-z0-9_]{{3,{HANDLE_MAX_LENGTH}}}"
REASON_MAX_LENGTH = 500  # why a role was granted or revoked, kept in the audit log
DEVICE_MAX_LENGTH = 80
NETWORK_MAX_LENGTH = 50  # "2001:db8:1234::/48"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), nullable=False)
    # Lower-cased copy that the database keeps unique: one account per address.
    email_normalized: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX_LENGTH), nullable=False)
    # The @handle others use to mention this person: lower-case letters, digits and underscores.
    handle: Mapped[str] = mapped_column(String(HANDLE_MAX_LENGTH), nullable=False, unique=True)
    bio: Mapped[str] = mapped_column(String(BIO_MAX_LENGTH), nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changes whenever the password changes: a sign-in waiting for its second factor then fails.
    session_token: Mapped[str] = mapped_column(String(64), nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Last accepted TOTP time step: a code is accepted once only.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The network range (/24, /48) of the last sign-in: the owner's usual place, which the
    # per-account throttle lets through while strangers' guesses are slowed down.
    last_sign_in_network: Mapped[str | None] = mapped_column(String(NETWORK_MAX_LENGTH))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A public profile hidden by moderation (readers reported it): its page shows the name and the
    # reason, no bio (accounts.services.profile.hide_profile_in_transaction). The account works as before.
    profile_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    profile_hidden_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")
    # Moderation sanctions (civic.moderation decides them; civic.permissions enforces them): no
    # writing action until `suspended_until`, or at all once `banned_at` is set. Reading, signing in,
    # and appealing stay open.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="UserRole.role",
        foreign_keys="UserRole.user_id",
    )
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # The key of the signed-in session this object was loaded for (or just started), which
    # Flask-Login keeps in the session cookie and the remember cookie: see UserSession.
    session_key = None
    session_id = None  # that session's row, once loaded from the cookie

    def get_id(self):
        if not self.session_key:
            raise RuntimeError("start a UserSession (accounts.services.sessions) before signing someone in")
        return self.session_key

    @property
    def is_active(self):
        return self.disabled_at is None

    @property
    def profile_is_hidden(self):
        return self.profile_hidden_at is not None

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    @property
    def two_factor_enabled(self):
        return self.totp_enabled_at is not None

    @property
    def role_names(self):
        return sorted(r.role for r in self.roles)

    def has_role(self, role):
        return str(getattr(role, "value", role)) in self.role_names

    def __repr__(self):
        return f"<User {self.id} {self.email_normalized}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_role_user_id_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class UserSession(db.Model):
    """One signed-in browser. The cookies carry a random key whose hash is kept here: deleting
    the row signs out every copy of the session cookie and of the remember cookie."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # "Firefox · Windows": a summary of the user agent, never the whole string.
    device: Mapped[str] = mapped_column(String(DEVICE_MAX_LENGTH), nullable=False, default="")
    network: Mapped[str] = mapped_column(String(NETWORK_MAX_LENGTH), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Moved at most once a minute, so that reading a page rarely writes.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class RecoveryCode(db.Model):
    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class AnonymousUser(AnonymousUserMixin):
    role_names = ()
    two_factor_enabled = False
    language = None
    id = None

    def has_role(self, role):
        return False


def handle_base(display_name):
    """A handle made from a display name: 'Lucía Pardo' -> 'lucia_pardo'."""
    ascii_name = unicodedata.normalize("NFKD", display_name or "").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:24]
    return base if len(base) >= 3 else (base + "_person")[:24].strip("_") or "person"


def available_handle(connection, display_name, taken=()):
    base = handle_base(display_name)
    existing = set(connection.execute(select(User.handle).where(User.handle.like(f"{base}%"))).scalars())
    existing |= set(taken)
    candidate, number = base, 1
    while candidate in existing:
        number += 1
        candidate = f"{base}{number}"
    return candidate


@event.listens_for(User, "before_insert")
def _give_new_users_a_handle(mapper, connection, user):
    if not user.handle:
        session = object_session(user)
        taken = session.info.setdefault("civic_new_handles", set()) if session is not None else set()
        user.handle = available_handle(connection, user.display_name, taken)
        taken.add(user.handle)
