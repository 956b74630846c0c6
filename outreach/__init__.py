"""Outreach: a pipeline of partner municipalities and the letters that win them."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import event

from outreach import (
    auth,
    backup,
    catcher,
    demo,
    devserver,
    discovery,
    hooks,
    letters,
    mailing,
    ops,
    pipeline,
    queue,
    replies,
    resources,
    web,
)
from outreach.config import check_production, from_env
from outreach.extensions import babel, csrf, db, login_manager, mail, migrate
from outreach.locales import choose_interface_language


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` is applied before any extension reads it."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("OUTREACH_INSTANCE_PATH") or None,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(from_env(app.instance_path))
    if config:
        app.config.update(config)
    check_production(app.config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resources.migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=choose_interface_language)
    mail.init_app(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)

    # The features, each in its folder, plugging into the extension points (outreach.hooks).
    hooks.init_app(app)
    web.init_app(app)
    auth.init_app(app)
    pipeline.init_app(app)
    discovery.init_app(app)
    catcher.init_app(app)
    letters.init_app(app)
    mailing.init_app(app)
    replies.init_app(app)
    queue.init_app(app)
    ops.init_app(app)
    backup.init_app(app)
    demo.init_app(app)
    devserver.init_app(app)
    return app


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # SQLite's own lower() folds ASCII only; searches must fold "Ż" too.
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
