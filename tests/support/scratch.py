"""Throw-away databases for the test suite and the benchmarks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


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
