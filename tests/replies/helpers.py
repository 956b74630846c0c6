"""Letters that went out, so replies have something to answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Flask

from outreach.clock import utcnow
from outreach.extensions import db
from outreach.mailing import outbox, queueing
from outreach.mailing.models import Batch, Letter
from outreach.pipeline.models import Municipality
from tests.mailing.conftest import work


def send_proposals(app: Flask, towns: Any, n: int = 1, **town: Any) -> list[int]:
    """``n`` candidates get a proposal through the real queue and SMTP; returns their ids."""
    ids = towns(n, **town)
    queueing.confirm(db.session, "proposal", {"ids": ids}, resend=False, user_id=None)
    work(app)
    return ids


def sent_letter(town_id: int, letter: str = "proposal", at: datetime | None = None) -> Letter:
    """A letter recorded in the outbox and marked sent through the outbox's own rules."""
    town = db.session.get(Municipality, town_id)
    contact = town.primary_contact
    batch = Batch(letter=letter, request_key=uuid.uuid4().hex, filters={})
    db.session.add(batch)
    db.session.flush()
    n = db.session.query(Letter).filter_by(municipality_id=town_id, letter=letter).count()
    row = Letter(
        batch_id=batch.id,
        municipality_id=town_id,
        contact_id=contact.id,
        to_address=contact.email,
        to_name=contact.name,
        letter=letter,
        language="en",
        subject=f"{letter} for {town.name}",
        text="Dear Mayor, ...",
        html="<p>Dear Mayor, ...</p>",
        message_id=outbox.new_message_id(sender="office@mena-rada.example"),
        idempotency_key=f"{letter}:{town_id}:{n}",
    )
    db.session.add(row)
    db.session.flush()
    when = at or utcnow()
    assert outbox.claim(db.session, row.id, when)
    outbox.record_sent(
        db.session, row.id, "250 ok", municipality_id=town_id, user_id=None, now=when
    )
    db.session.commit()
    db.session.refresh(row)
    return row


def sent_proposal(towns: Any, **town: Any) -> tuple[int, Letter]:
    (town_id,) = towns(1, **town)
    return town_id, sent_letter(town_id)
