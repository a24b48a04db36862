"""Turns domain errors and HTTP errors into an HTML page or a JSON body, in one place."""

import math
import re
import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from civic.common.db import roll_back
from civic.common.filesize import format_size
from civic.errors import AuthenticationRequired, CivicError, TwoFactorEnrolmentRequired
from civic.extensions import limiter, login_manager

# What a 503 for a database that went away asks the client to wait (Retry-After), in seconds: a
# restarted PostgreSQL takes a few seconds to accept connections again.
DATABASE_RETRY_SECONDS = 5


def _titles():
    return {
        400: _("Bad request"),
        401: _("Sign in required"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Please check what you entered"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Service unavailable"),
    }


def _messages():
    return {
        400: _("The request could not be understood."),
        401: _("You need to sign in to do that."),
        403: _("You do not have permission to do that."),
        404: _("There is nothing at this address. Check it, or start again from the home page."),
        405: _("This address does not accept that kind of request."),
        413: _("What you sent is larger than the site accepts."),
        422: _("Some of what you entered could not be accepted."),
        429: _("You have tried too many times. Please wait a little and try again."),
        500: _("Sorry, something went wrong on our side. It has been logged and we will look into it."),
        503: _("A service the site needs is not available right now. Please try again shortly."),
    }


def wants_json():
    if request.path.endswith(".json") or request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status, code, message, *, title=None, extra_headers=None, details=None, bare=False):
    """`bare`: a page that needs nothing from the database (no header with the person's name)."""
    title = title or _titles().get(status, _("Error"))
    if wants_json():
        body = {"error": {"status": status, "code": code, "title": title, "message": message}}
        if details:
            body["error"]["details"] = details
        response = make_response(jsonify(body), status)
    else:
        template = "errors/bare.html" if bare else "errors/error.html"
        page = render_template(template, status=status, title=title, message=message)
        response = make_response(page, status)
    for name, value in (extra_headers or {}).items():
        response.headers[name] = value
    return response


def _rate_limit_message():
    """Say when the person may try again, from the limit that was breached."""
    try:
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else None
    except Exception:  # noqa: BLE001 - the message is a courtesy; the 429 stands without it
        wait = None
    if not wait:
        return None
    if wait < 120:
        return ngettext(
            "Too many attempts. Please try again in %(num)d second.",
            "Too many attempts. Please try again in %(num)d seconds.",
            wait,
        )
    minutes = math.ceil(wait / 60)
    return ngettext(
        "Too many attempts. Please try again in %(num)d minute.",
        "Too many attempts. Please try again in %(num)d minutes.",
        minutes,
    )


def _too_large_message():
    """Say how much the site takes, so that the person knows what to send instead."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return None
    return _(
        "What you sent is larger than the site accepts: at most %(size)s at a time. Go back and choose a smaller file.",
        size=format_size(limit),
    )


# Never written back into a page: what a person types to prove who they are.
_SECRET_FIELDS = re.compile(r"password|^code$|recovery|totp", re.IGNORECASE)


def sent_from_this_site():
    """Did the refused form come from one of our own pages? Browsers send Origin (or at least
    Referer) with a POST; a form from another site must never be offered for sending again, or
    the expired-form page would turn a cross-site request into a one-click one."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    ours = urlsplit(request.host_url)
    theirs = urlsplit(source)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def require_sent_from_this_site():
    """For a form that carries no CSRF token because its page is shared by caches (the language
    switch; signing a petition without an account): the browser's Origin (or Referer) stands in
    for the token, and a form posted from another site is refused like a bad token."""
    if not sent_from_this_site():
        raise CSRFError()


def expired_form_page():
    """A form whose CSRF token no longer matches (the session ended while the person was typing):
    nothing was saved, so show what they wrote and offer to send it again with a fresh token,
    instead of a bare 400 that loses a long answer."""
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name != "csrf_token" and not _SECRET_FIELDS.search(name)
    ]
    readable = [value for _name, value in fields if len(value.strip()) > 20 or " " in value.strip()]
    back = request.referrer if sent_from_this_site() and request.referrer else url_for("pages.home")
    page = render_template(
        "errors/expired_form.html",
        fields=fields,
        readable=readable,
        back=back,
        had_files=any(f.filename for f in request.files.values()),
        had_secrets=any(_SECRET_FIELDS.search(n) for n in request.form if n != "csrf_token"),
    )
    return make_response(page, 400)


def register_error_handlers(app):
    @app.errorhandler(TwoFactorEnrolmentRequired)
    def two_factor_required(error):
        if wants_json():
            return error_response(403, error.code, error.message)
        flash(error.message, "warning")
        return redirect(url_for("accounts.two_factor_setup", next=request.full_path))

    @app.errorhandler(AuthenticationRequired)
    def authentication_required(error):
        if wants_json():
            return error_response(401, error.code, error.message)
        flash(error.message, "warning")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))

    @app.errorhandler(CivicError)
    def civic_error(error):
        headers = {}
        if getattr(error, "retry_after", None):
            headers["Retry-After"] = str(int(error.retry_after))
        return error_response(
            error.status,
            error.code,
            error.message or _messages().get(error.status, ""),
            extra_headers=headers,
            details=getattr(error, "errors", None) or None,
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if not wants_json() and request.method == "POST" and sent_from_this_site():
            return expired_form_page()
        return error_response(
            400,
            "csrf_failed",
            _("The form had expired or was sent from another site. Go back, reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code or 500
        headers = {}
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        code = (error.name or "error").lower().replace(" ", "_")
        message = _messages().get(status, error.description)
        if status == 429:
            message = _rate_limit_message() or message
        if status == 413:
            message = _too_large_message() or message
        return error_response(status, code, message, extra_headers=headers)

    @app.errorhandler(SQLAlchemyError)
    def database_error(error):
        if not database_went_away(error):
            return unexpected_error(error)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, error)
        return failure_response(503, "database_unavailable", extra_headers={"Retry-After": str(DATABASE_RETRY_SECONDS)})

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return failure_response(500, "internal_error")


def database_went_away(error):
    """A lost connection, a server restarting or refusing connections, no free connection in the
    pool: worth trying again in a moment, unlike a query the database refuses."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError)


def failure_response(status, code, *, extra_headers=None):
    """The page for a request that failed on our side, which must never fail in turn: the session
    is rolled back (its connection, if dead, is dropped from the pool), and if the page still
    cannot be drawn (drawing it reads the signed-in person from the database), it is drawn as for a
    visitor, without the header, and at worst as plain text."""
    roll_back()
    try:
        return error_response(status, code, _messages()[status], extra_headers=extra_headers)
    except Exception:  # noqa: BLE001
        roll_back()
    g._login_user = login_manager.anonymous_user()  # who is signed in cannot be read now
    try:
        return error_response(status, code, _messages()[status], extra_headers=extra_headers, bare=True)
    except Exception:  # noqa: BLE001
        current_app.logger.exception("Could not draw the error page")
    response = make_response(f"{status} {_PLAIN_TITLES[status]}\n", status)
    response.mimetype = "text/plain"
    response.headers.update(extra_headers or {})
    return response


# Untranslated: used only when even the translations cannot be loaded (the language may come
# from the signed-in person's row).
_PLAIN_TITLES = {500: "Something went wrong", 503: "Service unavailable, please try again shortly"}
