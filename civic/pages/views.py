"""Site-wide pages (home, about, accessibility, privacy), the language switch and the health check."""

from pathlib import Path

import redis
from flask import Blueprint, abort, current_app, jsonify, render_template, request, session, url_for
from sqlalchemy import text

from civic.audit import public_log
from civic.budgets.services.budgets import budgets_voting_now
from civic.common.colours import as_hex, darker, parse_hex
from civic.common.downloads import stream_csv
from civic.common.http import require_sent_from_this_site
from civic.common.pagination import requested_page
from civic.common.urls import redirect_back
from civic.config import logo_type
from civic.consultations.services.lifecycle import open_consultations, response_total
from civic.discussions.services.discussions import busiest_discussions, comment_total
from civic.extensions import csrf, db, socketio
from civic.petitions.services.queries import popular_open_petitions, signature_total
from civic.proposals.services.queries import popular_open_proposals
from civic.realtime import live_connections

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template(
        "pages/home.html",
        busiest_discussions=busiest_discussions(5),
        open_consultations=open_consultations(3),
        open_petitions=popular_open_petitions(3),
        open_proposals=popular_open_proposals(3),
        voting_budgets=budgets_voting_now(3),
        figures={"responses": response_total(), "signatures": signature_total(), "comments": comment_total()},
    )


@bp.get("/theme.css")
def theme():
    """The council's colour (CIVIC_BRAND_COLOUR, checked for contrast at start-up) as the CSS
    variables the site's style sheet uses; a file, so that the strict CSP needs no inline style."""
    rgb = parse_hex(current_app.config["CIVIC_BRAND_COLOUR"])
    css = f":root {{ --brand: {as_hex(rgb)}; --brand-dark: {as_hex(darker(rgb))}; }}\n"
    return current_app.response_class(css, content_type="text/css; charset=utf-8")


@bp.get("/brand/logo")
def logo():
    """The council's logo (CIVIC_LOGO_FILE: PNG, JPEG or WebP, checked at start-up)."""
    path = current_app.config.get("CIVIC_LOGO_FILE")
    if not path:
        abort(404)
    data = Path(path).read_bytes()
    return current_app.response_class(data, content_type=logo_type(data) or "application/octet-stream")


@bp.get("/about")
def about():
    return render_template("pages/about.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html")


@bp.get("/moderation-log")
def moderation_log():
    """Every moderation decision, for anyone, without personal data (issue 14)."""
    return render_template(
        "pages/moderation_log.html",
        decisions=public_log.public_decisions(page=requested_page()),
        months=public_log.monthly_totals(),
    )


@bp.get("/moderation-log.csv")
def moderation_log_csv():
    header, rows = public_log.csv_rows(public_log.all_public_decisions())
    return stream_csv(header, rows, "moderation-log.csv", bom=True)


@bp.post("/language")
@csrf.exempt
def set_language():
    # The language form is on every page and carries no CSRF token, so that anonymous pages can
    # be shared by caches (civic/common/caching.py).
    require_sent_from_this_site()
    language = request.form.get("language", "")
    if language in current_app.config["CIVIC_LANGUAGES"]:
        session["language"] = language
    return redirect_back(request.form.get("next"), url_for("pages.home"))


def _check_database():
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def _check_redis(url):
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}


@bp.get("/healthz")
def healthz():
    checks = {"database": _check_database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    healthy = all(check["ok"] for check in checks.values())
    live = live_connections()
    response = jsonify(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": checks,
            # This process's open live pages and its limit (past it new ones are refused).
            "live": {"connections": live.count, "limit": live.limit, "async_mode": socketio.async_mode},
        }
    )
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
