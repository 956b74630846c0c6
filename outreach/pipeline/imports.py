"""Large CSV imports run by a background job, with progress and the same report.

A file of more than ``IMPORT_INLINE_ROWS`` rows is not imported while the person waits (a
290,000-row file takes longer than a web server gives a request): the upload is stored in a
:class:`~outreach.pipeline.models.CsvImport` row, committed, and only then handed to the RQ
``default`` queue. The job (:func:`outreach.pipeline.jobs.run_import`) claims the row with a
conditional UPDATE, runs :func:`transfer.import_csv` (all or nothing, every bad row named) and
commits the written candidates together with the report, so the row says "done" exactly when
the candidates are there. While it checks the rows it records its progress in the row, in
short transactions of their own; the import page polls it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import update

from outreach.clock import utcnow
from outreach.extensions import Session, db
from outreach.pipeline import transfer
from outreach.pipeline.models import CsvImport, ImportStatus
from outreach.queue import get_queue

#: Problems shown on the page; the rest are in the downloadable report.
SHOWN_ERRORS = 1000


def in_background(data: bytes) -> bool:
    """Whether a file is large enough to be imported by a background job."""
    return transfer.count_rows(data) > int(current_app.config["IMPORT_INLINE_ROWS"])


def submit(
    session: Session,
    data: bytes,
    *,
    filename: str,
    update_existing: bool,
    dry_run: bool,
    user_id: int | None,
    locale: str,
) -> CsvImport:
    """Record a file to import in the background; flushes. Commit, then :func:`enqueue`."""
    job = CsvImport(
        data=data,
        filename=(filename or "")[:255],
        update_existing=update_existing,
        dry_run=dry_run,
        user_id=user_id,
        locale=locale[:5],
        rows_total=transfer.count_rows(data),
        errors=[],
    )
    session.add(job)
    session.flush()
    return job


def job_timeout() -> int:
    return int(current_app.config["IMPORT_JOB_TIMEOUT"])


def enqueue(import_id: int) -> None:
    """Hand a committed import to the queue; raises ``RedisError`` when it is unreachable."""
    from outreach.pipeline.jobs import run_import

    get_queue("default").enqueue(
        run_import,
        import_id,
        job_id=f"csv-import-{import_id}",
        job_timeout=job_timeout(),
        result_ttl=3600,
        failure_ttl=7 * 86400,
    )


def claim(session: Session, import_id: int) -> bool:
    """Take a queued import with a conditional UPDATE; False when another job has it or it has
    finished (a second job for the same import then does nothing)."""
    claimed = session.scalar(
        update(CsvImport)
        .where(CsvImport.id == import_id, CsvImport.status == ImportStatus.QUEUED.value)
        .values(
            status=ImportStatus.RUNNING.value, phase="checking", rows_done=0, started_at=utcnow()
        )
        .returning(CsvImport.id)
        .execution_options(synchronize_session=False)
    )
    return claimed is not None


def notice_stopped(session: Session, job: CsvImport) -> bool:
    """Mark failed an import still "running" after the job timeout: its worker stopped (RQ
    ends a job at its timeout, and the job then records its failure itself), so its
    transaction was rolled back and nothing was written. True when it did; flushes."""
    if job.status != ImportStatus.RUNNING.value or job.started_at is None:
        return False
    if utcnow() - job.started_at < timedelta(seconds=job_timeout() + 60):
        return False
    fail(session, job.id, "the worker stopped before the import finished")
    session.refresh(job)
    return True


def record_progress(import_id: int, phase: str, done: int, total: int) -> None:
    """Store how far a running import is, in a short transaction of its own (the import's
    own transaction commits only at the end)."""
    with db.engine.begin() as connection:
        connection.execute(
            update(CsvImport)
            .where(CsvImport.id == import_id)
            .values(phase=phase, rows_done=done, rows_total=max(total, done))
        )


def finish(session: Session, job: CsvImport, report: transfer.ImportReport) -> None:
    """Store the report in the import's row and let go of the file; flushes. Committed with
    what the import wrote, or after rolling it back when nothing may be written."""
    job.status = ImportStatus.DONE.value
    job.phase = ""
    job.rows_done = job.rows_total
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.errors = [[e.row, e.field, e.message] for e in report.errors]
    job.error_count = len(report.errors)
    job.written = report.written
    job.data = b""
    job.finished_at = utcnow()
    session.flush()


def fail(session: Session, import_id: int, reason: str) -> None:
    """Mark an import failed (the job broke, or the queue could not take it); flushes."""
    session.execute(
        update(CsvImport)
        .where(CsvImport.id == import_id)
        .values(
            status=ImportStatus.FAILED.value,
            phase="",
            failure=reason[:2000],
            data=b"",
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def report_of(job: CsvImport) -> transfer.ImportReport:
    """A finished import's report, as :func:`transfer.import_csv` gave it."""
    return transfer.ImportReport(
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        errors=[transfer.RowError(row, field, message) for row, field, message in job.errors],
        dry_run=job.dry_run,
    )


def progress_of(job: CsvImport) -> dict[str, Any]:
    """What the import page polls."""
    return {
        "id": job.id,
        "status": job.status,
        "phase": job.phase,
        "done": job.rows_done,
        "total": job.rows_total,
        "finished": job.finished,
    }


_STATES = {
    ImportStatus.QUEUED.value: _l("waiting for a worker"),
    ImportStatus.RUNNING.value: _l("running"),
    ImportStatus.FAILED.value: _l("failed"),
}


def describe(job: CsvImport) -> str:
    """Where an import stands, in a few words for the list of imports."""
    if job.status != ImportStatus.DONE.value:
        return str(_STATES.get(job.status, job.status))
    if job.error_count:
        return ngettext(
            "nothing imported: %(num)d problem",
            "nothing imported: %(num)d problems",
            job.error_count,
        )
    if job.dry_run:
        return str(_l("dry run: the file is fine"))
    return str(_l("imported"))
