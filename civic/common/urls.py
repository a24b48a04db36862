"""Absolute URLs for emails, built the same way inside and outside a request."""

from flask import current_app, has_request_context, url_for


def external_url(endpoint, **values):
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config["CIVIC_BASE_URL"]
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def path_for(endpoint, **values):
    """A site-relative URL, inside or outside a request (CLI, background jobs)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["CIVIC_BASE_URL"]):
        return url_for(endpoint, **values)


def is_safe_redirect(target):
    """Only same-site paths may be used as a "next" page after sign-in."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target
