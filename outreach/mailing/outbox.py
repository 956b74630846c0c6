"""Rules for one letter's life in the outbox: claim, outcome, sweep, cancel, retry, resolve.

Functions take a session and ids, flush, never commit. Every state change is a conditional
UPDATE on the row's current status, so two workers (or a worker and the sweeper) can never
both act on the same letter; the row, not Redis, is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func, or_, select, update

from outreach.clock import utcnow
from outreach.extensions import Session, updated_rows
from outreach.mailing.models import CLAIMABLE, Batch, Letter, LetterStatus
from outreach.mailing.sending import sender_address
from outreach.pipeline import services as pipeline
from outreach.pipeline.models import AuditEntry
from outreach.sql import Prepared

S = LetterStatus


class OutboxError(ValueError):
    """An action on a letter or batch that its current state does not allow."""


def _set(session: Session, where: list[Any], **values: Any) -> int:
    values.setdefault("updated_at", utcnow())
    result = session.execute(
        update(Letter).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return updated_rows(result)


_CLAIMABLE_SQL = ", ".join(f"'{status}'" for status in CLAIMABLE)
_CLAIM = Prepared(
    f"UPDATE letter SET status = '{S.SENDING.value}', claimed_at = :now,"
    " attempts = attempts + 1, updated_at = :now"
    f" WHERE id = :letter_id AND status IN ({_CLAIMABLE_SQL})"
    " AND (next_attempt_at IS NULL OR next_attempt_at <= :now)"
    " RETURNING attempts",
    now=DateTime(),
    letter_id=Integer(),
)
_SENT = Prepared(
    f"UPDATE letter SET status = '{S.SENT.value}', sent_at = :now, smtp_response = :response,"
    " error = '', updated_at = :now"
    f" WHERE id = :letter_id AND status IN ('{S.SENDING.value}', '{S.UNKNOWN.value}')",
    now=DateTime(),
    letter_id=Integer(),
    response=Text(),
)


def claim(session: Session, letter_id: int, now: datetime | None = None) -> int | None:
    """Take a queued or due letter for sending (one statement, built once).

    Returns the attempt number for the one caller that got it, None for everyone else.
    """
    cursor = _CLAIM.run(session, {"letter_id": letter_id, "now": now or utcnow()})
    row = cursor.fetchone()
    cursor.close()
    return None if row is None else int(row[0])


def record_sent(
    session: Session,
    letter_id: int,
    response: str,
    *,
    municipality_id: int,
    user_id: int | None,
    now: datetime | None = None,
) -> bool:
    """The server accepted the letter; an analysed candidate moves to letter_sent.

    Plain statements on the session's connection (no ORM objects): the letter's conditional
    UPDATE, then the candidate's conditional move, in the caller's transaction.
    """
    cursor = _SENT.run(
        session, {"letter_id": letter_id, "now": now or utcnow(), "response": response[:2000]}
    )
    changed = cursor.rowcount
    cursor.close()
    if changed:
        advance_candidate(session, municipality_id, letter_id, user_id)
    return bool(changed)


def advance_candidate(
    session: Session,
    municipality_id: int,
    letter_id: int,
    user_id: int | None,
) -> None:
    """Move the candidate to letter_sent if it is still analysed (else leave it)."""
    pipeline.move_sent(
        session, [municipality_id], lambda _m: f"letter {letter_id} sent", user_id=user_id
    )


def backoff(attempts: int, config: dict[str, Any] | Any) -> timedelta:
    base = float(config.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = float(config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def record_transient(
    session: Session,
    letter_id: int,
    reason: str,
    *,
    attempts: int,
    config: dict[str, Any] | Any,
    now: datetime | None = None,
) -> datetime | None:
    """A 4xx or a connection error: wait and retry, or fail once attempts are used up.

    Returns when the letter is due again, or None when it failed for good.
    """
    now = now or utcnow()
    where = [Letter.id == letter_id, Letter.status == S.SENDING.value]
    if attempts >= int(config.get("MAIL_MAX_ATTEMPTS", 5)):
        _set(
            session,
            where,
            status=S.FAILED.value,
            error=f"{reason} (gave up after {attempts} attempts)"[:2000],
            updated_at=now,
        )
        return None
    due = now + backoff(attempts, config)
    _set(
        session,
        where,
        status=S.RETRY_WAIT.value,
        next_attempt_at=due,
        enqueued_at=due,
        error=reason[:2000],
        updated_at=now,
    )
    return due


def record_failed(session: Session, letter_id: int, reason: str) -> None:
    _set(
        session,
        [Letter.id == letter_id, Letter.status == S.SENDING.value],
        status=S.FAILED.value,
        error=reason[:2000],
    )


def record_unknown(session: Session, letter_id: int, reason: str) -> None:
    _set(
        session,
        [Letter.id == letter_id, Letter.status == S.SENDING.value],
        status=S.UNKNOWN.value,
        error=reason[:2000],
    )


def defer(session: Session, letter_ids: list[int], until: datetime) -> None:
    """Hold unclaimed letters until ``until`` (the rate limit's window frees)."""
    _set(
        session,
        [
            Letter.id.in_(letter_ids),
            Letter.status.in_(CLAIMABLE),
            or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at < until),
        ],
        next_attempt_at=until,
        enqueued_at=until,
    )


@dataclass
class SweepResult:
    expired: int
    due: list[int]


