"""One archive with everything an installation holds, and bringing it back.

The archive is a gzip-compressed tar file:

* ``manifest.json``: the format version (:data:`FORMAT`), when and from what it was made
  (the database kind, the Alembic revision, how the snapshot was taken), and for every table
  its columns (name and kind) and row count;
* ``data/<table>.jsonl``: every row of every table, one JSON object a line, in primary-key
  order. Dates are ISO 8601, binary values base64: the format is the same for SQLite and
  PostgreSQL, so an archive made on one restores on the other;
* ``files/...``: the uploaded files (``UPLOAD_FOLDER``);
* ``settings.json``: the configuration in force, secrets left out (for reference; the
  configuration itself lives in the environment).

The rows are read from one consistent snapshot while the application keeps running: on
SQLite a copy made with SQLite's own online backup API, on PostgreSQL one read-only
``REPEATABLE READ`` transaction (the snapshot ``pg_dump`` itself uses), read through
SQLAlchemy so that nothing outside Python is needed.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from outreach.clock import utcnow

#: The archive format this code writes and reads.
FORMAT = 1
#: Rows inserted per statement when restoring.
CHUNK = 1000
_SKIP_TABLES = {"alembic_version"}
_SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN", "URL", "URI")


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


@dataclass
class Summary:
    """What a backup wrote or a restore read."""

    path: str
    revision: str
    method: str
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _kind(column_type: sa.types.TypeEngine[Any]) -> str:
    """How a column's values are written: datetime, date, time, binary, json or plain."""
    for kind, types in (
        ("json", (sa.JSON,)),
        ("datetime", (sa.DateTime,)),
        ("date", (sa.Date,)),
        ("time", (sa.Time,)),
        ("binary", (sa.LargeBinary, sa.types._Binary)),
        ("decimal", (sa.Numeric,)),
    ):
        if isinstance(column_type, types):
            if kind == "decimal" and isinstance(column_type, sa.Float):
                return "plain"
            return kind
    return "plain"


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal" and isinstance(value, Decimal):
        return str(value)
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "binary":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def _tables(connection: Connection) -> list[sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name not in _SKIP_TABLES]


def _revision(connection: Connection) -> str:
    if not sa.inspect(connection).has_table("alembic_version"):
        return ""
    return str(
        connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or ""
    )


@contextmanager
def _snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A connection that sees one consistent state of the database, and how it was taken."""
    if engine.dialect.name == "sqlite":
        source = engine.url.database
        if not source or source == ":memory:":
            raise BackupError("backup: the SQLite database has no file")
        with tempfile.TemporaryDirectory(prefix="outreach-backup-") as folder:
            copy = os.path.join(folder, "snapshot.db")
            with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(copy)) as to:
                live.backup(to)
            snapshot = sa.create_engine(f"sqlite:///{copy}")
            try:
                with snapshot.connect() as connection:
                    yield connection, "SQLite online backup API"
            finally:
                snapshot.dispose()
        return
    if engine.dialect.name == "postgresql":
        with (
            engine.connect().execution_options(
                isolation_level="REPEATABLE READ",
                postgresql_readonly=True,
                postgresql_deferrable=True,
            ) as connection,
            connection.begin(),
        ):
            yield connection, "PostgreSQL read-only REPEATABLE READ transaction"
        return
    raise BackupError(f"backup: no snapshot method for {engine.dialect.name}")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in sorted(config.items())
        if key.isupper()
        and isinstance(value, str | int | float | bool)
        and not any(word in key for word in _SECRET_WORDS)
    }


def backup(engine: Engine, path: str, *, files: str = "", config: dict[str, Any]) -> Summary:
    """Write the archive of everything to ``path`` (written beside it, then renamed)."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, partial = tempfile.mkstemp(prefix=".outreach-backup-", dir=folder)
    os.close(handle)
    try:
        with tarfile.open(partial, "w:gz") as tar, _snapshot(engine) as (connection, method):
            revision = _revision(connection)
            if not revision:
                raise BackupError("backup: the database is not migrated (run outreach db upgrade)")
            summary = Summary(path, revision, method)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "created_at": utcnow().isoformat(),
                "database": engine.dialect.name,
                "revision": revision,
                "snapshot": method,
                "tables": [],
                "files": [],
            }
            for table in _tables(connection):
                kinds = {c.name: _kind(c.type) for c in table.columns}
                with tempfile.TemporaryFile() as rows:
                    count = 0
                    order = list(table.primary_key.columns) or list(table.columns)
                    result = connection.execution_options(yield_per=CHUNK).execute(
                        sa.select(table).order_by(*order)
                    )
                    for row in result.mappings():
                        line = {k: _encode(v, kinds[k]) for k, v in row.items()}
                        rows.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
                        count += 1
                    info = tarfile.TarInfo(f"data/{table.name}.jsonl")
                    info.size = rows.tell()
                    info.mtime = int(utcnow().timestamp())
                    rows.seek(0)
                    tar.addfile(info, rows)
                manifest["tables"].append({"name": table.name, "columns": kinds, "rows": count})
                summary.tables[table.name] = count
            for relative, full in _walk(files):
                tar.add(full, arcname=f"files/{relative}", recursive=False)
                manifest["files"].append(relative)
            summary.files = len(manifest["files"])
            _add(tar, "settings.json", json.dumps(_settings(config), indent=1).encode())
            _add(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return summary


def _walk(folder: str) -> Iterator[tuple[str, str]]:
    if not folder or not os.path.isdir(folder):
        return
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            yield os.path.relpath(full, folder).replace(os.sep, "/"), full


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise BackupError("restore: not an Outreach backup (no manifest.json)")
    manifest: dict[str, Any] = json.load(member)
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"restore: archive format {manifest.get('format')!r}; this version reads {FORMAT}"
        )
    return manifest


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        t.name: int(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
        for t in _tables(connection)
    }


