"""Petition pages: lists, the petition with its count, signing and its links, drafting with
sponsors, moderation, the official response and debate, fraud handling, and JSON."""
from flask import Blueprint

from civic.petitions import services as petitions  # noqa: F401

bp = Blueprint("petitions", __name__, url_prefix="/petitions")


@bp.get("/<int:petition_id>")
def show(petition_id):
    raise NotImplementedError


@bp.get("/<int:petition_id>/sponsor/<token>")
def sponsor(petition_id, token):
    raise NotImplementedError


@bp.get("/<int:petition_id>/signatures/<token>/confirm")
def confirm_signature(petition_id, token):
    raise NotImplementedError


@bp.route("/<int:petition_id>/signatures/<token>/withdraw", methods=["GET", "POST"])
def withdraw(petition_id, token):
    raise NotImplementedError
