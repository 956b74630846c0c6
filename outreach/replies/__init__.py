"""Replies: reading answers from the mailbox, saved messages, by hand or from the mail catcher;
matching them to letters and candidates; follow-ups to those who stay silent."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from outreach.replies import marks, models  # noqa: F401
    from outreach.replies.cli import followups_cli, replies_cli
    from outreach.replies.jobs import schedule_tick
    from outreach.replies.routes import bp
    from outreach.replies.timeline import replies_timeline

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
