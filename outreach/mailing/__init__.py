"""Batch sending through the RQ mail queue: never lost, never doubled."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.hooks import CandidateLink, NavLink, hooks
from outreach.mailing.cli import batch_cli, register_letters_commands, sweep_command
from outreach.mailing.jobs import schedule_sweep
from outreach.mailing.queueing import job_timeout
from outreach.mailing.routes import bp
from outreach.mailing.threads import first_letters
from outreach.mailing.timeline import letters_timeline


def init_app(app: Flask) -> None:
    app.config["MAIL_CHUNK_SIZE"] = int(app.config["MAIL_CHUNK_SIZE"])
    if not app.config.get("MAIL_LEASE_SECONDS"):
        app.config["MAIL_LEASE_SECONDS"] = job_timeout(app.config) + 300

    app.register_blueprint(bp)
    app.cli.add_command(batch_cli)
    app.cli.add_command(sweep_command)
    register_letters_commands()
    found = hooks(app)
    found.nav.append(NavLink("mailing.batches", _l("Batches"), Role.VIEWER))
    found.timeline.append(letters_timeline)
    found.worker_start.append(schedule_sweep)
    found.candidate_links.append(_send_link)
    found.first_letters.append(first_letters)


def _send_link(municipality_id: int) -> list[CandidateLink]:
    href = url_for("mailing.new_batch", ids=str(municipality_id))
    return [CandidateLink(href, str(_l("Send a letter")), Role.COORDINATOR)]
