from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from outreach.queue import QUEUE_NAMES, get_redis


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with its scheduler) on the mail and default queues."""
    from outreach.queue.worker import run_worker

    run_worker(current_app._get_current_object(), get_redis(), QUEUE_NAMES, burst=burst)
