"""Staff accounts, roles, login."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.auth.cli import users_cli
from outreach.auth.decorators import can
from outreach.auth.models import Role, User
from outreach.auth.routes import bp
from outreach.auth.services import user_for_session
from outreach.auth.throttle import check_settings
from outreach.extensions import db, login_manager
from outreach.hooks import NavLink, hooks


def _load_user(cookie_id: str) -> User | None:
    return user_for_session(db.session, cookie_id)


def init_app(app: Flask) -> None:
    check_settings(app)
    login_manager.user_loader(_load_user)
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
    app.jinja_env.globals["can"] = can
    hooks(app).nav.append(NavLink("auth.users", _l("Users"), Role.ADMIN))
