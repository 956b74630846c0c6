"""The built-in mail catcher: an SMTP server for development whose mail is shown in the app."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from outreach import devserver
    from outreach.catcher import models  # noqa: F401
    from outreach.catcher.cli import mailcatcher_command
    from outreach.catcher.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(mailcatcher_command)
    app.cli.add_command(devserver.dev_command)
    if app.config.get("MAIL_CATCHER_BUILTIN"):
        app.extensions["outreach_nav"].append(("catcher.index", _l("Mail catcher"), "coordinator"))
