"""The app that tests' real server processes serve, run as production runs it (gevent workers):
`gunicorn -c deploy/gunicorn.conf.py "tests.support.serve:app_from_file()"` with
CIVIC_TEST_SERVER_CONFIG naming a JSON file of configuration overrides (see processes.py).

Imported by the gunicorn worker after its monkey-patching, like wsgi.py in production."""

import json
import os

from civic import create_app


def app_from_file():
    with open(os.environ["CIVIC_TEST_SERVER_CONFIG"]) as handle:
        return create_app(json.load(handle))