def sweep(
    session: Session,
    now: datetime | None = None,
    *,
    lease_seconds: float,
    requeue_seconds: float,
) -> SweepResult:
    """Turn expired claims into ``unknown`` and pick the letters to hand to the queue again.

    Picked letters are queued or due for a retry and were last handed to the queue more than
    ``requeue_seconds`` ago (or never). They are stamped as enqueued now; the caller commits
    and then enqueues them (a duplicate job is harmless: the claim guards every letter).
    """
    now = now or utcnow()
    expired = _set(
        session,
        [
            Letter.status == S.SENDING.value,
            Letter.claimed_at < now - timedelta(seconds=lease_seconds),
        ],
        status=S.UNKNOWN.value,
        error="the claim expired while sending: the server may or may not have the letter",
        updated_at=now,
    )
    stale = now - timedelta(seconds=requeue_seconds)
    due = list(
        session.scalars(
            select(Letter.id)
            .where(
                Letter.status.in_(CLAIMABLE),
                or_(Letter.next_attempt_at.is_(None), Letter.next_attempt_at <= now),
                or_(Letter.enqueued_at.is_(None), Letter.enqueued_at <= stale),
            )
            .order_by(Letter.id)
        )
    )
    for start in range(0, len(due), 500):
        _set(session, [Letter.id.in_(due[start : start + 500])], enqueued_at=now, updated_at=now)
    return SweepResult(expired=expired, due=due)


def mark_unqueued(session: Session, letter_ids: list[int]) -> None:
    """The queue was unreachable: let the next sweep pick these letters at once."""
    for start in range(0, len(letter_ids), 500):
        _set(
            session,
            [Letter.id.in_(letter_ids[start : start + 500]), Letter.status.in_(CLAIMABLE)],
            enqueued_at=None,
        )


def cancel_batch(session: Session, batch: Batch, *, user_id: int | None = None) -> int:
    """Cancel what no worker has claimed yet; returns how many letters were cancelled."""
    now = utcnow()
    count = _set(
        session,
        [Letter.batch_id == batch.id, Letter.status.in_(CLAIMABLE)],
        status=S.CANCELLED.value,
        error="cancelled",
        updated_at=now,
    )
    batch.status = "cancelled"
    batch.cancelled_at = now
    session.flush()
    return count


def retry_failed(session: Session, letter: Letter, *, user_id: int | None) -> None:
    """Queue a failed letter again (same row and Message-ID: it never reached anyone)."""
    if letter.status != S.FAILED.value:
        raise OutboxError(f"letter {letter.id} is {letter.status}, not failed")
    now = utcnow()
    if not _set(
        session,
        [Letter.id == letter.id, Letter.status == S.FAILED.value],
        status=S.QUEUED.value,
        attempts=0,
        next_attempt_at=None,
        enqueued_at=now,
        updated_at=now,
    ):
        raise OutboxError(f"letter {letter.id} changed meanwhile")
    _audit(session, letter, user_id, "letter_retried", {"status": ["failed", "queued"]})
    session.refresh(letter)


def mark_sent(session: Session, letter: Letter, *, user_id: int | None) -> None:
    """Staff confirm an uncertain letter did arrive."""
    if letter.status != S.UNKNOWN.value:
        raise OutboxError(f"letter {letter.id} is {letter.status}, not uncertain")
    record_sent(
        session,
        letter.id,
        "marked as sent by staff",
        municipality_id=letter.municipality_id,
        user_id=user_id,
        now=letter.claimed_at or utcnow(),
    )
    _audit(session, letter, user_id, "letter_marked_sent", {"status": ["unknown", "sent"]})
    session.refresh(letter)


def resend(session: Session, letter: Letter, *, user_id: int | None) -> Letter:
    """Send an uncertain letter again as a new letter: next idempotency key, new Message-ID."""
    if letter.status != S.UNKNOWN.value:
        raise OutboxError(f"letter {letter.id} is {letter.status}, not uncertain")
    if session.scalar(select(Letter.id).where(Letter.resent_from_id == letter.id)):
        raise OutboxError(f"letter {letter.id} was already resent")
    n = session.scalar(
        select(func.count(Letter.id)).where(
            Letter.municipality_id == letter.municipality_id, Letter.letter == letter.letter
        )
    )
    now = utcnow()
    copy = Letter(
        batch_id=letter.batch_id,
        municipality_id=letter.municipality_id,
        contact_id=letter.contact_id,
        to_address=letter.to_address,
        to_name=letter.to_name,
        letter=letter.letter,
        language=letter.language,
        language_reason=letter.language_reason,
        version_id=letter.version_id,
        version=letter.version,
        subject=letter.subject,
        text=letter.text,
        html=letter.html,
        message_id=new_message_id(letter.message_id),
        in_reply_to=letter.in_reply_to,
        idempotency_key=f"{letter.letter}:{letter.municipality_id}:{n}",
        status=S.QUEUED.value,
        enqueued_at=now,
        resent_from_id=letter.id,
    )
    session.add(copy)
    session.flush()
    letter.error = f"{letter.error} (resent as letter {copy.id})".strip()
    _audit(session, letter, user_id, "letter_resent", {"letter": [letter.id, copy.id]})
    session.flush()
    return copy


def new_message_id(like: str | None = None, sender: str = "") -> str:
    """A fresh Message-ID on the sender's domain (or the domain of ``like``)."""
    domain = sender_address(sender).rpartition("@")[2] if sender else ""
    if not domain and like:
        domain = like.strip("<>").rpartition("@")[2]
    return make_msgid(domain=domain or "outreach.invalid")


def _audit(
    session: Session, letter: Letter, user_id: int | None, action: str, changes: dict
) -> None:
    session.add(
        AuditEntry(
            municipality_id=letter.municipality_id,
            user_id=user_id,
            action=action,
            changes={"letter_id": [None, letter.id], **changes},
        )
    )
