"""Civic: create_app() reads like a table of contents of the application."""
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from civic.config import PROJECT_ROOT, check_config, load_config


def create_app(config=None):
    """Build the app. `config` overrides values read from the environment (tests use it)."""
    settings = load_config()
    settings.update(config or {})
    check_config(settings)

    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["CIVIC_TRUSTED_PROXIES"]:
        hops = app.config["CIVIC_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)
    _register_discussion_contexts()
    _register_socket_namespaces(app)
    _register_cli(app)
    _register_error_handlers_and_headers(app)
    _register_template_helpers(app)
    return app


def _init_extensions(app):
    from civic.accounts.models import AnonymousUser
    from civic.accounts.services import load_user_for_session
    from civic.common.i18n import select_locale, select_timezone
    from civic.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from civic.mail.backends import backend_from_config

    # Import every model so that Alembic and db.metadata see the whole schema.
    import civic.models  # noqa: F401

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message_category = "warning"
    login_manager.anonymous_user = AnonymousUser
    login_manager.user_loader(load_user_for_session)
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to see that page.")
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-SocketIO keeps the previous app's queue manager when the new one has no queue;
    # drop it so that each app gets exactly the queue its config names (matters in tests).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="threading",  # explicit: an installed gevent or eventlet must not change it
        message_queue=app.config["CIVIC_SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=[app.config["CIVIC_BASE_URL"]] if app.config["CIVIC_ENV"] == "production" else None,
        manage_session=False,
    )
    app.extensions["civic_mail"] = backend_from_config(app.config)


def _tune_sqlite(app):
    """SQLite on one machine: wait for a busy database instead of failing at once, and let
    readers work while someone writes (WAL)."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}), "timeout": 30}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # Once per process: a listener added per app would run once more on every new connection
    # for each app created before (hundreds in a test run).
    if not event.contains(Engine, "connect", _set_sqlite_pragmas):
        event.listen(Engine, "connect", _set_sqlite_pragmas)


def _set_sqlite_pragmas(connection, _record):
    if type(connection).__module__.startswith("sqlite3"):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app):
    from civic.accounts.views import bp as accounts_bp
    from civic.admin.views import bp as admin_bp
    from civic.consultations.views import bp as consultations_bp
    from civic.discussions.views import bp as discussions_bp
    from civic.mail.views import bp as mail_bp
    from civic.notifications.views import bp as notifications_bp
    from civic.pages.views import bp as pages_bp
    from civic.petitions.views import bp as petitions_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(petitions_bp)
    if app.config["CIVIC_DEV_MAIL_PAGE"]:
        app.register_blueprint(mail_bp)


def _register_discussion_contexts():
    """What attached discussions are about: the page links back, and the object's rules decide who
    may read them and whether they take comments."""
    from civic.consultations.services import consultation_context, draft_section_context
    from civic.discussions.services import register_context_kind
    from civic.petitions.services import petition_context

    register_context_kind("consultation", consultation_context)
    register_context_kind("draft_section", draft_section_context)
    register_context_kind("petition", petition_context)


def _register_socket_namespaces(app):
    from civic.consultations.services import load_consultation
    from civic.discussions.services import load_discussion
    from civic.petitions.services import load_petition
    from civic.realtime import register_room_kind, register_socket_handlers

    register_socket_handlers(app)
    register_room_kind("discussion", load_discussion)
    register_room_kind("consultation", load_consultation)
    register_room_kind("petition", load_petition)


def _register_cli(app):
    from civic.cli import civic_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(civic_cli)


def _register_error_handlers_and_headers(app):
    from civic.common.http import register_error_handlers
    from civic.common.security import init_security_headers

    register_error_handlers(app)
    init_security_headers(app)


def _register_template_helpers(app):
    from civic.common.templating import init_templating

    init_templating(app)
