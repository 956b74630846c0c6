"""Throw-away databases for the test suite and the benchmarks."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask


def postgres_base() -> str | None:
    """``DATABASE_URL`` when it names a PostgreSQL server, else None."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        return None
    return base.replace("postgres://", "postgresql://", 1)


@contextmanager
def scratch_database(prefix: str, sqlite_path: str) -> Iterator[str]:
    """A fresh, empty database, dropped afterwards: a new database on the PostgreSQL server
    named by ``DATABASE_URL`` (``<prefix>_<random>``), or else the SQLite file ``sqlite_path``.
    """
    base = postgres_base()
    if base is None:
        yield "sqlite:///" + sqlite_path
        return
    url = sa.engine.make_url(base).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(url: str) -> Flask:
    """An app on the database ``url``, migrated to the newest revision (without Alembic's
    progress lines), for a benchmark that drives it through its test client."""
    from flask_migrate import upgrade

    from outreach import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
    return app
