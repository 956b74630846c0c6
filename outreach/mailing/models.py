"""The outbox: batches and one row per letter, the single truth about what was sent."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.auth.models import User
from outreach.clock import utcnow
from outreach.extensions import Model
from outreach.pipeline.models import Municipality


class LetterStatus(enum.StrEnum):
    """Where a letter stands; the one list of outbox states.

    draft → queued → sending → sent → (replied | bounced); sending → retry_wait → sending …;
    sending → failed (5xx, bad header, attempts exhausted); sending → unknown (the claim ran out
    mid-send: a person decides); queued | retry_wait → cancelled.
    """

    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    REPLIED = "replied"
    BOUNCED = "bounced"


#: States a worker may claim from.
CLAIMABLE = (LetterStatus.QUEUED.value, LetterStatus.RETRY_WAIT.value)
#: States in which the letter may still go out (or may have gone out).
PENDING = (
    LetterStatus.QUEUED.value,
    LetterStatus.SENDING.value,
    LetterStatus.RETRY_WAIT.value,
    LetterStatus.UNKNOWN.value,
)
#: States in which the recipient has the letter.
DELIVERED = (LetterStatus.SENT.value, LetterStatus.REPLIED.value, LetterStatus.BOUNCED.value)
#: States that will not change without a person.
FINISHED = (
    LetterStatus.SENT.value,
    LetterStatus.FAILED.value,
    LetterStatus.UNKNOWN.value,
    LetterStatus.CANCELLED.value,
    LetterStatus.REPLIED.value,
    LetterStatus.BOUNCED.value,
)

STATUS_LABELS = {
    LetterStatus.DRAFT: _l("Draft"),
    LetterStatus.QUEUED: _l("Queued"),
    LetterStatus.SENDING: _l("Sending"),
    LetterStatus.SENT: _l("Sent"),
    LetterStatus.RETRY_WAIT: _l("Waiting to retry"),
    LetterStatus.FAILED: _l("Failed"),
    LetterStatus.UNKNOWN: _l("Uncertain"),
    LetterStatus.CANCELLED: _l("Cancelled"),
    LetterStatus.REPLIED: _l("Replied"),
    LetterStatus.BOUNCED: _l("Bounced"),
}


class Batch(Model):
    """One confirmed send: a letter kind to the recipients chosen by ``filters``."""

    __tablename__ = "mail_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resend: Mapped[bool] = mapped_column(default=False)
    #: Deduplicates double clicks and concurrent confirms of the same request.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    cancelled_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(lazy="joined")


class Letter(Model):
    """One letter to one council: the rendered snapshot and its delivery state."""

    __tablename__ = "letter"
    __table_args__ = (
        Index("ix_letter_status_next", "status", "next_attempt_at"),
        Index("ix_letter_status_claimed", "status", "claimed_at"),
        Index("ix_letter_batch_status", "batch_id", "status"),
        Index("ix_letter_municipality_kind", "municipality_id", "letter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("mail_batch.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    letter: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    language_reason: Mapped[str] = mapped_column(String(200), default="")
    version_id: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=0)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    #: Follow-ups: the Message-ID of the first letter, so that they join its thread.
    in_reply_to: Mapped[str] = mapped_column(String(255), default="")
    #: ``letter:municipality:n``; n counts explicit resends, so a kind goes to a council once.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=LetterStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    #: When the letter was last handed to the queue (the sweeper re-enqueues stale ones).
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    smtp_response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    resent_from_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    batch: Mapped[Batch] = relationship()
    municipality: Mapped[Municipality] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[LetterStatus(self.status)])
