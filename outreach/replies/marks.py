"""How replies show on the board, the list and the candidate page."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from outreach.auth.models import Role
from outreach.extensions import Session
from outreach.hooks import CandidateLink, Mark
from outreach.replies import followups, services


def candidate_marks(session: Session, ids: list[int], now: datetime) -> dict[int, list[Mark]]:
    wanted = set(ids)
    marks: dict[int, list[Mark]] = {}
    for due in followups.waiting(session, now, ids=wanted):
        label = ngettext("no reply for %(num)d day", "no reply for %(num)d days", due.days_waiting)
        marks.setdefault(due.municipality_id, []).append(Mark(label, "warn"))
    for m_id in services.needs_new_address_ids(session, list(wanted)):
        marks.setdefault(m_id, []).append(Mark(str(_l("needs a new address")), "bad"))
    return marks


def overdue_ids(session: Session, now: datetime) -> set[int]:
    return followups.waiting_too_long_ids(session, now)


def candidate_links(municipality_id: int) -> list[CandidateLink]:
    href = url_for("replies.new", candidate=municipality_id)
    return [CandidateLink(href, str(_l("Log a reply")), Role.COORDINATOR)]