def load(connection: Connection, tar: tarfile.TarFile, manifest: dict[str, Any]) -> Summary:
    """Insert every row of the archive into the empty tables of ``connection`` (same schema
    revision as the archive), then move PostgreSQL's id sequences past them."""
    tables = {t.name: t for t in _tables(connection)}
    entries = {entry["name"]: entry for entry in manifest["tables"]}
    missing = sorted(set(entries) - set(tables))
    if missing:
        raise BackupError(f"restore: tables missing in this database: {', '.join(missing)}")
    summary = Summary("", manifest["revision"], manifest.get("snapshot", ""))
    for name, table in tables.items():  # in dependency order
        entry = entries.get(name)
        if entry is None:
            continue
        kinds: dict[str, str] = entry["columns"]
        member = tar.extractfile(f"data/{name}.jsonl")
        if member is None:
            raise BackupError(f"restore: data/{name}.jsonl is missing from the archive")
        batch: list[dict[str, Any]] = []
        count = 0
        for line in member:
            row = json.loads(line)
            batch.append({k: _decode(v, kinds.get(k, "plain")) for k, v in row.items()})
            if len(batch) >= CHUNK:
                connection.execute(table.insert(), batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
            count += len(batch)
        if count != entry["rows"]:
            raise BackupError(
                f"restore: {name}: {count} rows read, the manifest says {entry['rows']}"
            )
        summary.tables[name] = count
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection, list(tables.values()))
    return summary


def _reset_sequences(connection: Connection, tables: list[sa.Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": table.name, "c": column.name},
            ).scalar()
            if sequence:
                connection.execute(
                    sa.text(
                        f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                        f'"{table.name}"), 1), (SELECT COUNT(*) > 0 FROM "{table.name}"))'
                    ),
                    {"s": sequence},
                )


def restore_files(tar: tarfile.TarFile, manifest: dict[str, Any], folder: str) -> int:
    """Write the archive's files into ``folder`` (names checked: nothing lands outside it)."""
    root = os.path.realpath(folder)
    written = 0
    for relative in manifest.get("files", []):
        target = os.path.realpath(os.path.join(root, relative))
        if not target.startswith(root + os.sep):
            raise BackupError(f"restore: refused file name {relative!r}")
        member = tar.extractfile(f"files/{relative}")
        if member is None:
            raise BackupError(f"restore: files/{relative} is missing from the archive")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(member.read())
        written += 1
    return written
