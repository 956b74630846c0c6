"""RQ jobs of the ``default`` queue for the pipeline. They take ids, run in the worker's app
context and raise instead of swallowing errors; the rules live in :mod:`imports` and
:mod:`transfer`."""

from __future__ import annotations

from functools import partial

from flask_babel import force_locale

from outreach.extensions import db
from outreach.pipeline import imports, transfer
from outreach.pipeline.models import CsvImport


def run_import(import_id: int) -> dict[str, int | bool]:
    """Import the file of CSV import ``import_id``, all or nothing, in its uploader's language.

    The candidates it writes and the report are committed together. When the job breaks, what
    it wrote is rolled back, the import is marked failed with the reason, and the error is
    raised (the job fails in RQ too). A second job for the same import does nothing.
    """
    session = db.session
    if not imports.claim(session, import_id):
        session.rollback()
        return {"claimed": False}
    session.commit()
    job = session.get_one(CsvImport, import_id)
    try:
        with force_locale(job.locale or "en"):
            report = transfer.import_csv(
                session,
                job.data,
                update=job.update_existing,
                dry_run=job.dry_run,
                user_id=job.user_id,
                progress=partial(imports.record_progress, import_id),
            )
            if not report.written:
                session.rollback()
            imports.finish(session, job, report)
        session.commit()
    except Exception as exc:
        session.rollback()
        imports.fail(session, import_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        raise
    return {"claimed": True, "written": report.written, "problems": len(report.errors)}
