"""Start an RQ worker for Outreach: ``python worker.py [--burst]``."""

import sys

from outreach import create_app
from outreach.queue import QUEUE_NAMES, get_redis
from outreach.queue.worker import run_worker

if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        run_worker(app, get_redis(app), QUEUE_NAMES, burst="--burst" in sys.argv[1:])
