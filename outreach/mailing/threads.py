"""The first letter of each candidate's correspondence, which follow-ups refer to and thread
with (registered as the ``first_letters`` hook for the letter renderer)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select

from outreach.extensions import Session
from outreach.letters.context import FirstLetter
from outreach.letters.kinds import LetterKind
from outreach.mailing.models import DELIVERED, Letter

_CHUNK = 500


def first_letters(session: Session, municipality_ids: list[int]) -> dict[int, FirstLetter]:
    """For each candidate, the latest delivered letter that is not a follow-up: its date (at
    the office), subject and Message-ID."""
    zone = ZoneInfo(
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Kyiv")
        if has_app_context()
        else "Europe/Kyiv"
    )
    originals = [kind.value for kind in LetterKind if not kind.is_follow_up]
    found: dict[int, FirstLetter] = {}
    for start in range(0, len(municipality_ids), _CHUNK):
        chunk = municipality_ids[start : start + _CHUNK]
        rows = session.execute(
            select(Letter.municipality_id, Letter.sent_at, Letter.subject, Letter.message_id)
            .where(
                Letter.municipality_id.in_(chunk),
                Letter.letter.in_(originals),
                Letter.status.in_(DELIVERED),
                Letter.sent_at.is_not(None),
            )
            .order_by(Letter.sent_at, Letter.id)
        )
        for municipality_id, sent_at, subject, message_id in rows:
            if sent_at is None:
                continue
            day = sent_at.replace(tzinfo=UTC).astimezone(zone).date()
            found[municipality_id] = FirstLetter(day, subject, message_id)
    return found
