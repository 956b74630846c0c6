"""The built-in mail catcher: an SMTP server for development whose mail is shown in the app."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.catcher.cli import mailcatcher_command
from outreach.catcher.routes import bp
from outreach.hooks import NavLink, hooks


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(mailcatcher_command)
    if app.config.get("MAIL_CATCHER_BUILTIN"):
        hooks(app).nav.append(NavLink("catcher.index", _l("Mail catcher"), Role.COORDINATOR))
