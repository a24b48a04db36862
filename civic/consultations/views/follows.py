"""Following a consultation (to hear when it closes and when the outcome is published)."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.consultations.services.follows import follow_consultation
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.views.blueprint import bp, me


@bp.post("/<int:consultation_id>/follow")
@login_required
def follow(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    following = request.form.get("follow") != "0"
    follow_consultation(me(), consultation, following)
    flash(
        _("You follow this consultation: we will tell you when it closes and when the outcome is published.")
        if following
        else _("You no longer follow this consultation."),
        "success",
    )
    return redirect(url_for("consultations.show", consultation_id=consultation.id))
