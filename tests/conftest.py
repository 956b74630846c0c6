"""Shared fixtures: a migrated real database, a real Redis, the app, clients and users.

The database is SQLite in a temporary folder unless ``DATABASE_URL`` names a PostgreSQL
server, in which case a database of our own is created there and dropped at the end.
Redis is ``TEST_REDIS_URL`` when set (a database number of our own), else an embedded server.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner

from outreach import create_app
from outreach.extensions import db
from tests.support.scratch import scratch_database

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("db") / "test.db")
    with scratch_database("outreach_test", path) as url:
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    from outreach.queue import start_embedded

    folder = tmp_path_factory.mktemp("redis")
    url = start_embedded(str(folder))
    yield url
    import redis

    with contextlib.suppress(Exception):
        redis.Redis.from_url(url).shutdown(nosave=True)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Any]:
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def make_app(database_url: str, redis_url: str, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 9,
        "MAIL_DEFAULT_SENDER": "Office <office@outreach-test.example>",
        "SERVER_NAME": None,
        # Tests that need towns load a few countries (tests/discovery); one loads them all.
        "GAZETTEER_AUTOLOAD": False,
    }
    config.update(extra)
    return create_app(config)


def marked_config(request: pytest.FixtureRequest, **base: Any) -> dict[str, Any]:
    """``base`` updated by the test's ``config`` marker, with CSRF on under ``csrf``."""
    extra = dict(base)
    marker = request.node.get_closest_marker("config")
    if marker:
        extra.update(marker.kwargs)
    if request.node.get_closest_marker("csrf"):
        extra["WTF_CSRF_ENABLED"] = True
    return extra


def wipe(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(
    request: pytest.FixtureRequest, database_url: str, redis: Any, redis_url: str
) -> Iterator[Flask]:
    application = make_app(database_url, redis_url, **marked_config(request))
    with application.app_context():
        yield application
    wipe(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Any:
    from outreach.auth.services import create_user

    def make(role: str = "coordinator", email: str | None = None, **kwargs: Any) -> Any:
        user = create_user(
            db.session,
            email or f"{role}-{uuid.uuid4().hex[:6]}@office.example",
            PASSWORD,
            role,
            **kwargs,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client: FlaskClient, make_user: Any) -> Any:
    """Log the test client in as a new user of ``role``; returns the user."""

    def login(role: str = "coordinator", **kwargs: Any) -> Any:
        user = make_user(role, **kwargs)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        # Requests reuse the test's app context: forget the user Flask-Login cached there.
        g.pop("_login_user", None)
        return user

    return login
