"""Follow-ups: a polite reminder to councils that stay silent, never to one that answered.

A candidate is due when it is still at letter_sent, its last letter (the original or the last
follow-up) went out more than N days ago, no real reply came since, fewer than M follow-ups
were sent, none is waiting in the queue, and its address has not bounced. N, M and automatic
sending are set per original letter kind (:class:`FollowUpSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from outreach.extensions import Session
from outreach.letters.kinds import LetterKind
from outreach.mailing.models import DELIVERED, PENDING, Letter, LetterStatus
from outreach.pipeline.models import Municipality
from outreach.pipeline.stages import Stage
from outreach.replies.kinds import ReplyKind
from outreach.replies.models import FollowUpSettings, Reply
from outreach.replies.services import needs_new_address_ids

FOLLOW_UPS = {kind.value for kind in LetterKind if kind.is_follow_up}
DEFAULT_DAYS = 14
DEFAULT_MAX = 2


class FollowUpError(ValueError):
    """A follow-up setting or batch that cannot be accepted; the message names the field."""


def letter_kinds() -> tuple[LetterKind, ...]:
    """Letter kinds that earn follow-ups."""
    return tuple(kind for kind in LetterKind if kind.earns_follow_ups)


def settings_for(session: Session, letter: LetterKind) -> FollowUpSettings:
    """The settings of a letter kind (defaults when never saved; not added to the session)."""
    row = session.scalar(select(FollowUpSettings).where(FollowUpSettings.letter == letter))
    return row or FollowUpSettings(
        letter=letter, days=DEFAULT_DAYS, max_per_candidate=DEFAULT_MAX, automatic=False
    )


def all_settings(session: Session) -> list[FollowUpSettings]:
    return [settings_for(session, kind) for kind in letter_kinds()]


def save_settings(
    session: Session,
    letter: LetterKind | str,
    *,
    days: Any,
    max_per_candidate: Any,
    automatic: bool,
) -> FollowUpSettings:
    errors = []
    if letter not in letter_kinds():
        errors.append(f"letter: unknown letter kind {letter!r}")
    try:
        days = int(days)
        if not 1 <= days <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors.append("days: a whole number of days from 1 to 365")
    try:
        max_per_candidate = int(max_per_candidate)
        if not 0 <= max_per_candidate <= 10:
            raise ValueError
    except (TypeError, ValueError):
        errors.append("max_per_candidate: a whole number from 0 to 10")
    if errors:
        raise FollowUpError("; ".join(errors))
    row = session.scalar(select(FollowUpSettings).where(FollowUpSettings.letter == letter))
    if row is None:
        row = FollowUpSettings(letter=letter)
        session.add(row)
    row.days = days
    row.max_per_candidate = max_per_candidate
    row.automatic = bool(automatic)
    session.flush()
    return row


@dataclass(frozen=True)
class Due:
    municipality_id: int
    name: str
    country: str
    letter_id: int
    letter: str
    last_sent_at: datetime
    followups_sent: int
    days_waiting: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidate_id": self.municipality_id,
            "name": self.name,
            "country": self.country,
            "letter_id": self.letter_id,
            "letter": self.letter,
            "last_sent_at": self.last_sent_at.isoformat(),
            "followups_sent": self.followups_sent,
            "days_waiting": self.days_waiting,
        }


def _waiting(
    session: Session, now: datetime, *, check_limits: bool, ids: set[int] | None = None
) -> list[Due]:
    query = select(Municipality).where(
        Municipality.stage == Stage.LETTER_SENT.value,
        Municipality.do_not_contact.is_(False),
    )
    if ids is not None:
        query = query.where(Municipality.id.in_(sorted(ids)))
    candidates = {m.id: m for m in session.scalars(query)}
    if not candidates:
        return []
    letters: dict[int, list[Letter]] = {}
    for letter in session.scalars(
        select(Letter)
        .where(Letter.municipality_id.in_(list(candidates)))
        .order_by(Letter.created_at, Letter.id)
    ):
        letters.setdefault(letter.municipality_id, []).append(letter)
    last_reply: dict[int, datetime] = {}
    for m_id, at in session.execute(
        select(Reply.municipality_id, Reply.received_at).where(
            Reply.municipality_id.in_(list(candidates)),
            Reply.kind.in_([kind.value for kind in ReplyKind if kind.is_answer]),
        )
    ):
        if m_id is not None:
            last_reply[m_id] = max(at, last_reply.get(m_id, at))
    bounced = needs_new_address_ids(session, list(candidates))
    settings = {s.letter: s for s in all_settings(session)}
    due: list[Due] = []
    for m_id, own in letters.items():
        originals = [
            x for x in own if x.letter not in FOLLOW_UPS and x.status in DELIVERED and x.sent_at
        ]
        if not originals or m_id in bounced:
            continue
        original = originals[-1]
        original_sent = original.sent_at
        assert original_sent is not None
        rule = settings.get(original.letter)
        if rule is None:
            continue
        if any(x.status == LetterStatus.REPLIED.value for x in own):
            continue
        followups = [
            x for x in own if x.letter in FOLLOW_UPS and x.created_at >= original.created_at
        ]
        if any(x.status in PENDING for x in followups):
            continue
        sent = [x.sent_at for x in followups if x.status in DELIVERED and x.sent_at is not None]
        if check_limits and len(sent) >= rule.max_per_candidate:
            continue
        last = max([original_sent, *sent])
        if m_id in last_reply and last_reply[m_id] >= original_sent:
            continue
        if now - last < timedelta(days=rule.days):
            continue
        m = candidates[m_id]
        due.append(
            Due(
                municipality_id=m_id,
                name=m.name,
                country=m.country,
                letter_id=original.id,
                letter=original.letter,
                last_sent_at=last,
                followups_sent=len(sent),
                days_waiting=(now - last).days,
            )
        )
    return sorted(due, key=lambda d: (d.last_sent_at, d.municipality_id))


def due_followups(session: Session, now: datetime) -> list[Due]:
    """Candidates a follow-up should now go to, longest waiting first."""
    return _waiting(session, now, check_limits=True)


def waiting(session: Session, now: datetime, ids: set[int] | None = None) -> list[Due]:
    """Candidates (among ``ids``) waiting for an answer longer than their follow-up interval."""
    return _waiting(session, now, check_limits=False, ids=ids)


def waiting_too_long_ids(session: Session, now: datetime) -> set[int]:
    """Candidates at letter_sent with no answer for longer than their follow-up interval,
    whether or not another follow-up is still allowed (for the board marker and filter)."""
    return {d.municipality_id for d in _waiting(session, now, check_limits=False)}


def automatic_kinds(session: Session) -> set[str]:
    return {s.letter for s in all_settings(session) if s.automatic}
