"""Transaction helpers shared by every domain's services."""

from civic.extensions import db


def commit():
    """Commit the unit of work, or roll it back entirely: a failed write never half-happens."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
