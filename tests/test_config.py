import pytest

from civic import create_app
from civic.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, load_config
from civic.extensions import socketio
from civic.search.indexing import backend_name
from tests.support.apps import base_config


def test_defaults_need_no_setup():
    config = load_config({})
    assert config["CIVIC_ENV"] == "development"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("instance/civic.sqlite3")
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["CIVIC_SOCKETIO_MESSAGE_QUEUE"] is None
    assert config["CIVIC_REQUIRE_STAFF_2FA"] is False
    assert config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY


def test_environment_variables_configure_services():
    config = load_config(
        {
            "DATABASE_URL": "postgresql+psycopg://civic@db/civic",
            "REDIS_URL": "redis://cache:6379/1",
            "MAIL_SERVER": "smtp.example.org",
            "MAIL_PORT": "2525",
            "CIVIC_SITE_NAME": "Villa Verde",
            "CIVIC_DEFAULT_LANGUAGE": "es",
        }
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://civic@db/civic"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/1"
    assert config["CIVIC_SOCKETIO_MESSAGE_QUEUE"] == "redis://cache:6379/1"
    assert config["MAIL_SERVER"] == "smtp.example.org" and config["MAIL_PORT"] == 2525
    assert config["CIVIC_SITE_NAME"] == "Villa Verde" and config["CIVIC_DEFAULT_LANGUAGE"] == "es"


def test_production_turns_on_secure_defaults():
    config = load_config({"CIVIC_ENV": "production", "SECRET_KEY": "x" * 40})
    assert config["CIVIC_REQUIRE_STAFF_2FA"] is True
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["CIVIC_HSTS"] is True
    assert config["CIVIC_DEV_MAIL_PAGE"] is False


def test_staff_two_factor_can_be_switched_by_environment():
    assert load_config({"CIVIC_REQUIRE_STAFF_2FA": "1"})["CIVIC_REQUIRE_STAFF_2FA"] is True
    assert (
        load_config({"CIVIC_ENV": "production", "SECRET_KEY": "x" * 40, "CIVIC_REQUIRE_STAFF_2FA": "0"})[
            "CIVIC_REQUIRE_STAFF_2FA"
        ]
        is False
    )


@pytest.mark.parametrize("key", [None, "", DEVELOPMENT_SECRET_KEY, "short-key"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, key):
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_INSTANCE_PATH", str(tmp_path))
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    app = create_app()
    assert app.config["CIVIC_ENV"] == "production"
    assert "mail" not in app.blueprints  # the development outbox never exists in production


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError):
        load_config({"CIVIC_ENV": "staging"})


def test_bad_number_is_refused_with_its_name():
    with pytest.raises(ConfigurationError, match="MAIL_PORT"):
        load_config({"MAIL_PORT": "twenty"})


def test_socketio_runs_in_threading_mode(tmp_path):
    create_app(base_config(tmp_path))
    assert socketio.async_mode == "threading"
    assert socketio.server.async_mode == "threading"


def test_socketio_uses_redis_as_message_queue_when_configured(tmp_path, redis_url):
    import socketio as python_socketio

    create_app(base_config(tmp_path, REDIS_URL=redis_url, CIVIC_SOCKETIO_MESSAGE_QUEUE=redis_url))
    try:
        assert isinstance(socketio.server.manager, python_socketio.RedisManager)
    finally:
        create_app(base_config(tmp_path))  # leave the shared extension without a queue


def test_async_mode_comes_from_configuration():
    assert load_config({})["CIVIC_ASYNC_MODE"] == "threading"
    assert load_config({"CIVIC_ASYNC_MODE": "gevent"})["CIVIC_ASYNC_MODE"] == "gevent"
    with pytest.raises(ConfigurationError, match="CIVIC_ASYNC_MODE"):
        load_config({"CIVIC_ASYNC_MODE": "eventlet"})


def test_database_pool_is_configurable_and_pgbouncer_turns_prepared_statements_off():
    url = "postgresql+psycopg://civic@db/civic"
    options = load_config({"DATABASE_URL": url})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (10, 10, 60)
    assert "connect_args" not in options
    options = load_config(
        {"DATABASE_URL": url, "CIVIC_DB_POOL_SIZE": "30", "CIVIC_DB_POOL_TIMEOUT": "120", "CIVIC_DB_PGBOUNCER": "1"}
    )["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["pool_timeout"]) == (30, 120)
    assert options["connect_args"] == {"prepare_threshold": None}
    assert "pool_size" not in load_config({})["SQLALCHEMY_ENGINE_OPTIONS"]  # SQLite keeps its defaults


def test_the_port_and_host_set_the_address_links_use():
    """Issue 12: with CIVIC_PORT set, the banner and the seeded emails still linked to port 5000."""
    assert load_config({})["CIVIC_BASE_URL"] == "http://127.0.0.1:5000"
    config = load_config({"CIVIC_PORT": "8123"})
    assert (config["CIVIC_HOST"], config["CIVIC_PORT"]) == ("127.0.0.1", 8123)
    assert config["CIVIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert load_config({"CIVIC_HOST": "0.0.0.0", "CIVIC_PORT": "8080"})["CIVIC_BASE_URL"] == "http://127.0.0.1:8080"
    assert load_config({"CIVIC_HOST": "::1", "CIVIC_PORT": "8080"})["CIVIC_BASE_URL"] == "http://[::1]:8080"
    explicit = {"CIVIC_PORT": "8123", "CIVIC_BASE_URL": "https://civic.example.org/"}
    assert load_config(explicit)["CIVIC_BASE_URL"] == "https://civic.example.org"
    for bad in ("0", "70000", "eighty"):
        with pytest.raises(ConfigurationError, match="CIVIC_PORT"):
            load_config({"CIVIC_PORT": bad})


def test_a_brand_colour_must_keep_white_text_readable(tmp_path):
    """Issue 12: a council's colour is refused if white text on it fails WCAG 2.2 AA (4.5:1)."""
    from civic.config import check_config

    ok = base_config(tmp_path, CIVIC_BRAND_COLOUR="#0b5d3b")
    check_config(ok)
    for colour, message in (("#ffcc00", "contrast of 1."), ("teal", "a colour like"), ("#12345", "a colour like")):
        with pytest.raises(ConfigurationError, match=message):
            check_config(base_config(tmp_path, CIVIC_BRAND_COLOUR=colour))


def test_footer_links_and_the_logo_are_checked():
    from civic.config import logo_type, parse_footer_links

    assert parse_footer_links("Council=https://council.example; Privacy=/privacy") == (
        ("Council", "https://council.example"),
        ("Privacy", "/privacy"),
    )
    for bad in ("javascript:alert(1)", "Evil=//evil.example", "=https://x.example", "Nothing"):
        with pytest.raises(ConfigurationError, match="CIVIC_FOOTER_LINKS"):
            parse_footer_links(bad)
    assert logo_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert logo_type(b"<svg xmlns=") is None


def test_premoderation_is_on_by_default_with_the_shipped_hold_list(tmp_path):
    config = load_config({})
    assert config["CIVIC_PREMODERATION"] is True
    assert config["CIVIC_PREMODERATION_HOLD_WORDS_FILE"].endswith("premoderation_hold_words.txt")
    assert config["CIVIC_PREMODERATION_BLOCK_WORDS_FILE"] == ""
    assert (config["CIVIC_PREMODERATION_LINK_DELAY_HOURS"], config["CIVIC_PREMODERATION_BURST_THRESHOLD"]) == (24, 3)
    words = tmp_path / "block.txt"
    words.write_text("scumbag\n", encoding="utf-8")
    config = load_config(
        {
            "CIVIC_PREMODERATION": "0",
            "CIVIC_PREMODERATION_BLOCK_WORDS_FILE": str(words),
            "CIVIC_PREMODERATION_HOLD_WORDS_FILE": "",
        }
    )
    assert config["CIVIC_PREMODERATION"] is False
    assert config["CIVIC_PREMODERATION_BLOCK_WORDS_FILE"] == str(words)
    assert config["CIVIC_PREMODERATION_HOLD_WORDS_FILE"] == ""


def test_premoderation_refuses_a_missing_word_list_and_a_burst_of_one(tmp_path):
    with pytest.raises(ConfigurationError, match="CIVIC_PREMODERATION_BLOCK_WORDS_FILE"):
        load_config({"CIVIC_PREMODERATION_BLOCK_WORDS_FILE": str(tmp_path / "missing.txt")})
    with pytest.raises(ConfigurationError, match="BURST_THRESHOLD"):
        create_app(base_config(tmp_path, CIVIC_PREMODERATION_BURST_THRESHOLD=1))


def test_search_backend_is_chosen_by_the_database_unless_named():

    class App:
        def __init__(self, **config):
            self.config = config

    assert load_config({})["SEARCH_BACKEND"] == "auto"
    assert backend_name(App(SEARCH_BACKEND="auto", SQLALCHEMY_DATABASE_URI="sqlite:///x")) == "whoosh"
    assert backend_name(App(SEARCH_BACKEND="auto", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://h/db")) == "postgres"
    assert backend_name(App(SEARCH_BACKEND="whoosh", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://h/db")) == "whoosh"


def test_unknown_search_backend_or_postgres_search_without_postgres_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="SEARCH_BACKEND"):
        load_config({"SEARCH_BACKEND": "elastic"})
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        create_app(base_config(tmp_path, SEARCH_BACKEND="postgres"))
