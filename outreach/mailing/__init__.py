"""Batch sending through the RQ mail queue: never lost, never doubled."""

from __future__ import annotations

import os

from flask import Flask
from flask_babel import lazy_gettext as _l

#: Settings of this feature, with their defaults (each can be set in the environment).
SETTINGS: dict[str, float] = {
    "MAIL_CHUNK_SIZE": 50,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_RATE_MAX_WAIT": 60,
    "MAIL_REQUEUE_SECONDS": 300,
}


def init_app(app: Flask) -> None:
    from outreach.mailing import models  # noqa: F401
    from outreach.mailing.cli import batch_cli, register_letters_commands, sweep_command
    from outreach.mailing.jobs import schedule_sweep
    from outreach.mailing.queueing import job_timeout
    from outreach.mailing.routes import bp
    from outreach.mailing.timeline import letters_timeline

    for key, default in SETTINGS.items():
        raw = os.environ.get(key)
        app.config.setdefault(key, float(raw) if raw else default)
    app.config["MAIL_CHUNK_SIZE"] = int(app.config["MAIL_CHUNK_SIZE"])
    lease = os.environ.get("MAIL_LEASE_SECONDS")
    app.config.setdefault(
        "MAIL_LEASE_SECONDS", float(lease) if lease else job_timeout(app.config) + 300
    )

    app.register_blueprint(bp)
    app.cli.add_command(batch_cli)
    app.cli.add_command(sweep_command)
    register_letters_commands()
    app.extensions["outreach_nav"].append(("mailing.batches", _l("Batches"), "viewer"))
    app.extensions["outreach_timeline"].append(letters_timeline)
    app.extensions.setdefault("outreach_worker_start", []).append(schedule_sweep)
