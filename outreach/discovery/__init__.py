"""Finding partners: a gazetteer of towns and the towns that resemble our community."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.discovery import models
from outreach.discovery.adding import suggestion_reasons
from outreach.discovery.cli import discover_command, gazetteer_cli
from outreach.discovery.routes import bp, candidate_place
from outreach.hooks import NavLink, hooks

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Where a candidate lies and why it was suggested, on the candidate's page.
    app.add_template_global(candidate_place, "candidate_place")
    app.cli.add_command(gazetteer_cli)
    app.cli.add_command(discover_command)
    found = hooks(app)
    found.nav.append(NavLink("discovery.discover", _l("Find partners"), Role.VIEWER))
    found.suggestion_reasons.append(suggestion_reasons)
