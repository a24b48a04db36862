"""A production process (gunicorn, gevent worker) past its live-connection limit refuses new
sockets politely and keeps answering HTTP; /healthz reports the count."""

import pytest
import requests
import socketio as python_socketio

from tests.support.apps import base_config, migrate_database
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.serial  # starts a server process


def test_a_gevent_process_refuses_sockets_past_its_limit_and_keeps_answering(tmp_path):
    config = base_config(tmp_path, TESTING=False, CIVIC_MAX_LIVE_CONNECTIONS=2)
    migrate_database(config)
    server = ServerProcess(config, tmp_path, "limited")
    clients = []
    try:
        for _ in range(2):
            client = python_socketio.Client(reconnection=False)
            client.connect(server.url, transports=["websocket"], wait_timeout=10)
            clients.append(client)
        refused, reasons = python_socketio.Client(reconnection=False), []
        refused.on("connect_error", reasons.append)
        with pytest.raises(python_socketio.exceptions.ConnectionError):
            refused.connect(server.url, transports=["websocket"], wait_timeout=10)
        assert reasons == [{"message": "live_connections_full"}]  # what static/js/civic.js looks for
        health = requests.get(server.url + "/healthz", timeout=5).json()
        assert health["live"] == {"connections": 2, "limit": 2, "async_mode": "gevent"}
        assert requests.get(server.url + "/", timeout=5).status_code == 200
    finally:
        for client in clients:
            client.disconnect()
        server.stop()
