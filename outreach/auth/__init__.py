"""Staff accounts, roles, login."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from outreach.auth.cli import users_cli
    from outreach.auth.decorators import can
    from outreach.auth.models import User
    from outreach.auth.routes import bp

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
    app.jinja_env.globals["can"] = can
    app.extensions["outreach_nav"].append(("auth.users", _l("Users"), "admin"))
