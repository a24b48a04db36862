"""With the message queue (Redis) down, posting still works and readers are told that live
updates are paused; when Redis comes back, they are told that updates resumed."""

import os
import re
import shutil
import subprocess
import threading
import time

import pytest
import requests
import socketio as python_socketio

from civic import create_app
from civic.discussions.services.categories import save_category
from civic.discussions.services.discussions import start_discussion
from civic.extensions import db
from tests.support.apps import REQUIRE_SERVICES, base_config, migrate_database
from tests.support.processes import ServerProcess, free_port
from tests.support.users import DEFAULT_PASSWORD, new_user

pytestmark = pytest.mark.serial  # starts a server process and a redis-server, and waits for their signals

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class OwnRedis:
    """A private redis-server that the test may stop and start."""

    def __init__(self, tmp_path):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            if REQUIRE_SERVICES or os.environ.get("CI"):
                pytest.fail("redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.port, self.dir = free_port(), tmp_path
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except Exception:  # noqa: BLE001
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=5)
            self.process = None


@pytest.fixture
def outage(tmp_path):
    own = OwnRedis(tmp_path)
    own.start()
    config = base_config(
        tmp_path, REDIS_URL=own.url, CIVIC_SOCKETIO_MESSAGE_QUEUE=own.url, RATELIMIT_STORAGE_URI=own.url, TESTING=False
    )
    migrate_database({**config, "CIVIC_SOCKETIO_MESSAGE_QUEUE": None})
    seed_app = create_app({**config, "CIVIC_SOCKETIO_MESSAGE_QUEUE": None})
    with seed_app.app_context():
        user = new_user("poster@example.org", name="Poster", roles=("citizen", "admin"))
        db.session.add(user)
        db.session.commit()
        discussion_id = start_discussion(user, save_category(user, name="Parks"), title="Outage", body="x").id
        db.engine.dispose()
    server = ServerProcess(config, tmp_path, "server")
    yield own, server, discussion_id
    server.stop()
    own.stop()


def test_posting_survives_a_redis_outage_and_readers_see_paused_then_resumed(outage):
    own, server, discussion_id = outage
    statuses = []
    changed = threading.Condition()
    client = python_socketio.Client(reconnection=False)

    @client.on("live_status")
    def on_status(data):
        with changed:
            statuses.append(data["paused"])
            changed.notify_all()

    def wait_for(value, timeout=10):
        with changed:
            return changed.wait_for(lambda: statuses and statuses[-1] is value, timeout=timeout)

    client.connect(server.url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.call("join", {"kind": "discussion", "id": discussion_id}, timeout=10)["ok"]
        session = requests.Session()
        token = CSRF.search(session.get(server.url + "/sign-in").text).group(1)
        assert (
            session.post(
                server.url + "/sign-in",
                allow_redirects=False,
                data={"csrf_token": token, "email": "poster@example.org", "password": DEFAULT_PASSWORD},
            ).status_code
            == 302
        )

        own.stop()
        assert wait_for(True), f"readers were not told that live updates paused: {statuses}"
        page = session.get(f"{server.url}/discussions/{discussion_id}")
        assert page.status_code == 200
        token = CSRF.search(page.text).group(1)
        response = session.post(
            f"{server.url}/discussions/{discussion_id}/comments",
            allow_redirects=False,
            data={"csrf_token": token, "body": "Written while Redis was down"},
        )
        assert response.status_code == 302
        assert "Written while Redis was down" in session.get(f"{server.url}/discussions/{discussion_id}").text

        own.start()
        assert wait_for(False), f"readers were not told that live updates resumed: {statuses}"
    finally:
        client.disconnect()
