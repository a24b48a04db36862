"""Start and stop real Civic server processes on loopback."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SERVE = Path(__file__).with_name("serve.py")
ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, config, tmp_path, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_file = tmp_path / f"{name}.json"
        config_file.write_text(json.dumps(config))
        self.log = open(tmp_path / f"{name}.log", "w")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, str(SERVE), str(config_file), str(self.port)],
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
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
