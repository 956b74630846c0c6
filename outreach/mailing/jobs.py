"""RQ jobs of the ``mail`` queue. They take ids, run in the worker's app context, and raise
instead of swallowing errors; the rules live in :mod:`outreach.mailing.outbox`."""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.clock import utcnow
from outreach.extensions import app_object, db
from outreach.mailing import outbox
from outreach.mailing.models import Batch, Letter
from outreach.mailing.ratelimit import RateLimit
from outreach.mailing.sending import Mailer, format_sender, letter_message, sender_address
from outreach.queue import get_queue, get_redis

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]  # the write turn is then a no-op

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=60)


def _load(session: Session, letter_ids: list[int]) -> dict[int, Any]:
    rows = session.execute(
        select(
            Letter.id,
            Letter.to_address,
            Letter.to_name,
            Letter.subject,
            Letter.text,
            Letter.html,
            Letter.message_id,
            Letter.in_reply_to,
            Letter.language,
            Letter.municipality_id,
            Batch.created_by,
        )
        .join(Batch, Batch.id == Letter.batch_id)
        .where(Letter.id.in_(letter_ids))
    )
    return {row.id: row for row in rows}


def send_chunk(letter_ids: list[int]) -> dict[str, int]:
    """Send the letters this job can claim, over one SMTP connection.

    Each letter is claimed (committed) before it is sent, and its outcome is committed right
    after the server's reply: in the same commit as the claim of the next letter, before that
    one is sent (or on its own when nothing follows, or before any wait). A crash between the
    reply and that commit leaves the letter ``sending``, which the sweeper turns into
    ``unknown``: never a second copy. When the shared rate limit would make the job wait longer than
    ``MAIL_RATE_MAX_WAIT``, the rest are held back and rescheduled for when the window frees.
    """
    with db.engine.connect() as connection:
        # One connection for the whole chunk: the per-letter commits do not hand it back to
        # the pool and take it out again.
        session = Session(bind=connection, expire_on_commit=False)
        try:
            return _send(session, letter_ids)
        finally:
            session.close()


def _send(session: Session, letter_ids: list[int]) -> dict[str, int]:
    config = current_app.config
    rows = _load(session, letter_ids)
    session.commit()
    sender = format_sender(config["MAIL_DEFAULT_SENDER"])
    envelope_from = sender_address(config["MAIL_DEFAULT_SENDER"])
    reply_to = config.get("MAIL_REPLY_TO") or ""
    limit = RateLimit.from_config(get_redis(), config)
    budget = float(config.get("MAIL_RATE_MAX_WAIT", 60))
    mailer = Mailer(config)
    turn = write_turn(session)
    tally: dict[str, int] = defaultdict(int)
    retries: dict[datetime, list[int]] = defaultdict(list)
    try:
        for index, letter_id in enumerate(letter_ids):
            row = rows.get(letter_id)
            if row is None:
                tally["missing"] += 1
                continue
            token = ""
            if limit.enabled:
                while True:
                    wait, token = limit.acquire()
                    if not wait:
                        break
                    turn.commit()
                    if wait > budget:
                        _hold(letter_ids[index:], wait)
                        tally["held"] += len(letter_ids) - index
                        return dict(tally)
                    budget -= wait
                    time.sleep(wait)
            turn.begin()
            attempts = outbox.claim(session, letter_id)
            turn.commit()
            if attempts is None:
                limit.release(token)
                tally["skipped"] += 1
                continue
            message = letter_message(row, sender=sender, reply_to=reply_to)
            outcome = mailer.send(envelope_from, row.to_address, message)
            turn.begin()
            if outcome.kind == "sent":
                outbox.record_sent(
                    session,
                    letter_id,
                    outcome.response,
                    municipality_id=row.municipality_id,
                    user_id=row.created_by,
                )
            elif outcome.kind == "retry":
                due = outbox.record_transient(
                    session, letter_id, outcome.response, attempts=attempts, config=config
                )
                if due is not None:
                    retries[due].append(letter_id)
            elif outcome.kind == "failed":
                outbox.record_failed(session, letter_id, outcome.response)
            else:
                outbox.record_unknown(session, letter_id, outcome.response)
            tally[outcome.kind] += 1
            log.log(
                logging.INFO if outcome.kind in ("sent", "retry") else logging.WARNING,
                "letter %s %s: %s",
                letter_id,
                outcome.kind,
                outcome.response,
            )
        turn.commit()
    finally:
        turn.release()
        mailer.close()
    _schedule_retries(retries)
    return dict(tally)


class WriteTurn:
    """Takes turns with the other workers' write transactions on one SQLite file.

    SQLite lets one writer at a time in, and a writer that finds the file busy sleeps
    (1, 2, 5, 10 ms ...) before it looks again, much longer than a letter's transaction
    takes. Workers on the same file therefore queue on an exclusive lock on a file beside it,
    which wakes the next one the moment it is released. Other writers (the web app, the
    sweeper) still rely on SQLite's busy timeout. On other databases this does nothing.
    """

    def __init__(self, session: Any, fd: int | None) -> None:
        self.session = session
        self.fd = fd
        self.held = False

    def begin(self) -> None:
        """Call before the first write of a transaction (again is harmless)."""
        if self.fd is not None and not self.held:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            self.held = True

    def commit(self) -> None:
        self.session.commit()
        self.release()

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)  # type: ignore[arg-type]  # held implies a file


_turn_files: dict[str, int] = {}


def write_turn(session: Any) -> WriteTurn:
    url = session.get_bind().engine.url
    path = url.database if url.get_backend_name() == "sqlite" else None
    if fcntl is None or not path or path == ":memory:" or path.startswith("file:"):
        return WriteTurn(session, None)
    lock_path = os.path.abspath(path) + ".write-turn"
    fd = _turn_files.get(lock_path)
    if fd is None:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        _turn_files[lock_path] = fd
    return WriteTurn(session, fd)


def _hold(letter_ids: list[int], wait: float) -> None:
    from outreach.mailing.queueing import enqueue_letters

    until = utcnow() + timedelta(seconds=wait)
    outbox.defer(db.session, letter_ids, until)
    db.session.commit()
    enqueue_letters(letter_ids, delay=wait + 0.5)


def _schedule_retries(retries: dict[datetime, list[int]]) -> None:
    from outreach.mailing.queueing import enqueue_letters

    now = utcnow()
    for due, ids in sorted(retries.items()):
        enqueue_letters(ids, delay=max(0.0, (due - now).total_seconds()))


def sweep_job() -> dict[str, int]:
    """The periodic sweep; schedules the next one even when this one fails."""
    from outreach.mailing.queueing import run_sweep

    try:
        result = run_sweep(db.session)
        return {"expired": result.expired, "requeued": len(result.due)}
    finally:
        schedule_sweep(app_object(), get_redis())


def schedule_sweep(app: Flask, redis: Redis) -> None:
    """Schedule the next sweep on the next whole minute (one job id per minute, so several
    workers scheduling it at once still give one sweep)."""
    with app.app_context():
        at = utcnow() + SWEEP_EVERY
        minute = at.replace(second=0, microsecond=0)
        get_queue("mail", app).enqueue_at(
            minute.replace(tzinfo=UTC),
            sweep_job,
            job_id=f"mail-sweep-{minute:%Y%m%d%H%M}",
            result_ttl=300,
        )
