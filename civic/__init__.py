"""Civic: create_app() reads like a table of contents of the application."""

import logging
import sys
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

import civic.models  # noqa: F401 - every model, so that Alembic and db.metadata see the whole schema
from civic import permissions, premoderation, realtime
from civic.accountability import templating as accountability_templating
from civic.accountability.models import ImplementationRecord, Milestone
from civic.accountability.services.milestones import register_milestone_mailings
from civic.accountability.services.records import follow_proposal_move
from civic.accountability.views import bp as accountability_bp
from civic.accounts import templating as accounts_templating
from civic.accounts.models import AnonymousUser
from civic.accounts.services.sessions import live_session_ids, load_user_for_session
from civic.accounts.views import bp as accounts_bp
from civic.admin import templating as admin_templating
from civic.admin.views import bp as admin_bp
from civic.audit import public_log
from civic.audit import services as audit_services
from civic.audit.models import AuditEntry
from civic.budgets import templating as budgets_templating
from civic.budgets.models import Budget, BudgetArea, Project
from civic.budgets.services.budgets import load_budget
from civic.budgets.views import bp as budgets_bp
from civic.cli import civic_cli, users_cli
from civic.cli.search import search_cli
from civic.common import caching
from civic.common import templating as common_templating
from civic.common.db import after_every_commit, end_request_session, ping_after_idle, retry_reads_once
from civic.common.http import register_error_handlers
from civic.common.i18n import install_template_gettext, select_locale, select_timezone
from civic.common.inputs import guard_inputs
from civic.common.security import init_security_headers
from civic.config import PROJECT_ROOT, check_config, load_config
from civic.consultations import templating as consultations_templating
from civic.consultations.models import (
    Consultation,
    Correction,
    Document,
    DraftSection,
    OutcomeItem,
    Question,
    Statement,
    TimelinePhase,
)
from civic.consultations.services.draft_text import draft_section_context
from civic.consultations.services.follows import register_consultation_mailings
from civic.consultations.services.lifecycle import consultation_context, load_consultation
from civic.consultations.services.search_documents import register_search_documents as consultation_documents
from civic.consultations.views.blueprint import bp as consultations_bp
from civic.discussions import templating as discussions_templating
from civic.discussions.contexts import register_context_kind
from civic.discussions.models import Comment, Discussion
from civic.discussions.services.discussions import load_discussion
from civic.discussions.services.search_documents import register_search_documents as discussion_documents
from civic.discussions.views import bp as discussions_bp
from civic.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from civic.mail.backends import backend_from_config
from civic.mail.views import bp as mail_bp
from civic.moderation.models import REASON_LABELS as MODERATION_REASON_LABELS
from civic.moderation.models import ModerationDecision, register_reason_labels
from civic.moderation.services import decisions as moderation_decisions
from civic.moderation.views import bp as moderation_bp
from civic.notifications import templating as notifications_templating
from civic.notifications.views import bp as notifications_bp
from civic.pages.views import bp as pages_bp
from civic.petitions import templating as petitions_templating
from civic.petitions.models import REJECTION_LABELS, Petition
from civic.petitions.services.queries import load_petition, petition_context
from civic.petitions.services.responses import register_petition_mailings
from civic.petitions.services.search_documents import register_search_documents as petition_documents
from civic.petitions.views import bp as petitions_bp
from civic.proposals import templating as proposals_templating
from civic.proposals.models import Proposal
from civic.proposals.services.answers import register_answer_mailings
from civic.proposals.services.lifecycle import on_proposal_moved, register_lifecycle_mailings
from civic.proposals.services.queries import load_proposal, proposal_context
from civic.proposals.services.search_documents import register_search_documents as proposal_documents
from civic.proposals.views import bp as proposals_bp
from civic.search.indexing import apply_committed_changes, apply_pending_at_start, init_search

