"""Backing up a running installation and restoring an archive into an empty one.

:func:`restore` refuses a database that holds data (unless ``force``), an archive of another
format, and an archive whose schema revision this version does not know (made by a newer
version). The database is brought to the archive's revision, the rows are loaded in one
transaction, then the schema is upgraded to this version's newest revision.
"""

from __future__ import annotations

import tarfile
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from outreach.backup.archive import (
    BackupError,
    Summary,
    _revision,
    _tables,
    backup,
    load,
    read_manifest,
    restore_files,
    row_counts,
)
from outreach.extensions import db

__all__ = ["BackupError", "Summary", "make_backup", "restore"]


def make_backup(app: Flask, path: str) -> Summary:
    """Write the archive of ``app``'s installation to ``path``."""
    with app.app_context():
        return backup(
            db.engine, path, files=app.config.get("UPLOAD_FOLDER", ""), config=dict(app.config)
        )


def _history(app: Flask) -> list[str]:
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def restore(app: Flask, path: str, *, force: bool = False) -> Summary:
    """Bring the archive at ``path`` back into ``app``'s database and upload folder."""
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"restore: {path}: not a readable archive ({exc})") from exc
    with tar, app.app_context():
        manifest = read_manifest(tar)
        revision = str(manifest.get("revision") or "")
        history = _history(app)
        if revision not in history:
            raise BackupError(
                f"restore: the archive's schema revision {revision!r} is unknown here "
                f"(this version knows {history[0]}..{history[-1]}): it was made by a newer "
                "version of Outreach"
            )
        engine = db.engine
        db.session.remove()
        with engine.connect() as connection:
            current = _revision(connection)
            counts = row_counts(connection) if current else {}
        holding = {name: n for name, n in counts.items() if n}
        if holding and not force:
            listed = ", ".join(f"{name} ({n})" for name, n in sorted(holding.items()))
            raise BackupError(
                f"restore: the database is not empty: {listed}; restore into an empty "
                "installation, or use --force to replace everything in it"
            )
        if holding:
            with engine.begin() as connection:
                for table in reversed(_tables(connection)):
                    connection.execute(table.delete())
        if current != revision:
            if current and history.index(current) > history.index(revision):
                downgrade(revision=revision)
            else:
                upgrade(revision=revision)
        with engine.begin() as connection:
            summary = load(connection, tar, manifest)
        upgrade()
        summary.path = path
        summary.files = restore_files(tar, manifest, app.config.get("UPLOAD_FOLDER", ""))
        engine.dispose()
    return summary


def describe(summary: Summary) -> dict[str, Any]:
    return {
        "path": summary.path,
        "revision": summary.revision,
        "snapshot": summary.method,
        "rows": summary.rows,
        "tables": summary.tables,
        "files": summary.files,
    }
