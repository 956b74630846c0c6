"""Handing letters to the RQ ``mail`` queue, always after the rows are committed.

:func:`confirm` is the one place a batch's transaction is owned: the web page and the
command line both call it. Redis being down never loses a batch: the rows are committed
first, and the sweeper hands them to the queue when it is back.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from outreach.extensions import Session
from outreach.mailing import batches, outbox
from outreach.mailing.models import CLAIMABLE, Batch, Letter
from outreach.queue import get_queue

log = logging.getLogger(__name__)


def job_timeout(config: Any) -> int:
    """Long enough for a whole chunk at the socket timeout, plus the rate-limit wait."""
    chunk = int(config.get("MAIL_CHUNK_SIZE", 50))
    timeout = float(config.get("MAIL_TIMEOUT") or 30)
    return int(chunk * timeout * 2 + float(config.get("MAIL_RATE_MAX_WAIT", 60)) + 60)


def enqueue_letters(letter_ids: list[int], *, prefix: str | None = None, delay: float = 0) -> int:
    """Enqueue ``send_chunk`` jobs for ``letter_ids`` in chunks; returns the number of jobs.

    ``prefix`` makes the job ids deterministic (``prefix-0``, ``prefix-1`` ...). Raises
    :class:`redis.exceptions.RedisError` when the queue cannot be reached.
    """
    from outreach.mailing.jobs import send_chunk

    if not letter_ids:
        return 0
    config = current_app.config
    size = max(1, int(config.get("MAIL_CHUNK_SIZE", 50)))
    queue = get_queue("mail")
    timeout = job_timeout(config)
    prefix = prefix or f"mail-{uuid.uuid4().hex[:12]}"
    chunks = [letter_ids[i : i + size] for i in range(0, len(letter_ids), size)]
    if delay > 0:
        for n, chunk in enumerate(chunks):
            queue.enqueue_in(
                timedelta(seconds=delay),
                send_chunk,
                chunk,
                job_id=f"{prefix}-{n}",
                job_timeout=timeout,
                result_ttl=600,
            )
        return len(chunks)
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(
            [
                queue.prepare_data(
                    send_chunk,
                    args=(chunk,),
                    job_id=f"{prefix}-{n}",
                    timeout=timeout,
                    result_ttl=600,
                )
                for n, chunk in enumerate(chunks)
            ],
            pipeline=pipe,
        )
        pipe.execute()
    return len(chunks)


@dataclass
class Confirmed:
    batch: Batch
    created: bool
    letters: int
    queued: bool
    preview: batches.Preview | None = None


def confirm(
    session: Session,
    letter: str,
    filters: dict[str, Any],
    *,
    resend: bool,
    user_id: int | None,
    token: str | None = None,
) -> Confirmed:
    """Create a batch (commit), then enqueue it. Identical confirms give one batch.

    ``token`` is the one-time token of a confirm form; without it, the request is identified
    by the letter, the recipients' idempotency keys and the resend flag. Raises
    :class:`batches.BatchError` (nothing created) or the letters' ``RenderError``.
    """
    token_key = f"token:{token}"[:64] if token else None
    tried: str | None = None
    for attempt in range(3):
        for key in {token_key, tried} - {None}:
            existing = session.scalar(select(Batch).where(Batch.request_key == key))
            if existing is not None:
                return Confirmed(existing, False, _letter_count(session, existing.id), True)
        result = batches.preview(session, letter, filters, resend=resend)
        tried = token_key or result.request_key()
        try:
            batch = batches.create_batch(
                session,
                result,
                user_id=user_id,
                filters=filters,
                sender=current_app.config["MAIL_DEFAULT_SENDER"],
                request_key=tried,
            )
            session.commit()
        except (IntegrityError, OperationalError):
            # Someone confirmed the same letters at the same moment: look again.
            session.rollback()
            if attempt == 2:
                raise
            continue
        except Exception:
            session.rollback()
            raise
        break
    ids = list(
        session.scalars(
            select(Letter.id)
            .where(Letter.batch_id == batch.id, Letter.status.in_(CLAIMABLE))
            .order_by(Letter.id)
        )
    )
    queued = hand_over(session, ids, prefix=f"mail-batch-{batch.id}")
    return Confirmed(batch, True, len(result.recipients), queued, result)


def hand_over(session: Session, letter_ids: list[int], *, prefix: str | None = None) -> bool:
    """Enqueue committed letters; if Redis is unreachable, leave them for the sweeper."""
    try:
        enqueue_letters(letter_ids, prefix=prefix)
        return True
    except RedisError as exc:
        log.warning(
            "mail queue unreachable, %d letters wait for the sweeper: %s", len(letter_ids), exc
        )
        outbox.mark_unqueued(session, letter_ids)
        session.commit()
        return False


def _letter_count(session: Session, batch_id: int) -> int:
    return sum(batches.counts(session, batch_id).values())


def run_sweep(session: Session, now: Any = None) -> outbox.SweepResult:
    """Sweep, commit, and hand the due letters to the queue."""
    config = current_app.config
    result = outbox.sweep(
        session,
        now,
        lease_seconds=float(config["MAIL_LEASE_SECONDS"]),
        requeue_seconds=float(config["MAIL_REQUEUE_SECONDS"]),
    )
    session.commit()
    if result.due:
        hand_over(session, result.due)
    return result