log = logging.getLogger(__name__)


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
    guard_inputs(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["CIVIC_TRUSTED_PROXIES"]:
        hops = app.config["CIVIC_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)
    retry_reads_once(app)
    _register_discussion_contexts()
    _register_mailings()
    _register_domain_listeners()
    _register_page_cache_sources()
    _register_search(app)
    _register_socket_namespaces(app)
    _register_cli(app)
    _register_error_handlers_and_headers(app)
    _register_template_helpers(app)
    apply_pending_at_start(app)
    return app


def _init_extensions(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    db.init_app(app)
    with app.app_context():
        ping_after_idle(db.engine, app.config["CIVIC_DB_PING_AFTER_IDLE_SECONDS"])
    # Teardowns run last-registered first: this one ends the session before Flask-SQLAlchemy's own,
    # which would fail on a connection the database closed during the request.
    app.teardown_appcontext(end_request_session)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message_category = "warning"
    login_manager.login_message = lazy_gettext("Please sign in to see that page.")
    login_manager.anonymous_user = AnonymousUser
    login_manager.user_loader(load_user_for_session)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    # Flask-SocketIO keeps the previous app's queue manager when the new one has no queue;
    # drop it so that each app gets exactly the queue its config names (matters in tests).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        # From configuration: an installed gevent or eventlet must not change it by itself.
        async_mode=app.config["CIVIC_ASYNC_MODE"],
        message_queue=app.config["CIVIC_SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=[app.config["CIVIC_BASE_URL"]] if app.config["CIVIC_ENV"] == "production" else None,
        manage_session=False,
    )
    app.extensions["civic_mail"] = backend_from_config(app.config)
    if app.config["CIVIC_ASYNC_MODE"] == "gevent" and not _gevent_patched():
        log.warning(
            "CIVIC_ASYNC_MODE=gevent but the standard library is not monkey-patched: run under "
            "`gunicorn -c deploy/gunicorn.conf.py wsgi:app` (or patch before importing civic), "
            "or database and Redis calls block every other connection of this process."
        )


def _gevent_patched():
    """True when gevent has patched this process before psycopg chose its wait function."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("socket") and monkey.is_module_patched("select"))


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
    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(petitions_bp)
    app.register_blueprint(budgets_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(accountability_bp)
    app.register_blueprint(moderation_bp)
    if app.config["CIVIC_DEV_MAIL_PAGE"]:
        app.register_blueprint(mail_bp)


def _register_discussion_contexts():
    """What attached discussions are about: the page links back, and the object's rules decide who
    may read them and whether they take comments."""
    register_context_kind("consultation", consultation_context)
    register_context_kind("draft_section", draft_section_context)
    register_context_kind("petition", petition_context)
    register_context_kind("proposal", proposal_context)


def _register_mailings():
    """Mail to many people: each domain names who receives the mailings it starts."""
    register_consultation_mailings()
    register_petition_mailings()
    register_lifecycle_mailings()
    register_answer_mailings()
    register_milestone_mailings()


def _register_domain_listeners():
    """A domain built on another is told of its moves: an accepted proposal opens its
    implementation record (and one implemented finishes it), without proposals importing it."""
    on_proposal_moved("accountability", follow_proposal_move)
    # The public moderation log shows a rejected petition's standard reason (civic/audit/public_log.py).
    public_log.register_reasons("petition.reject", REJECTION_LABELS)
    # ...and the rule of automatic pre-moderation behind each of its decisions.
    for action in (premoderation.BLOCKED, premoderation.HELD, premoderation.APPROVED, premoderation.REJECTED):
        public_log.register_reasons(action, premoderation.RULE_LABELS)
    public_log.register_reasons("report.uphold", MODERATION_REASON_LABELS)
    public_log.register_reasons("content.hide_all_of_user", MODERATION_REASON_LABELS)
    # Moderation decisions publish their standard reason (the reports' list), and their appeals.
    for action in ("content.restore", "user.warn", "user.suspend", "user.ban"):
        public_log.register_reasons(action, MODERATION_REASON_LABELS)
    public_log.register_appeal_states(moderation_decisions.appeal_states)
    # Petitions and statements are rejected by their own services; each rejection is a decision too.
    register_reason_labels("petition", REJECTION_LABELS)
    for action in ("petition.reject", "statement.reject"):
        audit_services.register_listener(action, moderation_decisions.record_rejection)


def _register_page_cache_sources():
    """Which pages a committed write makes stale (the Redis page cache renders them afresh).
    Counters that change constantly are quiet: those pages may be a few seconds behind, and the
    live tally on the page corrects them."""
    caching.watch(Petition, lambda p: [("petition", p.id)], quiet=("signature_count", "last_signed_at", "updated_at"))
    caching.watch(
        Proposal,
        lambda p: [("proposal", p.id)],
        quiet=("support_count", "last_supported_at", "trending_score", "updated_at"),
    )
    caching.watch(Consultation, lambda c: [("consultation", c.id)], quiet=("response_count", "updated_at"))
    for part in (TimelinePhase, Correction, Question, Document, DraftSection, OutcomeItem):
        caching.watch(part, lambda row: [("consultation", row.consultation_id)])
    caching.watch(
        Statement,
        lambda s: [("consultation", s.consultation_id)],
        quiet=("agree_count", "disagree_count", "pass_count"),
    )
    # Ballots are quiet: a budget's count of ballots may lag (its live tally corrects an open page),
    # and once voting has closed they no longer change.
    caching.watch(Budget, lambda b: [("budget", b.id)])
    for part in (BudgetArea, Project):
        caching.watch(part, lambda row: [("budget", row.budget_id)])
    caching.watch(ImplementationRecord, lambda r: [("implementation", r.id), ("proposal", r.proposal_id)])
    caching.watch(Milestone, lambda m: [("implementation", m.record_id)])
    caching.watch(Discussion, _pages_of_discussion)
    caching.watch(AuditEntry, lambda entry: [("audit", entry.id)])  # the public moderation log
    # An appeal sent changes the log's "appealed" column without an audit entry.
    caching.watch(ModerationDecision, lambda decision: [("audit", decision.audit_entry_id)])
    caching.watch(
        Comment,
        lambda c: _pages_of_discussion(db.session.get(Discussion, c.discussion_id)),
        quiet=("upvotes", "downvotes", "best_score", "controversy"),
    )


def _register_search(app):
    """Full-text search: each domain says how its items become search documents; a change to one is
    written to the search outbox in its own transaction and applied after the commit (and when the
    app starts and by the periodic task, for whatever a crash left behind)."""
    init_search(app)
    for register in (petition_documents, proposal_documents, consultation_documents, discussion_documents):
        register()
    after_every_commit(apply_committed_changes)


def _pages_of_discussion(discussion):
    """A discussion's page, and the page of what it is about (which counts its comments)."""
    return [("discussion", discussion.id), (discussion.context_type, discussion.context_id)]


def _register_socket_namespaces(app):
    """Sockets join rooms only after can(user, "<kind>.view", obj) on the object each domain loads."""
    realtime.register_socket_handlers(app)
    realtime.register_session_check(live_session_ids)
    realtime.register_room_kind("discussion", load_discussion)
    realtime.register_room_kind("consultation", load_consultation)
    realtime.register_room_kind("petition", load_petition)
    realtime.register_room_kind("budget", load_budget)
    realtime.register_room_kind("proposal", load_proposal)


def _register_cli(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(civic_cli)
    app.cli.add_command(search_cli)


def _register_error_handlers_and_headers(app):
    register_error_handlers(app)
    init_security_headers(app)
    caching.init_caching(app)


def _register_template_helpers(app):
    """Each part of the site adds the names its templates use (can(), labels, formatting)."""
    for part in (
        common_templating,
        permissions,
        accounts_templating,
        discussions_templating,
        notifications_templating,
        consultations_templating,
        petitions_templating,
        budgets_templating,
        proposals_templating,
        accountability_templating,
        admin_templating,
    ):
        part.register_template_helpers(app)
