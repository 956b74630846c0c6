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
    nav = app.extensions["outreach_nav"]
    nav.append(("letters.preview", _l("Letters"), "coordinator"))
    nav.append(("letters.templates", _l("Templates"), "admin"))
    nav.append(("letters.settings", _l("Settings"), "admin"))
