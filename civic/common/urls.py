"""Absolute URLs for emails, built the same way inside and outside a request."""

import unicodedata
from urllib.parse import unquote

from flask import current_app, has_request_context, redirect, url_for
from werkzeug.urls import iri_to_uri

LOCAL_TARGET_MAX_LENGTH = 2000


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


def local_target(target):
    """`target` (a "next" page from the request) as a path on this site, or None when a browser,
    or a server that decodes it, could take it anywhere else.

    Browsers drop tabs and newlines anywhere, trim spaces and control characters, read `\\` as `/`
    and fold look-alike slashes in a host; proxies and servers may percent-decode once or more. So
    every reading (as sent, each percent-decoding, and its NFKC folding) must be a path starting
    with one `/`, with no control or invisible characters, backslash or dot segment in the path, and the
    target itself may hold none of those anywhere (a CR/LF would break the Location header)."""
    if not isinstance(target, str) or not target or len(target) > LOCAL_TARGET_MAX_LENGTH:
        return None
    if any(_unsafe(character) for character in target):
        return None
    reading = target
    for _ in range(4):
        if not _is_local_path(reading) or not _is_local_path(unicodedata.normalize("NFKC", reading)):
            return None
        decoded = unquote(reading)
        if decoded == reading:
            return iri_to_uri(target)  # the Location header is ASCII: é and the like are percent-encoded
        reading = decoded
    return None  # encoded four times over: nothing on this site links like that


def redirect_back(target, fallback):
    """The one way a view follows a "next" page the request names: to it when it stays on this
    site (`local_target`), else to `fallback` (a URL the view built)."""
    return redirect(local_target(target) or fallback)


def _unsafe(character):
    # Controls (tab, CR, LF, NUL...), invisible format characters, line and paragraph separators.
    return character == "\\" or unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")


def _is_local_path(reading):
    path = reading.split("?", 1)[0].split("#", 1)[0]
    return (
        path.startswith("/")
        and not path.startswith("//")
        and not any(_unsafe(character) or character.isspace() for character in path[:2])
        and not any(_unsafe(character) for character in path)
        # "/.//x" resolves to the path "//x", which a server may answer with `Location: //x`; this
        # site's own URLs have no dot segments.
        and not any(segment in (".", "..") for segment in path.split("/"))
    )
