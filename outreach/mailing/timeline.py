"""Letters on a candidate's timeline."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from outreach.extensions import Session
from outreach.hooks import TimelineEvent
from outreach.mailing.models import Letter


def letters_timeline(session: Session, municipality_id: int) -> list[TimelineEvent]:
    letters = session.scalars(
        select(Letter).where(Letter.municipality_id == municipality_id).order_by(Letter.id)
    )
    events = []
    for letter in letters:
        body = letter.subject
        if letter.error:
            body += f" — {letter.error}"
        events.append(
            TimelineEvent(
                at=letter.sent_at or letter.updated_at or letter.created_at,
                kind="letter",
                title=_(
                    "Letter %(id)s (%(letter)s, %(language)s): %(status)s",
                    id=letter.id,
                    letter=letter.letter,
                    language=letter.language,
                    status=letter.status_label,
                ),
                body=body,
                url=url_for("mailing.batch", batch_id=letter.batch_id),
                user=None,
            )
        )
    return events
