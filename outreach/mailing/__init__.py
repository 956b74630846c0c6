"""Batch sending through the RQ mail queue: never lost, never doubled."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from outreach.mailing import models  # noqa: F401
    from outreach.mailing.cli import batch_cli, register_letters_commands, sweep_command
    from outreach.mailing.jobs import schedule_sweep
    from outreach.mailing.queueing import job_timeout
    from outreach.mailing.routes import bp
    from outreach.mailing.timeline import letters_timeline

    app.config["MAIL_CHUNK_SIZE"] = int(app.config["MAIL_CHUNK_SIZE"])
    if not app.config.get("MAIL_LEASE_SECONDS"):
        app.config["MAIL_LEASE_SECONDS"] = job_timeout(app.config) + 300

    app.register_blueprint(bp)
    app.cli.add_command(batch_cli)
    app.cli.add_command(sweep_command)
    register_letters_commands()
    app.extensions["outreach_nav"].append(("mailing.batches", _l("Batches"), "viewer"))
    app.extensions["outreach_timeline"].append(letters_timeline)
    app.extensions.setdefault("outreach_worker_start", []).append(schedule_sweep)
    app.extensions.setdefault("outreach_candidate_links", []).append(_send_link)


def _send_link(municipality: object) -> list[tuple[str, str, str]]:
    from flask import url_for

    href = url_for("mailing.new_batch", ids=str(getattr(municipality, "id", "")))
    return [(href, str(_l("Send a letter")), "coordinator")]
