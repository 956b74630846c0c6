"""CSV import and export pages."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SubmitField

from outreach.auth.decorators import role_required
from outreach.auth.models import Role
from outreach.clock import utcnow
from outreach.extensions import db
from outreach.pipeline import transfer
from outreach.pipeline.routes import bp


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    update = BooleanField(_l("Update candidates that already exist"))
    dry_run = SubmitField(_l("Dry run"))
    submit = SubmitField(_l("Import"))


@bp.route("/candidates/import", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def import_candidates() -> str | BaseResponse:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        dry_run = bool(form.dry_run.data) and not form.submit.data
        report = transfer.import_csv(
            db.session,
            form.file.data.read(),
            update=bool(form.update.data),
            dry_run=dry_run,
            user_id=current_user.id,
        )
        if report.written:
            db.session.commit()
            flash(
                _(
                    "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                    created=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                ),
                "success",
            )
            return redirect(url_for("pipeline.candidates"))
        db.session.rollback()
    return render_template(
        "pipeline/import.html", form=form, report=report, columns=transfer.COLUMNS
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
