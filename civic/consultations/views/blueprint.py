"""The consultations blueprint (every page under /consultations) and what its views share."""

from flask import Blueprint
from flask_login import current_user

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


def me():
    """The signed-in person as the object services keep (current_user is a proxy)."""
    return current_user._get_current_object()
