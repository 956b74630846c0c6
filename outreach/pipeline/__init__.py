"""Candidate municipalities and the stages they move through."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.hooks import NavLink, hooks
from outreach.pipeline import queries, transfer_routes
from outreach.pipeline.cli import candidates_cli
from outreach.pipeline.routes import bp

__all__ = ["init_app", "transfer_routes"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(candidates_cli)
    found = hooks(app)
    found.nav.append(NavLink("pipeline.import_candidates", _l("Import"), Role.COORDINATOR))
    # Stage changes, notes and profile edits on every candidate's timeline.
    found.timeline.extend([queries.stage_events, queries.note_events, queries.audit_events])
