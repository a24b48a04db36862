"""The project's own demo content: people of every role, written for Civic."""
import secrets

from sqlalchemy import func, select

from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.audit.services import record_staff_action
from civic.common.models import utcnow
from civic.extensions import db
from civic.permissions import Role

DEMO_PASSWORD = "civic-demo-passphrase"
DEMO_PEOPLE = [
    ("Ana Robles", "ana@demo.civic.localhost", [Role.CITIZEN],
     "Cyclist, parent of two, lives by the river park."),
    ("Tomás Ibarra", "tomas@demo.civic.localhost", [Role.CITIZEN],
     "Runs the corner bakery on Calle Mayor."),
    ("Grace Okafor", "grace@demo.civic.localhost", [Role.CITIZEN],
     "Retired teacher; volunteers at the library."),
    ("Moira Duval", "moderator@demo.civic.localhost", [Role.CITIZEN, Role.MODERATOR],
     "Community moderator."),
    ("Oscar Lindqvist", "official@demo.civic.localhost", [Role.CITIZEN, Role.OFFICIAL],
     "Transport planning officer, City Council."),
    ("Alex Admin", "admin@demo.civic.localhost", [Role.CITIZEN, Role.ADMIN],
     "Runs this Civic site."),
]


def database_is_empty():
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo():
    """Add the demo people (skipping any that exist). Returns (role, email, password) rows."""
    rows = []
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    for name, email, roles, bio in DEMO_PEOPLE:
        user = db.session.scalar(select(User).where(User.email_normalized == email))
        if user is None:
            user = User(display_name=name, email=email, email_normalized=email, bio=bio,
                        password_hash=password_hash, session_token=secrets.token_hex(16),
                        email_verified_at=utcnow())
            db.session.add(user)
            db.session.flush()
            for role in roles:
                user.roles.append(UserRole(role=role.value))
                if role is not Role.CITIZEN:
                    record_staff_action(None, "role.grant", "user", user.id, name,
                                        "Demo content (flask civic seed-demo)", {"role": role.value})
        rows.append((roles[-1].value, email, DEMO_PASSWORD))
    db.session.commit()
    return rows
