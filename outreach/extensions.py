"""Flask extensions, created unbound and attached in ``create_app``; the model base and the
session type that services take."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias, cast

from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Result, orm


class Base(orm.DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
if TYPE_CHECKING:
    # Flask-SQLAlchemy builds ``db.Model`` at run time from Base's own bases; a type checker
    # cannot follow that, so it is shown the declarative base those models share.
    Model: TypeAlias = Base
else:
    Model = db.Model

#: What services take: a SQLAlchemy session, or ``db.session`` (the app context's scoped
#: session, which stands for one).
Session: TypeAlias = orm.Session | orm.scoped_session[Any]


def app_object() -> Flask:
    """The application behind ``current_app``, to hand to a worker, a thread or a process."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's method, absent from Flask's stubs
    return app


def updated_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE (or DELETE) changed: its result is a cursor's."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
