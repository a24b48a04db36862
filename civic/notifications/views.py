"""The notifications page, and marking notifications read."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic.common.inputs import row_id
from civic.common.pagination import requested_page
from civic.common.urls import redirect_back
from civic.notifications import services as notifications
from civic.permissions import ensure_can

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    ensure_can(current_user, "notifications.view")
    page = requested_page()
    return render_template(
        "notifications/index.html", results=notifications.list_notifications(current_user, page=page)
    )


@bp.post("/read")
@login_required
def mark_read():
    notification_id = request.form.get("id", type=row_id)
    me = current_user._get_current_object()
    if notification_id:
        notifications.mark_read(me, notification_id)
        return redirect_back(request.form.get("next"), url_for("notifications.index"))
    else:
        notifications.mark_all_read(me)
    return redirect(url_for("notifications.index"))
