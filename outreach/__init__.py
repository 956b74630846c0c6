"""Outreach: a pipeline of partner municipalities and the letters that win them."""

from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from outreach import resources
from outreach.config import check_production, from_env
from outreach.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

#: Feature packages; each exposes ``init_app(app)``.
FEATURES = ("auth", "pipeline", "catcher", "letters", "mailing", "replies", "queue", "ops")


def _select_locale() -> str:
    languages = ["en", "uk"]
    if not has_request_context():
        return "en"
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


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
    babel.init_app(app, locale_selector=_select_locale)
    mail.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limiter_storage(app.config.get("REDIS_URL")))
    limiter.init_app(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)

    app.extensions["outreach_nav"] = []
    app.extensions["outreach_timeline"] = []
    for name in FEATURES:
        importlib.import_module(f"outreach.{name}").init_app(app)

    from outreach import web

    web.init_app(app)

    return app


def _limiter_storage(redis_url: str | None) -> str:
    """The rate limiter keeps its counters in Redis when one is configured."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

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
