"""Incoming messages that cannot be read or stored: kept, listed for a person, with the reason.

:func:`intake` is how unattended intake (the mailbox, a saved message) records a message: it
never raises for the message itself. A message that cannot be parsed (empty, no sender, too
large, too many parts) or whose reply cannot be stored (the database refuses a value) is
quarantined instead, in a savepoint of its own, so the rest of the transaction (other replies,
the mailbox position) goes on. A person then downloads it, discards it or retries it.
Every function takes a session, flushes, never commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.replies import parse as p
from outreach.replies import services
from outreach.replies.models import QuarantinedMessage, ReplySource

log = logging.getLogger(__name__)

#: Bytes of a message's start read for the quarantine list (sender, subject, Message-ID).
HEADER_BYTES = 64 * 1024
#: What the database says when it refuses a value (expected: no traceback in the log).
_STORAGE_ERRORS = (SQLAlchemyError, ValueError, UnicodeError)


class QuarantineError(ValueError):
    """An action on a quarantined message that cannot be done; the message says why."""


@dataclass
class Quarantined:
    """A message kept in quarantine (``duplicate``: it was already there)."""

    item: QuarantinedMessage
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"quarantined": self.item.as_dict(), "duplicate": self.duplicate}


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _summary(raw: bytes) -> dict[str, str]:
    """Sender, subject and Message-ID as far as the start of the message tells them."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_BYTES])
    except Exception:  # noqa: BLE001 - a summary is best effort
        return {"sender": "", "subject": "", "message_id": ""}

    def value(name: str) -> str:
        try:
            found = headers.get(name)
        except Exception:  # noqa: BLE001
            return ""
        return " ".join(p.storable(str(found or "")).split())

    return {
        "sender": value("From")[:254],
        "subject": value("Subject")[:1000],
        "message_id": value("Message-ID")[:255],
    }


def quarantine(
    session: Session,
    raw: bytes,
    reason: str,
    *,
    source: str,
    mailbox: str = "",
    uid: int | None = None,
    size: int | None = None,
    complete: bool = True,
) -> Quarantined:
    """Keep ``raw`` with ``reason``; the same message twice is kept once."""
    key = digest(raw)
    existing = session.scalar(select(QuarantinedMessage).where(QuarantinedMessage.digest == key))
    if existing is not None:
        return Quarantined(existing, duplicate=True)
    item = QuarantinedMessage(
        digest=key,
        source=source,
        mailbox=mailbox[:500],
        uid=uid,
        reason=p.storable(reason)[:2000],
        size=len(raw) if size is None else size,
        complete=complete,
        raw=raw,
        received_at=utcnow(),
        **_summary(raw),
    )
    session.add(item)
    session.flush()
    log.warning(
        "quarantined message %s%s: %s",
        f"UID {uid} in {mailbox}" if uid is not None else item.message_id or f"#{item.id}",
        "" if complete else " (header only)",
        item.reason,
    )
    return Quarantined(item)


@contextmanager
def _savepoint(session: Session) -> Iterator[None]:
    """A savepoint inside the current transaction.

    SQLite's Python driver opens a transaction only before a data change, so a SAVEPOINT
    issued first would start (and its release commit) a transaction of its own: open one
    explicitly, so the savepoint nests in the caller's transaction on every database."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN")
    with session.begin_nested():
        yield


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = " ".join(str(original).split())
    return p.storable(f"cannot be stored: {type(original).__name__}: {text}")[:2000]


def intake(
    session: Session,
    raw: bytes,
    *,
    source: str,
    mailbox: str = "",
    uid: int | None = None,
    unreadable: bool = True,
) -> services.Outcome | Quarantined:
    """Record ``raw`` as a reply, or quarantine it with the reason.

    With ``unreadable=False`` (a person holding the file: an upload, ``replies import``) a
    message that cannot be parsed raises :class:`~outreach.replies.parse.ParseError` instead
    of being quarantined; one that cannot be stored is quarantined all the same."""
    try:
        parsed = p.parse(raw)
    except p.ParseError as exc:
        if not unreadable:
            raise
        return quarantine(session, raw, str(exc), source=source, mailbox=mailbox, uid=uid)
    except Exception as exc:  # noqa: BLE001 - whatever one message does, intake goes on
        log.exception("reading an incoming message failed")
        reason = f"unreadable message: {type(exc).__name__}: {exc}"
        return quarantine(session, raw, reason, source=source, mailbox=mailbox, uid=uid)
    try:
        with _savepoint(session):
            return services.receive_parsed(session, parsed, raw, source=source)
    except Exception as exc:  # noqa: BLE001 - whatever one message does, intake goes on
        if isinstance(exc, IntegrityError):
            # Another reader stored the same message at the same moment.
            existing = services.find_by_message_id(session, parsed.message_id)
            if existing is not None:
                return services.Outcome(existing, duplicate=True)
        if not isinstance(exc, _STORAGE_ERRORS):
            log.exception("recording an incoming message failed")
        return quarantine(session, raw, _reason(exc), source=source, mailbox=mailbox, uid=uid)


def list_quarantined(session: Session, *, limit: int = 500) -> list[QuarantinedMessage]:
    return list(
        session.scalars(
            select(QuarantinedMessage)
            .order_by(QuarantinedMessage.received_at.desc(), QuarantinedMessage.id.desc())
            .limit(limit)
        )
    )


def count(session: Session) -> int:
    return int(session.scalar(select(func.count(QuarantinedMessage.id))) or 0)


def get(session: Session, item_id: int) -> QuarantinedMessage:
    item = session.get(QuarantinedMessage, item_id)
    if item is None:
        raise QuarantineError(f"quarantine: no quarantined message with id {item_id}")
    return item


def discard(session: Session, item_id: int) -> None:
    """Delete a quarantined message for good."""
    get(session, item_id)
    session.execute(delete(QuarantinedMessage).where(QuarantinedMessage.id == item_id))
    session.flush()


def retry(session: Session, item_id: int) -> services.Outcome:
    """Receive a quarantined message again (after a fix); it leaves the quarantine when
    recorded. Raises :class:`QuarantineError` with the reason when it still cannot be."""
    item = get(session, item_id)
    if not item.complete:
        raise QuarantineError(
            f"quarantine: message {item_id} was too large to keep whole; "
            "save it from the mail program and upload it"
        )
    raw = item.raw
    try:
        parsed = p.parse(raw)
    except p.ParseError as exc:
        item.reason = str(exc)
        session.flush()
        raise QuarantineError(f"quarantine: {exc}") from exc
    try:
        with _savepoint(session):
            outcome = services.receive_parsed(
                session, parsed, raw, source=item.source or ReplySource.EML.value
            )
    except Exception as exc:  # noqa: BLE001 - the reason is kept and shown
        item.reason = _reason(exc)
        session.flush()
        raise QuarantineError(f"quarantine: {item.reason}") from exc
    session.execute(delete(QuarantinedMessage).where(QuarantinedMessage.id == item_id))
    session.flush()
    return outcome
