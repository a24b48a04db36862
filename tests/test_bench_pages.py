"""Smoke test of bench/pages.py's own helpers: wrk's output, the asyncio load generator, the ceiling app."""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.apps import project_root

sys.path.insert(0, str(project_root() / "bench"))  # the scripts import each other as top-level modules
pages = pytest.importorskip("pages")

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:41234/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    5.10ms  80.02ms   90.00%
    Req/Sec   650.12     40.00   700.00     80.00%
  Latency Distribution
     50%   11.60ms
     75%   14.00ms
     90%   18.00ms
     99%    1.02s
  1300 requests in 2.00s, 1.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    650.12
Transfer/sec:    550.00KB
"""


def test_wrk_output_is_read():
    figures = pages.parse_wrk(WRK_OUTPUT)
    assert figures == {"rps": 650.12, "p50": pytest.approx(0.0116), "p99": 1.02, "requests": 1300, "bad": 7}
    assert pages._seconds("850us") == pytest.approx(0.00085)


class _Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = b"<p>ok</p>" if self.path == "/" else b""
        status = 200 if self.path == "/" else 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_asyncio_client_counts_requests_and_bad_answers():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        good = pages.run_python(base + "/", None, 0.3, 2)
        bad = pages.run_python(base + "/missing", "session=x", 0.2, 1)
    finally:
        server.shutdown()
    assert good["requests"] > 10 and good["bad"] == 0 and 0 < good["p50"] <= good["p99"]
    assert bad["requests"] > 0 and bad["bad"] == bad["requests"]


def test_the_ceiling_app_is_valid_python():
    compile(pages.CEILING_APP.format(consultation_id=7), "ceiling_app.py", "exec")
