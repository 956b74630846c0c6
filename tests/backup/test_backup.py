"""``outreach backup`` and ``outreach restore``: every table comes back, on SQLite and on
PostgreSQL, and across the two; a restore refuses what it should."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from outreach.demo import load_demo_data
from outreach.extensions import db
from outreach.letters import office
from outreach.letters.versions import save_version
from outreach.replies import quarantine, services
from tests.conftest import make_app
from tests.replies import messages
from tests.replies.helpers import sent_proposal
from tests.support.scratch import postgres_base, scratch_database

TEMPLATE = (
    "Subject: Proposal for {{ candidate.name }}\n\n{{ contact.salutation }},\n"
    "{{ us.signatory_name }}\n"
)


def tables(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as plain Python values."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            found = {}
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(sa.select(table).order_by(*order))
                found[table.name] = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows
                ]
        db.engine.dispose()
    return found


def fill(app: Flask, towns: Any, uploads: Path) -> None:
    """Candidates, a letter sent and its reply, a bounce, a quarantined message, a custom
    template version, office settings and an uploaded file."""
    load_demo_data(db.session)
    office.update(db.session, {"signatory_name": "Оксана Приклад", "signatory_gender": "f"})
    db.session.commit()
    _, letter = sent_proposal(towns)
    services.receive(
        db.session,
        messages.reply(
            in_reply_to=letter.message_id,
            text="Tak, chętnie.\n\nOn Mon, Office wrote:\n> Dear Mayor",
            attachment=("plan.pdf", b"%PDF-1.4 \x00\x01"),
        ),
    )
    quarantine.quarantine(db.session, b"garbage\x00\xff", "no headers", source="imap", uid=7)
    save_version(db.session, "proposal", "pl", TEMPLATE, None, note="ours")
    db.session.commit()
    (uploads / "imports").mkdir(parents=True)
    (uploads / "imports" / "towns.csv").write_text("name,country\nOlaine,LV\n", encoding="utf-8")


@contextmanager
def installation(
    kind: str, tmp_path: Path, redis_url: str, name: str, *, migrate: bool = True
) -> Iterator[Flask]:
    """A new, empty installation with its own database ("sqlite" or "postgresql")."""
    uploads = tmp_path / f"{name}-uploads"
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        target = make_app(url, redis_url, UPLOAD_FOLDER=str(uploads))
        if migrate:
            with target.app_context():
                upgrade()
        yield target
        return
    with scratch_database("outreach_restore", str(tmp_path / "unused.db")) as url:
        target = make_app(url, redis_url, UPLOAD_FOLDER=str(uploads))
        if migrate:
            with target.app_context():
                upgrade()
        try:
            yield target
        finally:
            with target.app_context():
                db.session.remove()
                db.engine.dispose()


def kind_of(app: Flask) -> str:
    return (
        "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"
    )


def backup_of(app: Flask, path: Path) -> dict[str, Any]:
    with app.app_context():  # the command runs in the innermost app context
        result = app.test_cli_runner().invoke(args=["backup", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def restore_into(app: Flask, path: Path, *extra: str) -> Any:
    with app.app_context():
        return app.test_cli_runner().invoke(args=["restore", str(path), *extra])


@pytest.fixture
def filled(app: Flask, towns: Any, tmp_path: Path) -> Flask:
    uploads = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(uploads)
    fill(app, towns, uploads)
    return app


def test_a_backup_restored_into_an_empty_installation_has_every_row(
    filled: Flask, tmp_path: Path, redis_url: str
) -> None:
    archive = tmp_path / "outreach.tar.gz"
    report = backup_of(filled, archive)
    assert report["rows"] > 50 and report["files"] == 1
    expected_method = {
        "sqlite": "SQLite online backup API",
        "postgresql": "PostgreSQL read-only REPEATABLE READ transaction",
    }[kind_of(filled)]
    assert report["snapshot"] == expected_method
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
        settings = json.load(tar.extractfile("settings.json"))
    assert {"manifest.json", "settings.json", "data/reply.jsonl"} <= names
    assert "files/imports/towns.csv" in names
    assert manifest["format"] == 1 and manifest["revision"] == report["revision"]
    assert "SECRET_KEY" not in settings and "MAIL_DEFAULT_SENDER" in settings
    before = tables(filled)
    assert all(before[t] for t in ("municipality", "letter", "reply", "quarantined_message"))

    with installation(kind_of(filled), tmp_path, filled.config["REDIS_URL"], "restored") as target:
        result = restore_into(target, archive)
        assert result.exit_code == 0, result.output
        assert "restored " in result.output and " rows in " in result.output
        assert tables(target) == before
        restored_file = Path(target.config["UPLOAD_FOLDER"]) / "imports" / "towns.csv"
        assert restored_file.read_text(encoding="utf-8") == "name,country\nOlaine,LV\n"
        # New rows get new ids after a restore (PostgreSQL's sequences moved on too).
        with target.app_context():
            from outreach.pipeline.models import Municipality

            added = Municipality(name="After", country="PL", languages=["pl"])
            db.session.add(added)
            db.session.commit()
            assert added.id > max(row[0] for row in before["municipality"])


@pytest.mark.skipif(postgres_base() is None, reason="DATABASE_URL names no PostgreSQL server")
def test_an_archive_moves_between_sqlite_and_postgresql(
    filled: Flask, tmp_path: Path, redis_url: str
) -> None:
    before = tables(filled)
    first = tmp_path / "from-postgresql.tar.gz"
    backup_of(filled, first)
    with installation("sqlite", tmp_path, redis_url, "lite") as lite:
        assert restore_into(lite, first).exit_code == 0
        assert tables(lite) == before
        second = tmp_path / "from-sqlite.tar.gz"
        backup_of(lite, second)
    with installation("postgresql", tmp_path, redis_url, "again") as again:
        assert restore_into(again, second).exit_code == 0
        assert tables(again) == before


def test_restore_into_a_database_that_is_not_migrated_yet(
    filled: Flask, tmp_path: Path, redis_url: str
) -> None:
    archive = tmp_path / "outreach.tar.gz"
    backup_of(filled, archive)
    before = tables(filled)
    with installation("sqlite", tmp_path, redis_url, "bare", migrate=False) as bare:
        result = restore_into(bare, archive)
        assert result.exit_code == 0, result.output
        assert tables(bare) == before


def test_restore_refuses_a_database_holding_data_unless_forced(
    filled: Flask, tmp_path: Path
) -> None:
    archive = tmp_path / "outreach.tar.gz"
    backup_of(filled, archive)
    before = tables(filled)
    refused = restore_into(filled, archive)
    assert refused.exit_code == 1
    assert "the database is not empty: " in refused.output and "municipality (" in refused.output
    assert "--force" in refused.output
    forced = restore_into(filled, archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert tables(filled) == before


def _rewrite_manifest(source: Path, target: Path, **changes: Any) -> None:
    with tarfile.open(source) as tar, tarfile.open(target, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def test_restore_checks_the_format_and_the_revision(
    filled: Flask, tmp_path: Path, redis_url: str
) -> None:
    archive = tmp_path / "outreach.tar.gz"
    backup_of(filled, archive)
    future = tmp_path / "future.tar.gz"
    _rewrite_manifest(archive, future, format=2)
    newer = tmp_path / "newer.tar.gz"
    _rewrite_manifest(archive, newer, revision="9999")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with installation("sqlite", tmp_path, redis_url, "checks") as target:
        result = restore_into(target, future)
        assert result.exit_code == 1 and "archive format 2; this version reads 1" in result.output
        result = restore_into(target, newer)
        assert result.exit_code == 1 and "made by a newer version of Outreach" in result.output
        result = restore_into(target, junk)
        assert result.exit_code == 1 and "not a readable archive" in result.output
        assert all(not rows for rows in tables(target).values())
