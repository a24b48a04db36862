"""Start and stop real Civic server processes on loopback, each under gunicorn with production's
settings (deploy/gunicorn.conf.py: one gevent worker)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, config, tmp_path, name, environ=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_file = tmp_path / f"{name}.json"
        config_file.write_text(json.dumps(config))
        self.log = open(tmp_path / f"{name}.log", "w")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CIVIC_TEST_SERVER_CONFIG": str(config_file),
            "CIVIC_BIND": f"127.0.0.1:{self.port}",
            "CIVIC_WORKERS": "1",
            **{key: str(value) for key, value in (environ or {}).items()},
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "tests.support.serve:app_from_file()"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
        self._wait_until_ready(tmp_path / f"{name}.log")

    def _wait_until_ready(self, log_path, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code in (200, 503):
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout}s:\n{log_path.read_text()}")

    def stop(self):
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for open sockets)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
