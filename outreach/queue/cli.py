from __future__ import annotations

import click
from flask.cli import with_appcontext

from outreach.extensions import app_object
from outreach.queue.connection import QUEUE_NAMES, get_redis
from outreach.queue.worker import run_worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with its scheduler) on the mail and default queues."""
    run_worker(app_object(), get_redis(), QUEUE_NAMES, burst=burst)
