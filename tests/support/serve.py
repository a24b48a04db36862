"""Run one Civic server process for tests that need real processes: `python serve.py CONFIG.json PORT`."""

import json
import sys


def main():
    config_path, port = sys.argv[1], int(sys.argv[2])
    with open(config_path) as handle:
        config = json.load(handle)
    from civic import create_app
    from civic.extensions import socketio

    app = create_app(config)
    socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)


if __name__ == "__main__":
    main()
