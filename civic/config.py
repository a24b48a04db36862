"""Configuration, read from environment variables only; every default runs with no setup."""

import io
import os
from pathlib import Path

from civic.common.colours import AA_NORMAL_TEXT, contrast_ratio, parse_hex
from civic.common.ratelimit import DEFAULT_LIMITS
from civic.common.uploads import IMAGE_KINDS, KINDS, detect_content

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"
DEVELOPMENT_SECRET_KEY = "civic-development-key-not-for-production"
ENVIRONMENTS = ("development", "production", "testing")
ASYNC_MODES = ("threading", "gevent")
SEARCH_BACKENDS = ("auto", "whoosh", "postgres")
# gunicorn's default --worker-connections; deploy/gunicorn.conf.py passes the real figure on.
DEFAULT_WORKER_CONNECTIONS = 1000


class ConfigurationError(RuntimeError):
    """The environment describes a configuration Civic refuses to start with."""


def _flag(value, default):
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(environ, name, default):
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from exc


# The hold list shipped with Civic (measured in bench/premoderation_polis.py).
DEFAULT_HOLD_WORDS_FILE = Path(__file__).resolve().parent / "insights" / "premoderation_hold_words.txt"


def _word_list_file(environ, name, default):
    """A word list's path: unset gives the default, an empty value no list at all."""
    value = environ.get(name)
    if value is None:
        return default
    value = value.strip()
    if value and not Path(value).is_file():
        raise ConfigurationError(f"{name} names no readable file: {value!r}")
    return value


DEFAULT_PETITION_AREAS = (
    "Old Town;Riverside;Northfield;Hillcrest;Southgate;Eastbrook;West End;Elsewhere in the country;Outside the country"
)
DEFAULT_COMMON_DOMAINS = (
    "gmail.com,googlemail.com,outlook.com,hotmail.com,live.com,yahoo.com,icloud.com,me.com,"
    "aol.com,protonmail.com,proton.me,gmx.com,gmx.de,web.de,mail.com,yandex.com,zoho.com,"
    "hotmail.es,yahoo.es,outlook.es,telefonica.net"
)


