"""``outreach dev`` on a fresh instance folder: up, usable, and gone without a trace."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.scratch import postgres_base, scratch_database

SIGNED = ("Dąbrowa", "Żyraków", "Olaine", "Casteltermini")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dev_database(tmp_path: Path) -> Iterator[str | None]:
    """A fresh PostgreSQL database when the suite runs on PostgreSQL; else SQLite (None)."""
    if postgres_base() is None:
        yield None
        return
    with scratch_database("outreach_dev", str(tmp_path / "unused.db")) as url:
        yield url


def processes_of(instance: Path) -> list[int]:
    """Live processes started for this instance folder (they inherit its variable)."""
    marker = f"OUTREACH_INSTANCE_PATH={instance}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=10) as response:
            return response.status, response.read().decode()


def dev_env(instance: Path, smtp_port: int, database: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "PORT", "OUTREACH_ENV")
    }
    env.update(
        OUTREACH_INSTANCE_PATH=str(instance),
        MAIL_CATCHER_PORT=str(smtp_port),
        PYTHONUNBUFFERED="1",
        GAZETTEER_AUTOLOAD="0",  # tests/discovery loads the whole gazetteer once
    )
    if database:
        env["DATABASE_URL"] = database
    return env


def start_dev(
    tmp_path: Path, port: int, smtp_port: int, database: str | None
) -> tuple[subprocess.Popen[bytes], Path, dict[str, int]]:
    """Start ``outreach dev``; wait for its banner; return it, its log and its children."""
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        dev = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "outreach", "dev", "--port", str(port)],
            env=dev_env(tmp_path / "instance", smtp_port, database),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while "Press Ctrl-C to stop." not in log.read_text():
        if dev.poll() is not None or time.monotonic() > deadline:
            stop(dev)
            pytest.fail(log.read_text())
        time.sleep(0.2)
    output = log.read_text()
    children = {
        name: int(pid)
        for name, pid in re.findall(r"^  (web|worker|mail catcher)\s+pid (\d+)$", output, re.M)
    }
    assert set(children) == {"web", "worker", "mail catcher"}, output
    return dev, log, children


def stop(dev: subprocess.Popen[bytes]) -> int:
    if dev.poll() is None:
        dev.send_signal(signal.SIGTERM)
    try:
        return dev.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(dev.pid, signal.SIGKILL)
        raise


def gone(pid: int) -> bool:
    environ = Path(f"/proc/{pid}/environ")
    try:
        return not environ.read_bytes()  # a zombie has no environment left
    except OSError:
        return True


@pytest.mark.slow
def test_dev_starts_everything_and_stops_it(tmp_path: Path, dev_database: str | None) -> None:
    port, smtp_port = free_port(), free_port()
    dev, log, children = start_dev(tmp_path, port, smtp_port, dev_database)
    try:
        base = f"http://127.0.0.1:{port}"
        output = log.read_text()
        assert f"running at {base}/" in output
        assert "admin@outreach.example" in output and "outreach-demo" in output
        browser = Browser(base)

        status, page = browser.get("/login")
        assert status == 200
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        status, board = browser.post(
            "/login",
            {
                "csrf_token": token.group(1),
                "email": "admin@outreach.example",
                "password": "outreach-demo",
            },
        )
        assert status == 200
        status, board = browser.get("/board")
        assert status == 200
        for name in SIGNED:
            assert name in board, name

        message = EmailMessage()
        message["From"] = "office@outreach.example"
        message["To"] = "mayor@olaine.example"
        message["Subject"] = "Sadarbības piedāvājums"
        message.set_content("Labdien!")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
        status, caught = browser.get("/catcher")
        assert status == 200
        assert "Sadarbības piedāvājums" in caught
        assert "mayor@olaine.example" in caught
    finally:
        code = stop(dev)
    assert code == 0, log.read_text()
    assert "Stopping" in log.read_text()
    assert all(gone(pid) for pid in children.values()), children
    assert processes_of(tmp_path / "instance") == []


@pytest.mark.slow
def test_dev_stops_everything_when_a_child_dies(tmp_path: Path) -> None:
    dev, log, children = start_dev(tmp_path, free_port(), free_port(), None)
    try:
        os.kill(children["worker"], signal.SIGKILL)
        code = dev.wait(timeout=30)
    finally:
        stop(dev)
    output = log.read_text()
    assert code != 0
    assert f"worker (pid {children['worker']}) exited" in output
    assert all(gone(pid) for pid in children.values()), children
    assert processes_of(tmp_path / "instance") == []


def test_dev_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(OUTREACH_INSTANCE_PATH=str(tmp_path), MAIL_CATCHER_PORT=str(free_port()))
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "outreach", "dev", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert processes_of(tmp_path) == []
