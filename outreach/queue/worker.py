"""The RQ worker: one app context, built once at worker start, around every job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from outreach.extensions import db


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


def run_worker(
    app: Flask, redis: Redis, queue_names: Sequence[str], *, burst: bool = False
) -> None:
    queues = [Queue(name, connection=redis) for name in queue_names]
    worker = AppWorker(queues, connection=redis)
    worker.flask_app = app
    for hook in app.extensions.get("outreach_worker_start", []):
        hook(app, redis)
    worker.work(burst=burst, with_scheduler=True)