def load_config(environ=None):
    """Build the Flask configuration mapping from an environment mapping."""
    environ = os.environ if environ is None else environ
    env = environ.get("CIVIC_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"CIVIC_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"
    instance_path = Path(environ.get("CIVIC_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)
    redis_url = environ.get("REDIS_URL") or None
    secret_key = environ.get("SECRET_KEY") or ("" if production else DEVELOPMENT_SECRET_KEY)
    async_mode = environ.get("CIVIC_ASYNC_MODE", "threading").strip().lower() or "threading"
    if async_mode not in ASYNC_MODES:
        raise ConfigurationError(f"CIVIC_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, not {async_mode!r}")
    worker_connections = _int(environ, "CIVIC_WORKER_CONNECTIONS", DEFAULT_WORKER_CONNECTIONS)
    host = environ.get("CIVIC_HOST", "127.0.0.1").strip() or "127.0.0.1"
    port = _int(environ, "CIVIC_PORT", 5000)
    if not 0 < port < 65536:
        raise ConfigurationError(f"CIVIC_PORT must be a TCP port (1-65535), not {port}")
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'civic.sqlite3'}"
    search_backend = environ.get("SEARCH_BACKEND", "auto").strip().lower() or "auto"
    if search_backend not in SEARCH_BACKENDS:
        raise ConfigurationError(f"SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}, not {search_backend!r}")
    document_max = _int(environ, "CIVIC_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
    image_max = _int(environ, "CIVIC_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
    return {
        "CIVIC_ENV": env,
        "DEBUG": False,
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(environ, database_url),
        # A pooled connection idle this long is checked before use (civic.common.db.ping_after_idle).
        "CIVIC_DB_PING_AFTER_IDLE_SECONDS": _int(environ, "CIVIC_DB_PING_AFTER_IDLE_SECONDS", 10),
        "REDIS_URL": redis_url,
        "CIVIC_SITE_NAME": environ.get("CIVIC_SITE_NAME", "Civic"),
        # The council's identity (README, "Your council's identity"): checked by check_config.
        "CIVIC_BRAND_COLOUR": environ.get("CIVIC_BRAND_COLOUR", DEFAULT_BRAND_COLOUR).strip(),
        "CIVIC_LOGO_FILE": environ.get("CIVIC_LOGO_FILE") or None,
        "CIVIC_CONTACT_EMAIL": environ.get("CIVIC_CONTACT_EMAIL", "").strip(),
        # Residents who answer the demo consultation (`flask civic seed-demo`): results at a realistic volume.
        "CIVIC_DEMO_RESIDENTS": _int(environ, "CIVIC_DEMO_RESIDENTS", 320),
        "CIVIC_FOOTER_LINKS": parse_footer_links(environ.get("CIVIC_FOOTER_LINKS", "")),
        # Where `python wsgi.py` (make run) listens, and the address links in emails use by default.
        "CIVIC_HOST": host,
        "CIVIC_PORT": port,
        "CIVIC_BASE_URL": (environ.get("CIVIC_BASE_URL") or f"http://{_host_in_links(host)}:{port}").rstrip("/"),
        "CIVIC_DEFAULT_LANGUAGE": environ.get("CIVIC_DEFAULT_LANGUAGE", "en"),
        "CIVIC_LANGUAGES": ("en", "es"),
        "CIVIC_TIMEZONE": environ.get("CIVIC_TIMEZONE", "UTC"),
        "CIVIC_REQUIRE_STAFF_2FA": _flag(environ.get("CIVIC_REQUIRE_STAFF_2FA"), production),
        "CIVIC_PASSWORD_MIN_LENGTH": _int(environ, "CIVIC_PASSWORD_MIN_LENGTH", 10),
        "CIVIC_EMAIL_TOKEN_MAX_AGE": _int(environ, "CIVIC_EMAIL_TOKEN_MAX_AGE", 48 * 3600),
        "CIVIC_RESET_TOKEN_MAX_AGE": _int(environ, "CIVIC_RESET_TOKEN_MAX_AGE", 3600),
        "CIVIC_OUTBOX_PATH": str(instance_path / "outbox"),
        # Full-text search (civic/search/): auto is PostgreSQL's own full-text search on PostgreSQL
        # (several app servers share it) and an embedded Whoosh index otherwise.
        "SEARCH_BACKEND": search_backend,
        # The Whoosh index's folder; by default search-index/ in the instance folder.
        "SEARCH_INDEX_PATH": environ.get("CIVIC_SEARCH_INDEX_PATH") or None,
        "CIVIC_DEV_MAIL_PAGE": not production,
        # Hashing cost: argon2id, RFC 9106 second recommended option (64 MiB, 3 passes).
        "CIVIC_ARGON2_TIME_COST": _int(environ, "CIVIC_ARGON2_TIME_COST", 3),
        "CIVIC_ARGON2_MEMORY_KIB": _int(environ, "CIVIC_ARGON2_MEMORY_KIB", 65536),
        "MAIL_SERVER": environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 587),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _flag(environ.get("MAIL_USE_SSL"), False),
        "MAIL_TIMEOUT": _int(environ, "MAIL_TIMEOUT", 20),
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER", "Civic <no-reply@civic.localhost>"),
        # Consultation documents and cover images; a larger file is refused with a message.
        "CIVIC_DOCUMENT_MAX_BYTES": document_max,
        "CIVIC_IMAGE_MAX_BYTES": image_max,
        "CIVIC_UPLOAD_PATH": environ.get("CIVIC_UPLOAD_PATH") or str(instance_path / "uploads"),
        # Above both, so that the upload page (not a bare 413) says a file is too large.
        "MAX_CONTENT_LENGTH": _int(environ, "CIVIC_MAX_UPLOAD_BYTES", max(document_max, image_max) + 1024 * 1024),
        # Petitions
        "CIVIC_PETITION_SPONSORS": _int(environ, "CIVIC_PETITION_SPONSORS", 5),
        "CIVIC_PETITION_RESPONSE_THRESHOLD": _int(environ, "CIVIC_PETITION_RESPONSE_THRESHOLD", 10_000),
        "CIVIC_PETITION_DEBATE_THRESHOLD": _int(environ, "CIVIC_PETITION_DEBATE_THRESHOLD", 100_000),
        "CIVIC_PETITION_OPEN_MONTHS": _int(environ, "CIVIC_PETITION_OPEN_MONTHS", 6),
        # Where signers live: the list offered on the signing form ("Name;Name;..."); the last
        # entry is for everyone else.
        "CIVIC_PETITION_AREAS": tuple(
            a.strip() for a in environ.get("CIVIC_PETITION_AREAS", DEFAULT_PETITION_AREAS).split(";") if a.strip()
        ),
        # Signing limits by network range and by email domain; large mail providers are exempt
        # from the domain limit (their users are many and unrelated).
        "CIVIC_PETITION_COMMON_DOMAINS": frozenset(
            d.strip().lower()
            for d in environ.get("CIVIC_PETITION_COMMON_DOMAINS", DEFAULT_COMMON_DOMAINS).split(",")
            if d.strip()
        ),
        # Citizen proposals: supports needed within so many days of publication for a formal answer
        # Reports (weighted, civic.moderation.services.reports) that hide an item pending review.
        "CIVIC_REPORTS_TO_HIDE": _int(environ, "CIVIC_REPORTS_TO_HIDE", 3),
        # Automatic pre-moderation of comments and statements (civic.premoderation):
        # word lists (a file, one entry a line: refused, or held for a moderator's review), links
        # from accounts younger than so many hours or without a verified email held, and the same
        # or nearly the same text posted THRESHOLD times within MINUTES (by anyone) held.
        "CIVIC_PREMODERATION": _flag(environ.get("CIVIC_PREMODERATION"), True),
        "CIVIC_PREMODERATION_BLOCK_WORDS_FILE": _word_list_file(environ, "CIVIC_PREMODERATION_BLOCK_WORDS_FILE", ""),
        "CIVIC_PREMODERATION_HOLD_WORDS_FILE": _word_list_file(
            environ, "CIVIC_PREMODERATION_HOLD_WORDS_FILE", str(DEFAULT_HOLD_WORDS_FILE)
        ),
        "CIVIC_PREMODERATION_LINK_DELAY_HOURS": _int(environ, "CIVIC_PREMODERATION_LINK_DELAY_HOURS", 24),
        "CIVIC_PREMODERATION_BURST_MINUTES": _int(environ, "CIVIC_PREMODERATION_BURST_MINUTES", 30),
        "CIVIC_PREMODERATION_BURST_THRESHOLD": _int(environ, "CIVIC_PREMODERATION_BURST_THRESHOLD", 3),
        # Moderators get an email about new reports at most this often (0: never), from `flask civic tick`.
        "CIVIC_REPORT_DIGEST_MINUTES": _int(environ, "CIVIC_REPORT_DIGEST_MINUTES", 60),
        # Days the person concerned has to appeal a moderation decision (civic.moderation).
        "CIVIC_APPEAL_DAYS": _int(environ, "CIVIC_APPEAL_DAYS", 14),
        "CIVIC_PROPOSAL_SUPPORTS": _int(environ, "CIVIC_PROPOSAL_SUPPORTS", 300),
        "CIVIC_PROPOSAL_DAYS": _int(environ, "CIVIC_PROPOSAL_DAYS", 90),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
        "PERMANENT_SESSION_LIFETIME": 14 * 24 * 3600,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "CIVIC_HSTS": production,
        "CIVIC_TRUSTED_PROXIES": _int(environ, "CIVIC_TRUSTED_PROXIES", 0),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_ENABLED": _flag(environ.get("CIVIC_RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # With Redis down, limits fall back to this process's memory rather than failing writes.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_KEY_PREFIX": environ.get("CIVIC_RATELIMIT_PREFIX", "civic"),
        "CIVIC_SOCKETIO_MESSAGE_QUEUE": redis_url,
        # threading for `make run` and the tests; gevent under deploy/gunicorn.conf.py, which sets it.
        "CIVIC_ASYNC_MODE": async_mode,
        "CIVIC_WORKER_CONNECTIONS": worker_connections,
        # Live (Socket.IO) connections one process accepts; past it new ones are refused politely
        # and pages say "refresh for updates". The rest of the worker's connections stay for HTTP.
        "CIVIC_MAX_LIVE_CONNECTIONS": _int(environ, "CIVIC_MAX_LIVE_CONNECTIONS", worker_connections * 4 // 5),
        # How often each process checks that the sessions of its open signed-in live connections
        # have not ended (signed out elsewhere, password changed, role revoked); 0: never.
        "CIVIC_LIVE_SESSION_CHECK_SECONDS": _int(environ, "CIVIC_LIVE_SESSION_CHECK_SECONDS", 10),
        # Prefix of Civic's own Redis keys (presence), so that several sites can share a server.
        "CIVIC_REDIS_KEY_PREFIX": environ.get("CIVIC_REDIS_KEY_PREFIX", "civic"),
        # Anonymous public pages (see civic/common/caching.py): how long a proxy or CDN may keep
        # them, and the optional Redis page cache (needs REDIS_URL) and how long it keeps a page.
        "CIVIC_PUBLIC_CACHE_SECONDS": _int(environ, "CIVIC_PUBLIC_CACHE_SECONDS", 10),
        "CIVIC_PAGE_CACHE": _flag(environ.get("CIVIC_PAGE_CACHE"), False),
        "CIVIC_PAGE_CACHE_SECONDS": _int(environ, "CIVIC_PAGE_CACHE_SECONDS", 15),
        # Rendered comment cards each process keeps (civic/discussions/presenting.py; ~3 KiB each
        # with its key); 0 keeps none.
        "CIVIC_COMMENT_CARDS_KEPT": _int(environ, "CIVIC_COMMENT_CARDS_KEPT", 5000),
        # Parts of signed-in pages shared by readers of the same kind, kept per process (a
        # discussion page's comments, ~250 KB each): civic.common.caching.shared_part.
        "CIVIC_SHARED_PARTS_KEPT": _int(environ, "CIVIC_SHARED_PARTS_KEPT", 200),
        # The staff navigation's counts of what waits (civic/admin/overview.py), kept per process
        # this many seconds; a change to what they count made in the process forgets them at once,
        # and a new report reaches every moderator's open pages live. 0 counts on every page.
        "CIVIC_STAFF_COUNTS_SECONDS": _int(environ, "CIVIC_STAFF_COUNTS_SECONDS", 5),
        **{name: environ.get(name) or default for name, default in DEFAULT_LIMITS.items()},
    }


def _host_in_links(host):
    """A server listening on every address is reached at 127.0.0.1 from this machine."""
    if host in ("0.0.0.0", "::", "[::]"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _engine_options(environ, database_url):
    """SQLAlchemy engine options. The pool matters under gevent, where one process runs as many
    requests at once as it has worker connections: a request beyond the pool waits for a
    connection (CIVIC_DB_POOL_TIMEOUT seconds) rather than failing. See docs/scaling.md."""
    options = {}  # no pool_pre_ping: civic.common.db.ping_after_idle checks only idle connections
    if database_url.startswith("sqlite"):
        return options
    options["pool_size"] = _int(environ, "CIVIC_DB_POOL_SIZE", 10)
    options["max_overflow"] = _int(environ, "CIVIC_DB_MAX_OVERFLOW", 10)
    options["pool_timeout"] = _int(environ, "CIVIC_DB_POOL_TIMEOUT", 60)
    if _flag(environ.get("CIVIC_DB_PGBOUNCER"), False):
        # PgBouncer in transaction mode hands each transaction to any server connection:
        # no server-side prepared statements (psycopg 3 prepares repeated queries by default).
        options["connect_args"] = {"prepare_threshold": None}
    return options


DEFAULT_BRAND_COLOUR = "#1d4f91"


def parse_footer_links(value):
    """ "Label=URL;Label=URL" -> ((label, url), ...); a URL is https://, http:// or a path on the site."""
    links = []
    for part in (value or "").split(";"):
        if not part.strip():
            continue
        label, found, url = part.partition("=")
        label, url = label.strip(), url.strip()
        if not found or not label or not url.startswith(("https://", "http://", "/")) or url.startswith("//"):
            raise ConfigurationError(
                f"CIVIC_FOOTER_LINKS: each link is Label=URL (https://..., http://... or /path), not {part.strip()!r}"
            )
        links.append((label, url))
    return tuple(links)


def logo_type(data):
    """The content type of a logo by its bytes, as uploads are typed (common.uploads): PNG,
    JPEG or WebP; None for anything else (SVG included: it can hold scripts)."""
    kind = detect_content(io.BytesIO(data))
    return KINDS[kind].content_type if kind in IMAGE_KINDS else None


def _check_identity(config):
    rgb = parse_hex(config.get("CIVIC_BRAND_COLOUR", DEFAULT_BRAND_COLOUR))
    if rgb is None:
        raise ConfigurationError(
            f"CIVIC_BRAND_COLOUR must be a colour like #1d4f91, not {config['CIVIC_BRAND_COLOUR']!r}"
        )
    ratio = contrast_ratio(rgb, (255, 255, 255))
    if ratio < AA_NORMAL_TEXT:
        raise ConfigurationError(
            f"CIVIC_BRAND_COLOUR {config['CIVIC_BRAND_COLOUR']} gives white text a contrast of {ratio:.2f}:1; "
            f"WCAG 2.2 AA needs at least {AA_NORMAL_TEXT}:1. Choose a darker colour."
        )
    logo = config.get("CIVIC_LOGO_FILE")
    if logo:
        try:
            head = Path(logo).read_bytes()[:4096]
        except OSError as exc:
            raise ConfigurationError(f"CIVIC_LOGO_FILE {logo} cannot be read: {exc.strerror}") from exc
        if logo_type(head) is None:
            raise ConfigurationError(f"CIVIC_LOGO_FILE {logo} must be a PNG, JPEG or WebP image")


def check_config(config):
    """Refuse configurations that would be unsafe to run."""
    _check_identity(config)
    if config.get("CIVIC_PREMODERATION_BURST_THRESHOLD", 3) < 2:
        raise ConfigurationError("CIVIC_PREMODERATION_BURST_THRESHOLD must be at least 2")
    if config.get("CIVIC_PREMODERATION_BURST_MINUTES", 30) < 1:
        raise ConfigurationError("CIVIC_PREMODERATION_BURST_MINUTES must be at least 1")
    if config.get("CIVIC_PREMODERATION_LINK_DELAY_HOURS", 24) < 0:
        raise ConfigurationError("CIVIC_PREMODERATION_LINK_DELAY_HOURS must not be negative")
    if config.get("SEARCH_BACKEND") == "postgres" and not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise ConfigurationError("SEARCH_BACKEND=postgres needs a PostgreSQL database (DATABASE_URL)")
    if config["CIVIC_ENV"] == "production":
        key = config.get("SECRET_KEY") or ""
        if not key or key == DEVELOPMENT_SECRET_KEY:
            raise ConfigurationError(
                "SECRET_KEY must be set to a long random value in production "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if len(key) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters long in production")
