"""Which pages a proxy or CDN may keep, their validators (ETag, 304), and the optional Redis page cache.

One table, PUBLIC_PAGES, names the pages that may be shared between anonymous visitors and what
each depends on. A response from one of them is `public` only when it is the same for every
anonymous visitor: a GET or HEAD answered 200 to someone not signed in, with no CSRF token in
the page (a form), no flash message, and no cookie set. Everything else is `private, no-store`
unless its view chose its own Cache-Control (downloads, documents, static files).

The Redis page cache (CIVIC_PAGE_CACHE=1 with REDIS_URL) keeps those same responses for
CIVIC_PAGE_CACHE_SECONDS, keyed by language, URL and the generation counters of what the page
depends on. A committed write bumps the counters of the objects it touched (watch() says which),
so the next anonymous load renders afresh. Redis down: the cache is bypassed, never an error.

Signed-in pages are never kept whole, but a part that every reader of the same kind sees alike
(a discussion's comments, with the reader's own votes and comments filled in afterwards: see
civic/discussions/shared_threads.py) is kept per process under a key built the same way, for the
same few seconds (`shared_part`).
"""

import hashlib
import logging
import time

import redis
from flask import current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

ALL = None  # in PUBLIC_PAGES: the page depends on every object of the kind (a list)

# endpoint -> what the page shows: (kind, view argument holding the id, or ALL).
# A page not in this table is never public. Keep staff, account and form pages out of it; the
# checks in _shareable() stop a page that turns out to hold a form or a flash message anyway.
PUBLIC_PAGES = {
    "pages.home": (("consultation", ALL), ("petition", ALL), ("proposal", ALL), ("budget", ALL), ("discussion", ALL)),
    "pages.about": (),
    "pages.accessibility": (),
    "pages.privacy": (),
    "pages.theme": (),  # the council's colour (configuration)
    "pages.logo": (),
    "pages.moderation_log": (("audit", ALL),),  # any new audit entry renders it afresh
    "consultations.index": (("consultation", ALL),),
    "consultations.show": (("consultation", "consultation_id"),),
    # The margin counts comments on each passage: any passage's discussion (they are few).
    "consultations.read_text": (("consultation", "consultation_id"), ("draft_section", ALL)),
    "petitions.index": (("petition", ALL),),
    "petitions.index_json": (("petition", ALL),),
    "petitions.show": (("petition", "petition_id"),),
    "petitions.show_json": (("petition", "petition_id"),),
    "budgets.index": (("budget", ALL),),
    "budgets.show": (("budget", "budget_id"),),
    "budgets.show_results": (("budget", "budget_id"),),
    "budgets.results_json": (("budget", "budget_id"),),
    "proposals.index": (("proposal", ALL),),
    "proposals.show": (("proposal", "proposal_id"),),
    "accountability.index": (("implementation", ALL),),
    "accountability.show": (("implementation", "record_id"),),
    "discussions.index": (("discussion", ALL),),
    "discussions.show": (("discussion", "discussion_id"),),
}

PRIVATE = "private, no-store"
VARY = ("Accept-Language", "Cookie")
CACHE_HEADER = "X-Civic-Page-Cache"  # hit or miss, for operators and tests
_OUTAGE_PAUSE = 5.0  # seconds without trying Redis after it failed, so requests do not queue on it


def init_caching(app):
    """Cache-Control, ETag and 304 on every response; the Redis page cache when configured."""
    if app.config["CIVIC_PAGE_CACHE"] and app.config["REDIS_URL"]:
        app.extensions["civic_page_cache"] = PageCache(
            app.config["REDIS_URL"], app.config["CIVIC_REDIS_KEY_PREFIX"], app.config["CIVIC_PAGE_CACHE_SECONDS"]
        )
    _listen_for_commits()

    @app.before_request
    def serve_from_page_cache():
        cache = app.extensions.get("civic_page_cache")
        if cache is None or not _cacheable_request():
            return None
        g.civic_page_key = cache.key_for(_language(), request.full_path, _dependencies())
        stored = cache.get(g.civic_page_key)
        if stored is None:
            return None
        content_type, body = stored
        g.civic_page_cache = "hit"
        return Response(body, status=200, content_type=content_type)

    @app.after_request
    def set_cache_policy(response):
        if "Cache-Control" in response.headers or request.endpoint == "static":
            return response  # the view decided (downloads, documents, static files)
        if not _shareable(response):
            response.headers["Cache-Control"] = PRIVATE
            return response
        response.cache_control.public = True
        response.cache_control.max_age = app.config["CIVIC_PUBLIC_CACHE_SECONDS"]
        response.vary.update(VARY)
        cache = app.extensions.get("civic_page_cache")
        if cache is not None and g.get("civic_page_key"):
            status = g.get("civic_page_cache", "miss")
            if status == "miss":
                cache.put(g.civic_page_key, response.content_type, response.get_data())
            response.headers[CACHE_HEADER] = status
        response.add_etag(weak=True)
        return response.make_conditional(request)


