"""The edges that own transactions: reading the mailbox, sending due follow-ups, the periodic
tick the worker schedules. The command line, the pages and the RQ worker call these."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis
from sqlalchemy.exc import IntegrityError

from outreach.clock import utcnow
from outreach.extensions import app_object, db
from outreach.letters import kinds
from outreach.letters.kinds import LetterKind
from outreach.mailing.queueing import confirm
from outreach.queue import get_queue, get_redis
from outreach.replies import followups
from outreach.replies.imap import CHUNK, FetchResult, MailboxConfig, connect, fetch_chunk

log = logging.getLogger(__name__)


def run_fetch(config: MailboxConfig | None = None, *, chunk: int = CHUNK) -> FetchResult:
    """Read every new message, committing after each chunk (the position moves with it)."""
    config = config or MailboxConfig.from_config(current_app.config)
    mailbox = connect(config)
    total = FetchResult()
    conflicts = 0
    try:
        while True:
            try:
                result = fetch_chunk(db.session, mailbox, config, limit=chunk)
                db.session.commit()
            except IntegrityError:
                # Another reader recorded the same messages at the same moment: read again,
                # they are now recognised as duplicates.
                db.session.rollback()
                conflicts += 1
                if conflicts > 3:
                    raise
                continue
            except Exception:
                db.session.rollback()
                raise
            total.extend(result)
            if not result.more:
                break
    finally:
        mailbox.close()
    return total


@dataclass
class SendResult:
    due: list[followups.Due]
    batch_id: int | None = None
    letters: int = 0
    created: bool = False


def send_followups(*, user_id: int | None, only_automatic: bool = False) -> SendResult:
    """Create a batch of follow-ups for everything due, then enqueue it: ``follow_up`` for a
    first follow-up, ``second_follow_up`` (a different text) for the later ones; one batch
    per kind. The batch id returned is the first one's."""
    due = followups.due_followups(db.session, utcnow())
    if only_automatic:
        automatic = followups.automatic_kinds(db.session)
        due = [d for d in due if d.letter in automatic]
    if not due:
        return SendResult(due=[])
    by_kind: dict[LetterKind, list[int]] = {}
    for d in due:
        by_kind.setdefault(kinds.follow_up(d.followups_sent + 1), []).append(d.municipality_id)
    result = SendResult(due=due)
    for kind, ids in by_kind.items():
        confirmed = confirm(db.session, kind, {"ids": ids}, resend=True, user_id=user_id)
        result.batch_id = result.batch_id or confirmed.batch.id
        result.letters += confirmed.letters
        result.created = result.created or confirmed.created
    return result


def tick_job() -> dict[str, Any]:
    """The periodic work: read the mailbox when configured, send automatic follow-ups.

    Schedules the next tick even when this one fails."""
    app = app_object()
    done: dict[str, Any] = {}
    try:
        config = MailboxConfig.from_config(app.config)
        if config.configured:
            result = run_fetch(config)
            done["received"] = len([o for o in result.outcomes if not o.duplicate])
            done["skipped"] = len(result.skipped)
        if followups.automatic_kinds(db.session):
            sent = send_followups(user_id=None, only_automatic=True)
            done["followups"] = sent.letters
        return done
    finally:
        schedule_tick(app, get_redis(app))


def schedule_tick(app: Flask, redis: Redis) -> None:
    """Schedule the next tick at the next whole interval (one job id per slot, so several
    workers scheduling it at once still give one tick)."""
    del redis  # the queue's own connection is used
    with app.app_context():
        every = max(30, int(app.config.get("REPLIES_FETCH_SECONDS", 300)))
        now = utcnow()
        slot = (int(now.replace(tzinfo=UTC).timestamp()) // every + 1) * every
        at = now.replace(microsecond=0) + timedelta(
            seconds=slot - int(now.replace(tzinfo=UTC).timestamp())
        )
        get_queue("default", app).enqueue_at(
            at.replace(tzinfo=UTC), tick_job, job_id=f"replies-tick-{slot}", result_ttl=300
        )
