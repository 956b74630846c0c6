"""Large CSV imports: handed to a background job with a progress bar and the same
all-or-nothing report; the bulk update of existing candidates keeps the concurrency rule."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import func, select, text

from outreach.clock import travel
from outreach.extensions import db
from outreach.pipeline import imports, services, transfer
from outreach.pipeline.models import AuditEntry, Contact, CsvImport, Municipality, StageChange

HEADER = "name,country,email,population,languages"


def rows(count: int, first: int = 1, bad: dict[int, str] | None = None) -> str:
    """A CSV file of ``count`` towns; ``bad`` replaces the e-mail of some (by town number)."""
    lines = [HEADER]
    for n in range(first, first + count):
        email = (bad or {}).get(n, f"rada{n}@gmina{n}.example")
        lines.append(f"Gmina {n},PL,{email},{1000 + n},pl;en")
    return "\n".join(lines) + "\n"


def upload(client: Any, data: str, **fields: str) -> Any:
    g.pop("_login_user", None)
    form = {"file": (io.BytesIO(data.encode()), "gminy.csv"), **fields}
    return client.post("/candidates/import", data=form, content_type="multipart/form-data")


def count(model: Any = Municipality) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def work(app: Flask) -> None:
    """Run the ``default`` queue in this process until it is empty."""
    from outreach.queue import get_queue, get_redis
    from outreach.queue.worker import AppWorker

    queue = get_queue("default")
    db.session.rollback()
    worker = AppWorker([queue], connection=get_redis())
    worker.flask_app = app
    worker.work(burst=True)
    db.session.rollback()


def test_a_file_over_the_threshold_is_imported_by_a_worker(app, client, login_as):
    login_as("coordinator", name="Olena")
    size = app.config["IMPORT_INLINE_ROWS"] + 500
    response = upload(client, rows(size), submit="Import")
    # The request only stores the file: nothing is imported while the person waits.
    assert response.status_code == 302
    match = re.fullmatch(r"/candidates/import/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    page_url = match.group(0)
    assert count() == 0
    page = client.get(page_url).get_data(as_text=True)
    assert "Waiting for a worker" in page and "<progress" in page and "gminy.csv" in page
    status = client.get(f"{page_url}/status").json
    assert (status["status"], status["total"], status["finished"]) == ("queued", size, False)

    work(app)

    status = client.get(f"{page_url}/status").json
    assert (status["status"], status["finished"]) == ("done", True)
    page = client.get(page_url).get_data(as_text=True)
    assert f"Imported: {size} new, 0 updated, 0 unchanged." in page
    assert "<progress" not in page
    assert count() == size and count(Contact) == size and count(StageChange) == size
    job = db.session.get(CsvImport, int(match.group(1)))
    assert job.data == b"" and job.written
    listing = client.get("/candidates/import").get_data(as_text=True)
    assert "gminy.csv" in listing and "imported" in listing and "Olena" in listing


def test_a_file_at_the_threshold_is_imported_at_once(app, client, login_as):
    login_as("coordinator")
    response = upload(client, rows(app.config["IMPORT_INLINE_ROWS"]), submit="Import")
    assert response.status_code == 302 and response.headers["Location"].endswith("/candidates")
    assert count() == app.config["IMPORT_INLINE_ROWS"]


@pytest.mark.config(IMPORT_INLINE_ROWS=10)
def test_a_background_import_names_every_bad_row_and_writes_nothing(
    app, client, login_as, monkeypatch
):
    login_as("coordinator")
    monkeypatch.setattr(imports, "SHOWN_ERRORS", 3)
    bad = {n: f"not-an-address-{n}" for n in (4, 9, 17, 30, 41)}
    response = upload(client, rows(60, bad=bad), submit="Import")
    work(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported" in page and "Fix these 5 problems" in page
    assert "row 5, field email: &#39;not-an-address-4&#39; is not a valid address" in page
    assert "row 18, field email" in page and "row 31, field email" not in page
    assert "2 more problems are not shown here." in page
    full = client.get(response.headers["Location"] + "/report.txt")
    lines = full.get_data(as_text=True).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "row 5, field email",
        "row 10, field email",
        "row 18, field email",
        "row 31, field email",
        "row 42, field email",
    ]
    assert count() == 0 and count(AuditEntry) == 0
    assert "nothing imported: 5 problems" in client.get("/candidates/import").get_data(as_text=True)


@pytest.mark.config(IMPORT_INLINE_ROWS=10)
def test_a_background_dry_run_writes_nothing(app, client, login_as):
    login_as("coordinator")
    response = upload(client, rows(40), dry_run="Dry run")
    work(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dry run: the file is fine" in page
    assert "would create 40, update 0 and leave 0 unchanged" in page
    assert count() == 0


@pytest.mark.config(IMPORT_INLINE_ROWS=10)
def test_the_report_speaks_the_uploaders_language(app, client, login_as):
    login_as("coordinator", locale="uk")
    response = upload(client, rows(20, bad={3: "nowhere"}), submit="Import")
    work(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "row 4, field email: &#39;nowhere&#39; — недійсна адреса" in page


@pytest.mark.config(IMPORT_INLINE_ROWS=10)
def test_progress_is_visible_while_the_import_runs(app, client, login_as, monkeypatch):
    """Each progress report is committed on its own, while the import's transaction is open:
    another connection (the page's poll) sees it before any candidate is written."""
    login_as("coordinator")
    monkeypatch.setattr(transfer, "PROGRESS_EVERY", 25)
    seen: list[tuple[str, int, int, int]] = []
    record = imports.record_progress

    def record_and_look(import_id: int, phase: str, done: int, total: int) -> None:
        record(import_id, phase, done, total)
        with db.engine.connect() as other:
            row = other.execute(
                text("SELECT phase, rows_done, rows_total FROM csv_import WHERE id = :id"),
                {"id": import_id},
            ).one()
            towns = other.scalar(text("SELECT count(*) FROM municipality"))
        seen.append((row.phase, row.rows_done, row.rows_total, towns))

    monkeypatch.setattr(imports, "record_progress", record_and_look)
    upload(client, rows(120), submit="Import")
    work(app)
    assert seen == [
        ("checking", 24, 120, 0),
        ("checking", 49, 120, 0),
        ("checking", 74, 120, 0),
        ("checking", 99, 120, 0),
        ("writing", 0, 120, 0),
    ]
    assert count() == 120


@pytest.mark.config(IMPORT_INLINE_ROWS=10, REDIS_URL="redis://127.0.0.1:9/0")
def test_an_unreachable_queue_is_said_and_nothing_is_imported(app, client, login_as):
    login_as("coordinator")
    response = upload(client, rows(30), submit="Import")
    assert response.status_code == 302 and response.headers["Location"].endswith("/import")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The file could not be handed to a worker: the queue is unreachable." in page
    assert "failed" in page
    job = db.session.scalars(select(CsvImport)).one()
    assert job.status == "failed" and job.data == b""


@pytest.mark.config(IMPORT_INLINE_ROWS=10)
def test_a_job_that_breaks_writes_nothing_and_says_why(app, client, login_as, monkeypatch):
    """Someone adds one of the file's towns while the job checks the others: the insert
    breaks the unique name, the job rolls back everything and the page says so."""
    login_as("coordinator")
    record = imports.record_progress

    def meanwhile(import_id: int, phase: str, done: int, total: int) -> None:
        record(import_id, phase, done, total)
        if phase == "writing":
            with db.engine.begin() as other:
                other.execute(
                    text(
                        "INSERT INTO municipality (name, name_local, country, region, website,"
                        " languages, themes, source, notes, do_not_contact, stage,"
                        " stage_changed_at, decline_reason, version, created_at, updated_at)"
                        " VALUES ('Gmina 7', '', 'PL', '', '', '', '', 'manual', '', false,"
                        " 'analysed', :now, '', 1, :now, :now)"
                    ),
                    {"now": "2026-12-01 10:00:00"},
                )

    monkeypatch.setattr(imports, "record_progress", meanwhile)
    response = upload(client, rows(30), submit="Import")
    from outreach.queue import get_queue

    work(app)
    assert len(get_queue("default").failed_job_registry) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The import did not finish" in page and "IntegrityError" in page
    assert count() == 1 and count(Contact) == 0


def test_an_update_of_a_candidate_edited_meanwhile_is_refused(app, monkeypatch):
    """The bulk update keeps the edit rule: a candidate edited by someone else after the
    import loaded it is not overwritten, and nothing of the file is written."""
    towns = [
        services.create_candidate(db.session, {"name": f"Gmina {n}", "country": "PL"}, user_id=None)
        for n in (1, 2, 3)
    ]
    db.session.commit()
    ids = [town.id for town in towns]

    def meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "writing":
            with db.engine.begin() as other:
                other.execute(
                    text(
                        "UPDATE municipality SET region = 'Mazowsze', version = version + 1"
                        " WHERE id = :id"
                    ),
                    {"id": ids[1]},
                )

    report = transfer.import_csv(db.session, rows(3), update=True, user_id=None, progress=meanwhile)
    assert report.lines() == [
        "file: 1 candidate in this file was changed by someone else during the import; "
        "nothing was imported: import the file again"
    ]
    db.session.rollback()
    saved = db.session.scalars(select(Municipality).order_by(Municipality.id)).all()
    assert [(m.population, m.region) for m in saved] == [(None, ""), (None, "Mazowsze"), (None, "")]
    assert count(Contact) == 0


def test_the_bulk_update_records_what_an_edit_records(app):
    town = services.create_candidate(
        db.session,
        {"name": "Gmina 1", "country": "PL", "languages": "pl"},
        user_id=None,
        contact={"email": "rada1@gmina1.example", "name": "Rada"},
    )
    services.move(db.session, town, "letter_sent", user_id=None)
    db.session.commit()
    csv_text = "name,country,email,population,contact_name,stage\n"
    csv_text += "Gmina 1,PL,rada1@gmina1.example,1001,Wójt,negotiating\n"
    report = transfer.import_csv(db.session, csv_text, update=True, user_id=None)
    assert (report.ok, report.updated) == (True, 1)
    db.session.commit()
    town = db.session.get(Municipality, town.id)
    assert (town.population, town.stage, town.version) == (1001, "negotiating", 2)
    assert town.primary_contact.name == "Wójt"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.municipality_id == town.id)
    ).all()
    assert sorted(actions) == ["contact_added", "contact_updated", "created", "updated"]
    move = db.session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
    assert (move.from_stage, move.to_stage, move.note) == ("letter_sent", "negotiating", "imported")


@pytest.mark.config(IMPORT_INLINE_ROWS=10, IMPORT_JOB_TIMEOUT=600)
def test_an_import_whose_worker_died_is_said_to_have_stopped(app, client, login_as):
    login_as("coordinator")
    response = upload(client, rows(30), submit="Import")
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # A worker takes it and dies: the row says "running", no transaction of it committed.
    assert imports.claim(db.session, import_id)
    db.session.commit()
    g.pop("_login_user", None)
    assert client.get(f"/candidates/import/{import_id}/status").json["status"] == "running"
    with travel(timedelta(seconds=600 + 61)):
        g.pop("_login_user", None)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The import did not finish" in page
    assert "the worker stopped before the import finished" in page
    # A late second job for it does nothing.
    work(app)
    assert count() == 0
