"""The RQ worker: one app context, built once at worker start, around every job."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from outreach.extensions import db
from outreach.hooks import hooks


class AppWorker(SimpleWorker):
    """A non-forking worker that runs each job inside the app context.

    Jobs run in the worker process itself, so pooled database connections are never
    carried across a fork; the session is removed after every job.
    """

    flask_app: Flask

    def perform_job(self, job: Any, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def log_to_stdout() -> None:
    """The app's own log lines (one per letter sent or failed) on standard output, beside
    RQ's own."""
    logger = logging.getLogger("outreach")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def run_worker(
    app: Flask, redis: Redis, queue_names: Sequence[str], *, burst: bool = False
) -> None:
    log_to_stdout()
    queues = [Queue(name, connection=redis) for name in queue_names]
    worker = AppWorker(queues, connection=redis)
    worker.flask_app = app
    for start in hooks(app).worker_start:
        start(app, redis)
    worker.work(burst=burst, with_scheduler=True)
