"""Letters: templates per letter and language, rendered safely for each candidate."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from outreach.letters import models  # noqa: F401
    from outreach.letters.cli import letters_cli, templates_cli
    from outreach.letters.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(templates_cli)
    app.cli.add_command(letters_cli)
    app.extensions.setdefault("outreach_candidate_links", []).append(_preview_link)
    nav = app.extensions["outreach_nav"]
    nav.append(("letters.preview", _l("Letters"), "coordinator"))
    nav.append(("letters.templates", _l("Templates"), "admin"))
    nav.append(("letters.settings", _l("Settings"), "admin"))


def _preview_link(municipality: object) -> list[tuple[str, str, str]]:
    from flask import url_for

    href = url_for("letters.preview", candidate=getattr(municipality, "id", None))
    return [(href, str(_l("Preview a letter")), "coordinator")]
