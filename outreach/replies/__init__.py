"""Replies: reading answers from the mailbox, saved messages, by hand or from the mail catcher;
matching them to letters and candidates; follow-ups to those who stay silent."""

from __future__ import annotations

import os

from flask import Flask
from flask_babel import lazy_gettext as _l


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def configure(app: Flask) -> None:
    """Mailbox settings from the environment, unless the app's config already has them."""
    env = os.environ
    app.config.setdefault("IMAP_HOST", env.get("IMAP_HOST", ""))
    app.config.setdefault("IMAP_PORT", int(env["IMAP_PORT"]) if env.get("IMAP_PORT") else None)
    app.config.setdefault("IMAP_USER", env.get("IMAP_USER", ""))
    app.config.setdefault("IMAP_PASSWORD", env.get("IMAP_PASSWORD", ""))
    app.config.setdefault("IMAP_FOLDER", env.get("IMAP_FOLDER") or "INBOX")
    app.config.setdefault("IMAP_TLS", _bool(env.get("IMAP_TLS"), True))
    app.config.setdefault("IMAP_STARTTLS", _bool(env.get("IMAP_STARTTLS"), False))
    app.config.setdefault("IMAP_CA_FILE", env.get("IMAP_CA_FILE", ""))
    app.config.setdefault("IMAP_TIMEOUT", float(env.get("IMAP_TIMEOUT") or 30))
    app.config.setdefault("REPLIES_FETCH_SECONDS", int(env.get("REPLIES_FETCH_SECONDS") or 300))


def init_app(app: Flask) -> None:
    from outreach.replies import marks, models  # noqa: F401
    from outreach.replies.cli import followups_cli, replies_cli
    from outreach.replies.jobs import schedule_tick
    from outreach.replies.routes import bp
    from outreach.replies.timeline import replies_timeline

    configure(app)
    app.register_blueprint(bp)
    app.cli.add_command(replies_cli)
    app.cli.add_command(followups_cli)
    app.extensions["outreach_nav"].append(("replies.inbox", _l("Replies"), "viewer"))
    app.extensions["outreach_timeline"].append(replies_timeline)
    app.extensions.setdefault("outreach_worker_start", []).append(schedule_tick)
    app.extensions.setdefault("outreach_candidate_marks", []).append(marks.candidate_marks)
    app.extensions.setdefault("outreach_candidate_links", []).append(marks.candidate_links)
    app.extensions.setdefault("outreach_candidate_sets", {})["overdue"] = (
        _l("Awaiting a reply too long"),
        marks.overdue_ids,
    )
