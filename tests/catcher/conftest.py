from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from outreach.catcher.server import start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def catcher(app: Flask) -> Iterator[int]:
    """The mail catcher listening on a free port, storing into the test database."""
    port = free_port()
    controller = start(app, "127.0.0.1", port)
    yield port
    controller.stop()
