"""Candidate municipalities and the stages they move through."""

from flask import Flask


def init_app(app: Flask) -> None:
    from outreach.pipeline import models, transfer_routes  # noqa: F401
    from outreach.pipeline.routes import bp

    app.register_blueprint(bp)

    from flask_babel import lazy_gettext

    from outreach.pipeline.cli import candidates_cli, demo_data_command

    app.cli.add_command(candidates_cli)
    app.cli.add_command(demo_data_command)
    app.extensions["outreach_nav"].append(
        ("pipeline.import_candidates", lazy_gettext("Import"), "coordinator")
    )
    register_timeline(app)


def register_timeline(app: Flask) -> None:
    """Stage changes, notes and profile edits on every candidate's timeline."""
    from outreach.pipeline import queries

    app.extensions["outreach_timeline"].extend(
        [queries.stage_events, queries.note_events, queries.audit_events]
    )
