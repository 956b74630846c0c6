"""Replies received, where the mailbox reader stopped, bounced addresses, follow-up settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.clock import utcnow
from outreach.extensions import Model
from outreach.mailing.models import Letter
from outreach.pipeline.models import Municipality
from outreach.replies.kinds import ReplyKind


class ReplySource(enum.StrEnum):
    IMAP = "imap"
    EML = "eml"
    MANUAL = "manual"
    CATCHER = "catcher"


class MatchedBy(enum.StrEnum):
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    ADDRESS = "address"
    DOMAIN = "domain"
    MANUAL = "manual"
    ASSIGNED = "assigned"


#: How a reply logged by hand arrived.
CHANNEL_LABELS = {
    "post": _l("Post"),
    "phone": _l("Phone"),
    "meeting": _l("Meeting"),
    "email": _l("E-mail"),
}


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


#: What a reply can change, by code; the parameters fill the placeholders.
EFFECTS = {
    "letter_replied": N_("letter %(letter)s replied"),
    "moved": N_("candidate moved to negotiating"),
    "followups_cancelled": N_("%(num)s pending follow-up(s) cancelled"),
    "letter_bounced": N_("letter %(letter)s bounced"),
    "address_flagged": N_("address %(address)s flagged: needs a new address"),
    "nothing": N_("automatic reply: nothing changed"),
    "unmatched": N_("unmatched: waiting to be assigned"),
    "recorded": N_("recorded"),
}


def describe_effects(effects: list[Any], *, translate: bool = False) -> str:
    parts = []
    for code, params in effects:
        message = EFFECTS.get(code, code)
        parts.append(gettext(message, **params) if translate else message % params)
    return "; ".join(parts)


class Reply(Model):
    """One incoming answer; ``municipality_id`` is empty while it waits unmatched."""

    __tablename__ = "reply"
    __table_args__ = (Index("ix_reply_municipality_received", "municipality_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default=ReplyKind.REPLY.value)
    source: Mapped[str] = mapped_column(String(20), default=ReplySource.IMAP.value)
    #: For replies logged by hand: post, phone, meeting, email.
    channel: Mapped[str] = mapped_column(String(20), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    #: What the sender wrote, without the quoted letter (the timeline shows this).
    reply_text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    matched_by: Mapped[str | None] = mapped_column(String(20))
    #: What the reply changed: ``[code, params]`` pairs, see :data:`EFFECTS`.
    effects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    letter: Mapped[Letter | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ReplyKind(self.kind).label

    @property
    def effect(self) -> str:
        """What the reply changed, in English (the command line, JSON)."""
        return describe_effects(self.effects or [])

    @property
    def effect_label(self) -> str:
        """What the reply changed, in the reader's language (pages)."""
        return describe_effects(self.effects or [], translate=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "kind": self.kind,
            "source": self.source,
            "channel": self.channel,
            "sender": self.sender,
            "subject": self.subject,
            "received_at": self.received_at.isoformat(),
            "municipality_id": self.municipality_id,
            "municipality": self.municipality.name if self.municipality else None,
            "letter_id": self.letter_id,
            "contact_id": self.contact_id,
            "matched_by": self.matched_by,
            "attachments": self.attachments or [],
            "effect": self.effect,
        }


class QuarantinedMessage(Model):
    """An incoming message that could not be read or stored, kept for a person to look at.

    ``raw`` is the message as received (only its header when ``complete`` is false: a message
    too large to read); ``digest`` recognises the same message arriving again."""

    __tablename__ = "quarantined_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default=ReplySource.IMAP.value)
    mailbox: Mapped[str] = mapped_column(String(500), default="")
    uid: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(default=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "mailbox": self.mailbox,
            "uid": self.uid,
            "reason": self.reason,
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "size": self.size,
            "complete": self.complete,
            "received_at": self.received_at.isoformat(),
        }


class MailboxState(Model):
    """Where reading a mailbox folder stopped: the folder's UIDVALIDITY and the last UID read."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_at: Mapped[datetime | None]


class BouncedAddress(Model):
    """An address a letter could not be delivered to: the candidate needs a new one."""

    __tablename__ = "bounced_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id", ondelete="SET NULL"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("reply.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpSettings(Model):
    """When to remind a silent council: one row per letter kind that earns follow-ups."""

    __tablename__ = "followup_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter: Mapped[str] = mapped_column(String(40), unique=True)
    days: Mapped[int] = mapped_column(default=14)
    max_per_candidate: Mapped[int] = mapped_column(default=2)
    automatic: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
