"""CSV import and export pages."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from redis.exceptions import RedisError
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SubmitField

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.clock import utcnow
from outreach.extensions import db
from outreach.pipeline import imports, transfer
from outreach.pipeline.models import CsvImport, ImportStatus
from outreach.pipeline.routes import bp

#: Background imports listed on the import page.
RECENT_IMPORTS = 10


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    update = BooleanField(_l("Update candidates that already exist"))
    dry_run = SubmitField(_l("Dry run"))
    submit = SubmitField(_l("Import"))


@bp.route("/candidates/import", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def import_candidates() -> str | BaseResponse:
    """Import a CSV file: at once when it is small, else by a background job (the page then
    follows its progress); the same all-or-nothing report either way."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        dry_run = bool(form.dry_run.data) and not form.submit.data
        data = form.file.data.read()
        if imports.in_background(data):
            return _import_in_background(form, data, dry_run)
        report = transfer.import_csv(
            db.session,
            data,
            update=bool(form.update.data),
            dry_run=dry_run,
            user_id=current_user.id,
        )
        if report.written:
            db.session.commit()
            flash(_imported(report), "success")
            return redirect(url_for("pipeline.candidates"))
        db.session.rollback()
    recent = db.session.scalars(
        select(CsvImport).order_by(CsvImport.id.desc()).limit(RECENT_IMPORTS)
    ).all()
    return render_template(
        "pipeline/import.html",
        form=form,
        report=report,
        columns=transfer.COLUMNS,
        inline_rows=current_app.config["IMPORT_INLINE_ROWS"],
        recent=recent,
        describe_import=imports.describe,
    )


def _imported(report: transfer.ImportReport) -> str:
    return _(
        "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )


def _import_in_background(form: ImportForm, data: bytes, dry_run: bool) -> BaseResponse:
    """Store the file, commit, then hand it to a worker; the import's page follows it."""
    job = imports.submit(
        db.session,
        data,
        filename=getattr(form.file.data, "filename", "") or "",
        update_existing=bool(form.update.data),
        dry_run=dry_run,
        user_id=current_user.id,
        locale=str(get_locale() or "en"),
    )
    db.session.commit()
    try:
        imports.enqueue(job.id)
    except RedisError:
        imports.fail(db.session, job.id, "the queue (Redis) could not be reached")
        db.session.commit()
        flash(
            _(
                "The file could not be handed to a worker: the queue is unreachable. "
                "Nothing was imported; try again later."
            ),
            "error",
        )
        return redirect(url_for("pipeline.import_candidates"))
    return redirect(url_for("pipeline.import_job", import_id=job.id))


def _get_import(import_id: int) -> CsvImport:
    job = db.session.get(CsvImport, import_id)
    if job is None:
        abort(404)
    if imports.notice_stopped(db.session, job):
        db.session.commit()
    return job


@bp.route("/candidates/import/<int:import_id>")
@role_required(Role.COORDINATOR)
def import_job(import_id: int) -> str:
    """A background import: its progress while it runs, its report when done."""
    job = _get_import(import_id)
    report = imports.report_of(job) if job.status == ImportStatus.DONE.value else None
    return render_template(
        "pipeline/import_job.html",
        job=job,
        report=report,
        progress=imports.progress_of(job),
        shown=imports.SHOWN_ERRORS,
        state=imports.describe(job),
    )


@bp.route("/candidates/import/<int:import_id>/status")
@role_required(Role.COORDINATOR)
def import_status(import_id: int) -> Response:
    return jsonify(imports.progress_of(_get_import(import_id)))


@bp.route("/candidates/import/<int:import_id>/report.txt")
@role_required(Role.COORDINATOR)
def import_report(import_id: int) -> Response:
    """Every problem of a finished import, one per line."""
    job = _get_import(import_id)
    if job.status != ImportStatus.DONE.value:
        abort(404)
    text = "".join(f"{line}\n" for line in imports.report_of(job).lines())
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-report.txt"'},
    )


@bp.route("/candidates/export.csv")
@role_required(Role.VIEWER)
def export_candidates() -> Response:
    text = transfer.export_csv(
        db.session,
        stages_=request.args.getlist("stage"),
        countries=request.args.getlist("country"),
    )
    filename = f"candidates-{utcnow():%Y-%m-%d}.csv"
    return Response(
        # A byte-order mark lets spreadsheet programs recognise UTF-8.
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
