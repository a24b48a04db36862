"""Gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` is the whole command.

Gevent workers: one process holds thousands of open live pages (each a WebSocket) and keeps
answering HTTP, where a thread per open page ran out at --threads (see docs/scaling.md).

gunicorn's gevent worker monkey-patches the standard library (socket, ssl, threading, select,
time...) in each worker right after the fork and before it imports wsgi.py, so psycopg 3 (which
picks its cooperative wait function at import when `select` is patched), redis and
simple-websocket all yield to other connections while they wait. That is why this file must
import nothing from civic, and why preload_app stays off: an app imported in the master would
load psycopg before the patch and block the whole process on every query.

Settings come from the environment, with defaults for one machine behind nginx:
  CIVIC_BIND                 address to listen on (127.0.0.1:8000)
  CIVIC_WORKERS              worker processes (1; one per CPU core, with Redis between them)
  CIVIC_WORKER_CONNECTIONS   simultaneous connections per worker, open pages included (5000)
  CIVIC_TIMEOUT              seconds a worker may stay silent before it is restarted (60)
"""

import os

bind = os.environ.get("CIVIC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CIVIC_WORKERS", "1"))
worker_class = "gevent"
worker_connections = int(os.environ.get("CIVIC_WORKER_CONNECTIONS", "5000"))
timeout = int(os.environ.get("CIVIC_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
preload_app = False  # the app must be imported after the worker's monkey-patching (see above)
accesslog = os.environ.get("CIVIC_ACCESS_LOG") or None
errorlog = "-"

# What the workers read (civic/config.py): the async mode that matches this worker class, and the
# connection count from which the default live-connection limit is derived (four fifths of it,
# leaving the rest for HTTP; CIVIC_MAX_LIVE_CONNECTIONS overrides it).
os.environ["CIVIC_ASYNC_MODE"] = "gevent"
os.environ["CIVIC_WORKER_CONNECTIONS"] = str(worker_connections)
# gunicorn >= 27 opens a control socket in $HOME by default; two sites on one machine would share
# it. Older versions ignore this setting.
control_socket_disable = True
