"""Letters: templates per letter and language, rendered safely for each candidate."""

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.hooks import CandidateLink, NavLink, hooks
from outreach.letters.cli import letters_cli, templates_cli
from outreach.letters.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(templates_cli)
    app.cli.add_command(letters_cli)
    found = hooks(app)
    found.candidate_links.append(_preview_link)
    found.nav.append(NavLink("letters.preview", _l("Letters"), Role.COORDINATOR))
    found.nav.append(NavLink("letters.templates", _l("Templates"), Role.ADMIN))
    found.nav.append(NavLink("letters.settings", _l("Settings"), Role.ADMIN))


def _preview_link(municipality_id: int) -> list[CandidateLink]:
    href = url_for("letters.preview", candidate=municipality_id)
    return [CandidateLink(href, str(_l("Preview a letter")), Role.COORDINATOR)]
