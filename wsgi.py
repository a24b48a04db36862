"""Entry point: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` in production (gevent workers, which
monkey-patch the standard library before importing this module), or `python wsgi.py` for development."""

from civic import create_app
from civic.extensions import socketio
from civic.tasks import run_forever

app = create_app()

if __name__ == "__main__":
    socketio.start_background_task(run_forever, app)
    socketio.run(
        app,
        host=app.config["CIVIC_HOST"],
        port=app.config["CIVIC_PORT"],
        allow_unsafe_werkzeug=True,  # the development server; production uses gunicorn
    )
