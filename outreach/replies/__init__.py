"""Replies: reading answers from the mailbox, saved messages, by hand or from the mail catcher;
matching them to letters and candidates; follow-ups to those who stay silent."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from outreach.auth.models import Role
from outreach.hooks import CandidateSet, NavLink, hooks
from outreach.replies import marks
from outreach.replies.cli import followups_cli, replies_cli
from outreach.replies.jobs import schedule_tick
from outreach.replies.routes import bp
from outreach.replies.timeline import replies_timeline


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(replies_cli)
    app.cli.add_command(followups_cli)
    found = hooks(app)
    found.nav.append(NavLink("replies.inbox", _l("Replies"), Role.VIEWER))
    found.timeline.append(replies_timeline)
    found.worker_start.append(schedule_tick)
    found.candidate_marks.append(marks.candidate_marks)
    found.candidate_links.append(marks.candidate_links)
    found.candidate_sets["overdue"] = CandidateSet(
        _l("Awaiting a reply too long"), marks.overdue_ids
    )
