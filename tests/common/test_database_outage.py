"""A database connection that drops (PostgreSQL restarted, a backend terminated): a fresh connection
where that is safe, otherwise a 503 that says when to try again; never a traceback."""

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from civic.common.db import retry_reads_once
from civic.extensions import csrf, db


@pytest.fixture
def postgres(stack, app):
    """A connection of the test's own, outside the app's pool, to terminate the app's backends."""
    if stack != "services":
        pytest.skip("terminating a server's backends is a PostgreSQL matter")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield Terminator(connection)
    engine.dispose()


class Terminator:
    def __init__(self, connection):
        self.connection = connection

    def terminate(self, pid=None):
        """End one backend, or every backend of the database but this one, as a restart would."""
        if pid is not None:
            self.connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            return
        self.connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@pytest.fixture
def dropping_app(app, postgres):
    """Routes that lose their connection half-way through, as a request does when PostgreSQL
    restarts under it."""
    bp = Blueprint("dropping", __name__)
    csrf.exempt(bp)

    def own_backend():
        return db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()

    attempts = []

    @bp.get("/drop/once")
    def once():
        attempts.append(own_backend())
        if len(attempts) == 1:
            postgres.terminate(attempts[0])
        return str(db.session.execute(text("SELECT 0")).scalar_one())

    @bp.get("/drop/every-time")
    def every_time():
        postgres.terminate(own_backend())
        return str(db.session.execute(text("SELECT 1")).scalar_one())

    @bp.get("/drop/after-a-commit")
    def after_a_commit():
        attempts.append("commit")
        db.session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS scratch (n integer)"))
        db.session.commit()
        postgres.terminate(own_backend())
        return str(db.session.execute(text("SELECT 1")).scalar_one())

    @bp.post("/drop/before-commit")
    def before_commit():
        db.session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS scratch (n integer)"))
        postgres.terminate(own_backend())
        db.session.commit()
        return "committed"

    @bp.get("/drop/after-the-last-query")
    def after_the_last_query():
        postgres.terminate(own_backend())
        return "answered"  # the dead connection is only found when the request ends

    app.register_blueprint(bp)
    retry_reads_once(app)  # as create_app does for the site's own routes
    app.extensions["test_attempts"] = attempts
    return app


def test_a_connection_terminated_between_requests_is_replaced_without_the_person_noticing(app, postgres, web, citizen):
    name = citizen.display_name
    web.sign_in(citizen.email)
    assert web.get("/account").status_code == 200
    db.session.close()  # the test's own session keeps no connection to be terminated
    postgres.terminate()
    again = web.get("/account")
    assert again.status_code == 200 and name in again.get_data(as_text=True)


def test_a_read_whose_connection_is_lost_runs_once_more_on_a_new_one(dropping_app):
    answered = dropping_app.test_client().get("/drop/once")
    assert answered.status_code == 200 and answered.get_data(as_text=True) == "0"
    first, second = dropping_app.extensions["test_attempts"]
    assert first != second  # another backend: a new connection


def test_a_read_is_not_run_again_once_it_has_committed(dropping_app):
    assert dropping_app.test_client().get("/drop/after-a-commit").status_code == 503
    assert dropping_app.extensions["test_attempts"] == ["commit"]


@pytest.mark.parametrize("method,path", [("GET", "/drop/every-time"), ("POST", "/drop/before-commit")])
def test_a_connection_lost_during_a_request_answers_503_with_when_to_retry(dropping_app, method, path):
    client = dropping_app.test_client()
    lost = client.open(path, method=method)
    assert lost.status_code == 503
    assert lost.headers["Retry-After"] == "5"
    page = lost.get_data(as_text=True)
    assert "Traceback" not in page and "psycopg" not in page
    assert "Please try again shortly" in page
    as_json = client.open(path, method=method, headers={"Accept": "application/json"})
    assert as_json.status_code == 503 and as_json.json["error"]["code"] == "database_unavailable"
    assert client.get("/").status_code == 200  # the next request gets a working connection


def test_a_signed_in_persons_lost_connection_still_gets_the_page_that_explains(dropping_app, web, citizen):
    web.sign_in(citizen.email)
    lost = web.get("/drop/every-time")
    assert lost.status_code == 503 and "Please try again shortly" in lost.get_data(as_text=True)
    assert web.get("/account").status_code == 200


def test_a_connection_that_dies_after_the_last_query_does_not_break_the_answer(dropping_app):
    client = dropping_app.test_client()
    answered = client.get("/drop/after-the-last-query")
    assert answered.status_code == 200 and answered.get_data(as_text=True) == "answered"
    assert client.get("/").status_code == 200


@pytest.fixture
def database_down_app(app):
    """A route whose query fails as it does while PostgreSQL is restarting (any database)."""
    bp = Blueprint("down", __name__)

    @bp.get("/down")
    def down():
        raise _connection_refused()

    app.register_blueprint(bp)
    return app


def _connection_refused():
    return OperationalError("SELECT 1", {}, Exception("connection refused: the server is starting up"))


def test_the_503_page_is_drawn_even_when_the_pages_header_needs_the_database(
    database_down_app, monkeypatch, web, citizen
):
    name = citizen.display_name
    web.sign_in(citizen.email)

    def unread_count_fails():
        raise _connection_refused()

    monkeypatch.setitem(database_down_app.jinja_env.globals, "unread_notifications", unread_count_fails)
    lost = web.get("/down")
    page = lost.get_data(as_text=True)
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "5"
    assert "Please try again shortly" in page and "<h1>" in page and name not in page  # as to a visitor


def test_when_no_page_can_be_drawn_the_503_is_plain_text(database_down_app, monkeypatch):
    def nothing_renders(*_args, **_kwargs):
        raise _connection_refused()

    monkeypatch.setattr("civic.common.http.render_template", nothing_renders)
    lost = database_down_app.test_client().get("/down")
    assert lost.status_code == 503 and lost.mimetype == "text/plain" and lost.headers["Retry-After"] == "5"
    assert "try again" in lost.get_data(as_text=True)


def _counting_pings(monkeypatch, app):
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    real_ping = dialect.do_ping

    def ping(dbapi_connection):
        pings.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", ping)
    return pings


@pytest.mark.app_config(CIVIC_DB_PING_AFTER_IDLE_SECONDS=60)
def test_a_connection_in_busy_use_is_not_pinged_before_each_request(app, web, citizen, monkeypatch):
    web.sign_in(citizen.email)
    assert web.get("/account").status_code == 200
    pings = _counting_pings(monkeypatch, app)
    for _ in range(3):
        assert web.get("/account").status_code == 200
    assert pings == []


@pytest.mark.app_config(CIVIC_DB_PING_AFTER_IDLE_SECONDS=0)
def test_a_connection_that_died_while_idle_is_replaced_before_a_write_uses_it(app, postgres, web, citizen, monkeypatch):
    web.sign_in(citizen.email)
    assert web.get("/account").status_code == 200
    token = web.csrf_token("/account")
    pings = _counting_pings(monkeypatch, app)
    db.session.close()
    postgres.terminate()
    form = {"csrf_token": token, "display_name": "Renamed after the restart", "language": "en"}
    form["handle"] = citizen.handle
    response = web.post("/account", form)
    assert response.status_code in (200, 302), response.status_code
    assert pings, "the idle connection was checked before use"
    assert "Renamed after the restart" in web.get("/account").get_data(as_text=True)
