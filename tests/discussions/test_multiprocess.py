"""Two server processes joined by Redis: a comment posted through A reaches a client on B.

Both run as production does: gunicorn with deploy/gunicorn.conf.py (gevent workers)."""

import re
import threading

import pytest
import requests
import socketio as python_socketio

from civic import create_app
from civic.discussions.services.categories import save_category
from civic.discussions.services.discussions import start_discussion
from civic.extensions import db
from tests.support.apps import base_config, migrate_database, unique_prefix
from tests.support.processes import ServerProcess
from tests.support.users import DEFAULT_PASSWORD, new_user

pytestmark = pytest.mark.serial  # starts two server processes and waits for a message between them

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def two_servers(tmp_path, redis_url):
    prefix = unique_prefix("civic-mp")
    config = base_config(
        tmp_path,
        REDIS_URL=redis_url,
        CIVIC_SOCKETIO_MESSAGE_QUEUE=redis_url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        CIVIC_REDIS_KEY_PREFIX=prefix,
        TESTING=False,
    )
    migrate_database({**config, "CIVIC_SOCKETIO_MESSAGE_QUEUE": None})
    seed_app = create_app({**config, "CIVIC_SOCKETIO_MESSAGE_QUEUE": None})
    with seed_app.app_context():
        admin = new_user("admin@example.org", name="Admin", roles=("citizen", "admin"))
        db.session.add(admin)
        db.session.commit()
        category = save_category(admin, name="Transport")
        discussion_id = start_discussion(admin, category, title="Across processes", body="x").id
        db.engine.dispose()
    servers = [ServerProcess(config, tmp_path, "a"), ServerProcess(config, tmp_path, "b")]
    yield servers, discussion_id
    for server in servers:
        server.stop()


def signed_in_session(server):
    session = requests.Session()
    token = CSRF.search(session.get(server.url + "/sign-in").text).group(1)
    response = session.post(
        server.url + "/sign-in",
        allow_redirects=False,
        data={"csrf_token": token, "email": "admin@example.org", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302, response.text[:500]
    return session


def test_comment_posted_on_one_process_reaches_a_client_on_another(two_servers):
    (server_a, server_b), discussion_id = two_servers
    for server in (server_a, server_b):
        assert requests.get(server.url + "/healthz", timeout=5).json()["live"]["async_mode"] == "gevent"
    received = threading.Event()
    payloads = []
    client = python_socketio.Client(reconnection=False)

    @client.on("comment_posted")
    def on_comment(data):
        payloads.append(data)
        received.set()

    client.connect(server_b.url, transports=["websocket"], wait_timeout=10)
    try:
        answer = client.call("join", {"kind": "discussion", "id": discussion_id}, timeout=10)
        assert answer["ok"]
        session = signed_in_session(server_a)
        page = session.get(f"{server_a.url}/discussions/{discussion_id}").text
        token = CSRF.search(page).group(1)
        response = session.post(
            f"{server_a.url}/discussions/{discussion_id}/comments",
            allow_redirects=False,
            data={"csrf_token": token, "body": "Sent through A, read on B"},
        )
        assert response.status_code == 302
        assert received.wait(5), "the comment did not reach the client on server B"
        assert "Sent through A, read on B" in payloads[0]["html"]
    finally:
        client.disconnect()
