"""``outreach dev``: everything a developer needs, from one command on a bare machine.

Migrates the database, loads the demo data into an empty one, starts the embedded Redis
(unless ``REDIS_URL`` names one), then runs the web app, an RQ worker and the mail catcher
as child processes sharing that Redis, and stops them all together.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import select

from outreach.auth.models import User
from outreach.demo import DEMO_PASSWORD, DEMO_USERS, load_demo_data
from outreach.extensions import app_object, db
from outreach.queue import embedded_socket, redis_url

#: Seconds a child gets to stop after SIGTERM before it is killed.
STOP_GRACE = 5.0


class DevError(click.ClickException):
    """A problem that stops the development server, explained in one line."""


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def migrate(app: Flask) -> None:
    with app.app_context():
        upgrade()


def load_demo_if_empty(app: Flask) -> bool:
    """Load the demo data when the database has no user accounts yet; True if loaded."""
    with app.app_context():
        if db.session.scalar(select(User.id).limit(1)) is not None:
            return False
        load_demo_data(db.session)
        db.session.commit()
        return True


def load_gazetteer_if_empty(app: Flask) -> None:
    """The partner finder's gazetteer of towns, loaded once (see outreach.discovery.autoload)."""
    from outreach.discovery.autoload import load_if_empty

    click.echo("Checking the gazetteer of towns …")
    towns = load_if_empty(app)
    if towns:
        click.echo(f"Loaded {towns:,} towns into the gazetteer.")


def _embedded_redis_running(app: Flask) -> bool:
    path = embedded_socket(app.instance_path)
    if not os.path.exists(path):
        return False
    try:
        return bool(Redis.from_url(f"unix://{path}", socket_connect_timeout=1).ping())
    except Exception:
        return False


def start_redis(app: Flask) -> tuple[str, bool]:
    """Return the Redis URL and whether this call started the embedded server."""
    if app.config.get("REDIS_URL"):
        return app.config["REDIS_URL"], False
    was_running = _embedded_redis_running(app)
    return redis_url(app), not was_running


def _stop_redis(url: str) -> None:
    # Shutting down closes the connection: an error here is the expected reply.
    with contextlib.suppress(Exception):
        Redis.from_url(url, socket_connect_timeout=2).shutdown(save=True)


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "outreach", *args]


def _wait_until_up(
    url: str, children: list[Child], stopping: list[int], timeout: float = 30.0
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping:
        if any(child.process and child.process.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False


def _signal_group(child: Child, sig: int) -> bool:
    """Signal the child's process group (the child and what it started); False if empty."""
    if not child.process:
        return False
    try:
        os.killpg(child.process.pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_children(children: list[Child]) -> None:
    """SIGTERM every child and its own children, then SIGKILL what is left after a grace
    period."""
    started = [c for c in children if c.process]
    for child in started:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for child in started:
        assert child.process is not None
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            click.secho(f"{child.name} did not stop in time; killing it.", fg="yellow", err=True)
            _signal_group(child, signal.SIGKILL)
            child.process.wait()
    for child in started:
        while _signal_group(child, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_group(child, signal.SIGKILL)


def run(app: Flask, host: str, port: int) -> int:
    """Start everything and supervise it; returns the exit status."""
    catcher = bool(app.config.get("MAIL_CATCHER_BUILTIN"))
    catcher_port = int(app.config["MAIL_CATCHER_PORT"])
    if not _port_free(host, port):
        raise DevError(f"port {port} on {host} is in use; choose another with --port or PORT")
    if catcher and not _port_free("127.0.0.1", catcher_port):
        raise DevError(
            f"the mail catcher's port {catcher_port} is in use; "
            "choose another with MAIL_CATCHER_PORT"
        )

    click.echo("Migrating the database …")
    migrate(app)
    if load_demo_if_empty(app):
        click.echo("Loaded the demo data.")
    load_gazetteer_if_empty(app)
    with app.app_context():
        db.engine.dispose()

    url, started_redis = start_redis(app)
    env = dict(os.environ)
    env.update(
        REDIS_URL=url,
        OUTREACH_INSTANCE_PATH=app.instance_path,
        MAIL_CATCHER_PORT=str(catcher_port),
        PYTHONUNBUFFERED="1",
    )
    env.pop("FLASK_RUN_FROM_CLI", None)

    children = [
        Child("web", _flask("run", "--host", host, "--port", str(port), "--no-reload")),
        Child("worker", _flask("worker")),
    ]
    if catcher:
        children.append(Child("mail catcher", _flask("mailcatcher", "--port", str(catcher_port))))

    stopping: list[int] = []

    def _on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            # A session of their own: Ctrl-C reaches this supervisor only, which stops
            # the children in order instead of all of them racing to exit.
            child.process = subprocess.Popen(child.argv, env=env, start_new_session=True)
        base = f"http://{host}:{port}"
        if _wait_until_up(f"{base}/healthz", children, stopping):
            _banner(base, url, children, catcher, catcher_port, demo_logins=_has_demo_users(app))
        elif not stopping and all(c.process and c.process.poll() is None for c in children):
            click.secho(f"The web app does not answer at {base} yet.", fg="yellow", err=True)
        status = _supervise(children, stopping)
    finally:
        stop_children(children)
        if started_redis:
            _stop_redis(url)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _supervise(children: list[Child], stopping: list[int]) -> int:
    while not stopping:
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is not None:
                click.secho(
                    f"{child.name} (pid {child.pid}) exited with status {code}; "
                    "stopping everything else.",
                    fg="red",
                    err=True,
                )
                return 1
        time.sleep(0.2)
    click.echo("Stopping …")
    return 0


def _has_demo_users(app: Flask) -> bool:
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0]))
        db.session.remove()
        db.engine.dispose()
    return found is not None


def _banner(
    base: str,
    redis: str,
    children: list[Child],
    catcher: bool,
    port: int,
    *,
    demo_logins: bool,
) -> None:
    line = "─" * 64
    click.echo(line)
    click.secho(f"  Outreach is running at {base}/", fg="green", bold=True)
    click.echo("")
    if demo_logins:
        click.echo(f"  Demo logins (password: {DEMO_PASSWORD}):")
        for email, role, _name in DEMO_USERS:
            click.echo(f"    {email:<32} {role}")
    else:
        click.echo("  No accounts yet: outreach users create EMAIL --role admin")
    click.echo("")
    if catcher:
        click.echo(f"  Mail catcher: SMTP 127.0.0.1:{port}, mail shown at {base}/catcher")
    click.echo(f"  Redis:        {redis}")
    for child in children:
        click.echo(f"  {child.name:<13} pid {child.pid}")
    click.echo("  Press Ctrl-C to stop.")
    click.echo(line)


@click.command("dev")
@click.option(
    "--port",
    type=int,
    envvar="PORT",
    default=5000,
    show_default=True,
    help="Port for the web app (also read from PORT).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for the web app.")
@with_appcontext
def dev_command(port: int, host: str) -> None:
    """Migrate, load demo data once, and run the web app, a worker and the mail catcher."""
    status = run(app_object(), host, port)
    sys.exit(status)


def init_app(app: Flask) -> None:
    app.cli.add_command(dev_command)