def _cacheable_request():
    """Could this request get a page shared between visitors? (Before the view runs.)"""
    return (
        request.method in ("GET", "HEAD")
        and request.endpoint in PUBLIC_PAGES
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _shareable(response):
    """Is this response the same for every anonymous visitor, so that anyone may keep it?"""
    return (
        _cacheable_request()
        and response.status_code == 200
        and not response.is_streamed
        and not g.get(current_app.config["WTF_CSRF_FIELD_NAME"])  # a form's token was rendered
        and not _sets_cookie(response)
    )


def _sets_cookie(response):
    """Will this response carry a Set-Cookie? (The session cookie is written after this hook, so
    ask the session interface the question it will ask itself.)"""
    if "Set-Cookie" in response.headers or session.modified:
        return True
    return bool(session) and current_app.session_interface.should_set_cookie(current_app, session)


def _language():
    return str(get_locale() or current_app.config["CIVIC_DEFAULT_LANGUAGE"])


def _dependencies():
    view_args = request.view_args or {}
    return [(kind, ALL if arg is ALL else view_args.get(arg)) for kind, arg in PUBLIC_PAGES[request.endpoint]]


class PageCache:
    """Rendered anonymous pages in Redis, under keys that change when what they show changes."""

    def __init__(self, url, prefix, seconds):
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix
        self.seconds = seconds
        self._down_until = 0.0

    def generation_key(self, kind, object_id=ALL):
        if object_id is ALL:
            return f"{self.prefix}:page-gen:{kind}"
        return f"{self.prefix}:page-gen:{kind}:{object_id}"

    def key_for(self, language, full_path, dependencies):
        """The page's key: its URL and language, and the generation of everything it shows, read
        before the page is rendered (a write during rendering leaves the copy under an old key)."""
        keys = [self.generation_key(kind, object_id) for kind, object_id in dependencies]
        generations = self._call(lambda: self.redis.mget(keys), None) if keys else []
        if generations is None:
            return None  # Redis is down: no cache for this request
        versions = ".".join((value or b"0").decode() for value in generations)
        digest = hashlib.sha256(full_path.encode()).hexdigest()[:32]
        return f"{self.prefix}:page:{language}:{versions}:{digest}"

    def get(self, key):
        if key is None:
            return None
        stored = self._call(lambda: self.redis.get(key), None)
        if not stored:
            return None
        content_type, _, body = stored.partition(b"\n")
        return content_type.decode(), body

    def put(self, key, content_type, body):
        self._call(lambda: self.redis.set(key, content_type.encode() + b"\n" + body, ex=self.seconds), None)

    def bump(self, scopes):
        """A committed write changed these objects: every page showing them is rendered afresh."""
        keys = {self.generation_key(kind) for kind, _id in scopes}
        keys.update(self.generation_key(kind, object_id) for kind, object_id in scopes)

        def incr_all():
            pipe = self.redis.pipeline(transaction=False)
            for key in sorted(keys):
                pipe.incr(key)
            pipe.execute()

        self._call(incr_all, None)

    def _call(self, operation, fallback):
        """Run one Redis operation; when Redis fails, say so once and leave it alone a few seconds."""
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return operation()
        except redis.RedisError as exc:
            log.warning("Page cache bypassed for %.0f s: Redis failed (%s)", _OUTAGE_PAUSE, exc)
            self._down_until = time.monotonic() + _OUTAGE_PAUSE
            return fallback


def shared_part(name, dependencies, build):
    """build(), kept in this process for CIVIC_PAGE_CACHE_SECONDS under `name` (which must say
    everything the part depends on but the objects in `dependencies`), the language and the
    generations of `dependencies`; None when the page cache is off or Redis is down (the caller
    renders its page in full)."""
    cache = current_app.extensions.get("civic_page_cache")
    if cache is None:
        return None
    key = cache.key_for(_language(), name, dependencies)
    if key is None:
        return None
    store = current_app.extensions.setdefault("civic_shared_parts", {})
    now = time.monotonic()
    found = store.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = build()
    if len(store) >= current_app.config["CIVIC_SHARED_PARTS_KEPT"]:
        for stale in [k for k, (until, _value) in store.items() if until <= now] or list(store):
            store.pop(stale, None)
    store[key] = (now + cache.seconds, value)
    return value


# --- invalidation: what a committed write touched -------------------------------------------

_WATCHED = {}  # model class -> (scopes(instance) -> [(kind, id)], columns whose change alone is quiet)


def watch(model, scopes, *, quiet=()):
    """Pages that show `model` rows: `scopes(row)` names the (kind, id) pages a change to the row
    touches. A change to `quiet` columns only (counters that change constantly) bumps nothing:
    those pages may be up to CIVIC_PAGE_CACHE_SECONDS stale, and their live tally corrects it."""
    _WATCHED[model] = (scopes, frozenset(quiet))


def bump(kind, object_id):
    """Render the pages showing this object afresh (for a write the watched models do not see)."""
    cache = current_app.extensions.get("civic_page_cache") if has_app_context() else None
    if cache is not None:
        cache.bump([(kind, object_id)])


def _listen_for_commits():
    # Once per process, on every Session: the listeners look up the current app's cache.
    if not event.contains(Session, "after_flush", _collect_scopes):
        event.listen(Session, "after_flush", _collect_scopes)
        event.listen(Session, "after_commit", _bump_collected)
        event.listen(Session, "after_rollback", _forget_collected)


def _page_cache():
    return current_app.extensions.get("civic_page_cache") if has_app_context() else None


def _collect_scopes(session, _flush_context):
    if _page_cache() is None:
        return
    pending = session.info.setdefault("civic_page_scopes", set())
    dirty = list(session.dirty)
    for row in (*session.new, *dirty, *session.deleted):
        watched = _WATCHED.get(type(row))
        if watched is None:
            continue
        scopes, quiet = watched
        if quiet and row in dirty and _changed_columns(row) <= quiet:
            continue
        pending.update((kind, object_id) for kind, object_id in scopes(row) if object_id is not None)


def _changed_columns(row):
    state = inspect(row)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


def _bump_collected(session):
    scopes = session.info.pop("civic_page_scopes", None)
    cache = _page_cache()
    if scopes and cache is not None:
        cache.bump(scopes)


def _forget_collected(session):
    session.info.pop("civic_page_scopes", None)
