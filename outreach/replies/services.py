"""Rules for replies: match an incoming message to its letter and candidate, and apply its effect.

A real reply marks its letter replied, moves the candidate from letter_sent to negotiating
and cancels the follow-ups still waiting to go out. An automatic reply is recorded and changes
nothing. A delivery-status notification marks the letter bounced and flags the address.
Every function takes a session, flushes, never commits.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from outreach.clock import utcnow
from outreach.extensions import Session, updated_rows
from outreach.letters.kinds import LetterKind
from outreach.mailing.models import CLAIMABLE, DELIVERED, Letter, LetterStatus
from outreach.pipeline import services as pipeline
from outreach.pipeline.models import Contact, Municipality
from outreach.pipeline.stages import Stage
from outreach.replies import parse as p
from outreach.replies.kinds import ReplyKind
from outreach.replies.models import BouncedAddress, MatchedBy, Reply, ReplySource, describe_effects

log = logging.getLogger(__name__)

#: Domains shared by many unrelated senders: never used to match by domain.
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "wp.pl",
        "o2.pl",
        "onet.pl",
        "interia.pl",
        "libero.it",
        "virgilio.it",
        "inbox.lv",
        "inbox.lt",
        "orange.fr",
        "free.fr",
        "ukr.net",
        "i.ua",
        "meta.ua",
    }
)


class ReplyError(ValueError):
    """An action on a reply that cannot be done; the message says why."""


@dataclass
class Match:
    municipality_id: int | None = None
    letter_id: int | None = None
    contact_id: int | None = None
    matched_by: str | None = None


@dataclass
class Outcome:
    """What receiving one message did."""

    reply: Reply
    duplicate: bool = False

    @property
    def effects(self) -> list[str]:
        """What this receipt changed, in English (nothing for a duplicate)."""
        if self.duplicate:
            return []
        return [describe_effects([effect]) for effect in self.reply.effects or []]

    def as_dict(self) -> dict[str, Any]:
        return {
            "duplicate": self.duplicate,
            "matched": self.reply.municipality_id is not None,
            "effects": self.effects,
            "reply": self.reply.as_dict(),
        }


# --- matching -------------------------------------------------------------------------------


def _letter_by_message_id(session: Session, message_id: str) -> Letter | None:
    if not message_id:
        return None
    bare = message_id.strip("<>")
    return session.scalar(select(Letter).where(Letter.message_id.in_((message_id, bare))))


def latest_letter(session: Session, municipality_id: int, address: str = "") -> Letter | None:
    """The most recent letter the council received (to ``address`` when given)."""
    query = select(Letter).where(
        Letter.municipality_id == municipality_id, Letter.status.in_(DELIVERED)
    )
    if address:
        query = query.where(func.lower(Letter.to_address) == address.lower())
    return session.scalar(query.order_by(Letter.sent_at.desc(), Letter.id.desc()).limit(1))


def _one(candidates: list[tuple[int, int | None]], session: Session) -> tuple[int, int | None]:
    """Among several (municipality, contact) pairs, the one waiting for an answer, if unique."""
    ids = {m for m, _ in candidates}
    if len(ids) == 1:
        return candidates[0]
    waiting = set(
        session.scalars(
            select(Municipality.id).where(
                Municipality.id.in_(ids), Municipality.stage == Stage.LETTER_SENT.value
            )
        )
    )
    chosen = [pair for pair in candidates if pair[0] in waiting]
    if len({m for m, _ in chosen}) == 1:
        return chosen[0]
    return (0, None)


def _host(website: str) -> str:
    if not website:
        return ""
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.lower().removeprefix("www.")


def match_address(session: Session, sender: str) -> Match:
    """Match a sender to a contact by address, then by domain to a contact or website."""
    sender = sender.lower()
    rows = session.execute(
        select(Contact.municipality_id, Contact.id).where(func.lower(Contact.email) == sender)
    ).all()
    if rows:
        municipality_id, contact_id = _one([(m, c) for m, c in rows], session)
        if municipality_id:
            return Match(municipality_id, None, contact_id, MatchedBy.ADDRESS.value)
        return Match()
    domain = sender.rpartition("@")[2]
    if not domain or domain in PUBLIC_DOMAINS:
        return Match()
    found: list[tuple[int, int | None]] = [
        (m, None)
        for (m,) in session.execute(
            select(Contact.municipality_id).where(func.lower(Contact.email).like(f"%@{domain}"))
        )
    ]
    for m_id, website in session.execute(
        select(Municipality.id, Municipality.website).where(
            func.lower(Municipality.website).like(f"%{domain}%")
        )
    ):
        host = _host(website)
        if host == domain or host.endswith("." + domain) or domain.endswith("." + host):
            found.append((m_id, None))
    if found:
        municipality_id, _ = _one(found, session)
        if municipality_id:
            return Match(municipality_id, None, None, MatchedBy.DOMAIN.value)
    return Match()


def match(session: Session, parsed: p.Parsed) -> Match:
    """In-Reply-To, then References, then the sender's address, then its domain."""
    if parsed.kind == ReplyKind.BOUNCE and parsed.bounce is not None:
        letter = _letter_by_message_id(session, parsed.bounce.original_message_id)
        how = MatchedBy.REFERENCES.value
        if letter is None and parsed.bounce.recipient:
            letter = session.scalar(
                select(Letter)
                .where(
                    func.lower(Letter.to_address) == parsed.bounce.recipient,
                    Letter.status.in_(DELIVERED),
                )
                .order_by(Letter.sent_at.desc(), Letter.id.desc())
                .limit(1)
            )
            how = MatchedBy.ADDRESS.value
        if letter is not None:
            return Match(letter.municipality_id, letter.id, letter.contact_id, how)
        return Match()
    letter = _letter_by_message_id(session, parsed.in_reply_to)
    if letter is not None:
        return Match(letter.municipality_id, letter.id, letter.contact_id, "in_reply_to")
    for reference in reversed(parsed.references):
        letter = _letter_by_message_id(session, reference)
        if letter is not None:
            return Match(
                letter.municipality_id, letter.id, letter.contact_id, MatchedBy.REFERENCES.value
            )
    found = match_address(session, parsed.sender)
    if found.municipality_id:
        letter = latest_letter(session, found.municipality_id)
        found.letter_id = letter.id if letter else None
    return found


# --- effects --------------------------------------------------------------------------------


def cancel_followups(session: Session, municipality_id: int) -> int:
    """Cancel follow-ups for the council that no worker has claimed yet."""
    result = session.execute(
        update(Letter)
        .where(
            Letter.municipality_id == municipality_id,
            Letter.letter.in_([kind.value for kind in LetterKind if kind.is_follow_up]),
            Letter.status.in_(CLAIMABLE),
        )
        .values(status=LetterStatus.CANCELLED.value, error="reply received", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return updated_rows(result)


def _set_letter_status(
    session: Session, letter_id: int, target: str, from_: tuple[str, ...]
) -> bool:
    result = session.execute(
        update(Letter)
        .where(Letter.id == letter_id, Letter.status.in_(from_))
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return updated_rows(result) > 0


Effect = list[Any]  # [code, params], see outreach.replies.models.EFFECTS


def apply_effects(session: Session, reply: Reply, *, user_id: int | None = None) -> list[Effect]:
    """Do what ``reply`` means for its letter and candidate; returns what changed."""
    effects: list[Effect] = []
    if reply.municipality_id is None:
        return effects
    if ReplyKind(reply.kind).is_answer:
        sent = (LetterStatus.SENT.value, LetterStatus.UNKNOWN.value)
        if reply.letter_id and _set_letter_status(
            session, reply.letter_id, LetterStatus.REPLIED.value, sent
        ):
            effects.append(["letter_replied", {"letter": reply.letter_id}])
        municipality = session.get(Municipality, reply.municipality_id)
        if municipality is not None and municipality.stage == Stage.LETTER_SENT.value:
            pipeline.move(
                session,
                municipality,
                Stage.NEGOTIATING.value,
                user_id=user_id,
                note="reply received",
            )
            effects.append(["moved", {}])
        cancelled = cancel_followups(session, reply.municipality_id)
        if cancelled:
            effects.append(["followups_cancelled", {"num": cancelled}])
    elif reply.kind == ReplyKind.BOUNCE.value:
        letter = session.get(Letter, reply.letter_id) if reply.letter_id else None
        if letter is not None and _set_letter_status(
            session,
            letter.id,
            LetterStatus.BOUNCED.value,
            (LetterStatus.SENT.value, LetterStatus.UNKNOWN.value),
        ):
            effects.append(["letter_bounced", {"letter": letter.id}])
        address = (letter.to_address if letter else "") or reply.sender
        session.add(
            BouncedAddress(
                email=address.lower(),
                municipality_id=reply.municipality_id,
                letter_id=letter.id if letter else None,
                reply_id=reply.id,
                reason=reply.text[:1000],
                at=reply.received_at,
            )
        )
        effects.append(["address_flagged", {"address": address}])
    else:
        effects.append(["nothing", {}])
    session.flush()
    return effects


# --- receiving ------------------------------------------------------------------------------


def find_by_message_id(session: Session, message_id: str) -> Reply | None:
    return session.scalar(select(Reply).where(Reply.message_id == message_id))


def receive(
    session: Session, raw: bytes, *, source: str = ReplySource.EML.value, keep_raw: bool = True
) -> Outcome:
    """Record one incoming message and apply its effect; a second copy changes nothing.

    Raises :class:`outreach.replies.parse.ParseError` when the message cannot be read.
    Unattended intake goes through :func:`outreach.replies.quarantine.intake`, which keeps
    what cannot be read or stored instead of raising.
    """
    parsed = p.parse(raw)
    return receive_parsed(session, parsed, raw if keep_raw else None, source=source)


def receive_parsed(
    session: Session, parsed: p.Parsed, raw: bytes | None, *, source: str
) -> Outcome:
    existing = find_by_message_id(session, parsed.message_id)
    if existing is not None:
        return Outcome(existing, duplicate=True)
    found = match(session, parsed)
    text = parsed.text
    if parsed.kind == ReplyKind.BOUNCE and parsed.bounce is not None:
        text = parsed.bounce.reason or text
    reply = Reply(
        message_id=parsed.message_id,
        letter_id=found.letter_id,
        municipality_id=found.municipality_id,
        contact_id=found.contact_id,
        kind=parsed.kind,
        source=source,
        sender=(
            parsed.bounce.recipient
            if parsed.kind == ReplyKind.BOUNCE and parsed.bounce and parsed.bounce.recipient
            else parsed.sender
        )[:254],
        sender_name=parsed.sender_name[:200],
        subject=parsed.subject,
        text=text,
        reply_text=parsed.reply_text or text,
        received_at=parsed.date or utcnow(),
        attachments=parsed.attachments,
        matched_by=found.matched_by,
        raw=raw,
    )
    session.add(reply)
    session.flush()
    reply.effects = apply_effects(session, reply) or [["unmatched", {}]]
    session.flush()
    return Outcome(reply)


def assign(
    session: Session, reply_id: int, municipality_id: int, *, user_id: int | None
) -> Outcome:
    """Staff attach an unmatched reply to a candidate; its effect then applies."""
    reply = session.get(Reply, reply_id)
    if reply is None:
        raise ReplyError(f"reply: no reply with id {reply_id}")
    if reply.municipality_id is not None:
        raise ReplyError(f"reply: reply {reply_id} is already matched")
    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise ReplyError(f"candidate: no candidate with id {municipality_id}")
    letter = latest_letter(session, municipality_id)
    reply.municipality_id = municipality_id
    reply.letter_id = letter.id if letter else None
    reply.matched_by = MatchedBy.ASSIGNED.value
    reply.user_id = user_id
    session.flush()
    reply.effects = apply_effects(session, reply, user_id=user_id) or [["recorded", {}]]
    session.flush()
    return Outcome(reply)


def log_manual(
    session: Session,
    municipality_id: int,
    *,
    received_at: datetime,
    channel: str,
    note: str,
    user_id: int | None,
) -> Outcome:
    """A reply that came by post, phone or a meeting, logged by staff."""
    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise ReplyError(f"candidate: no candidate with id {municipality_id}")
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ReplyError("note: is required")
    letter = latest_letter(session, municipality_id)
    reply = Reply(
        message_id=f"<manual-{uuid.uuid4().hex}@outreach.invalid>",
        letter_id=letter.id if letter else None,
        municipality_id=municipality_id,
        kind=ReplyKind.MANUAL.value,
        source=ReplySource.MANUAL.value,
        channel=channel,
        subject="",
        text=note,
        reply_text=note,
        received_at=received_at,
        attachments=[],
        matched_by=MatchedBy.MANUAL.value,
        user_id=user_id,
    )
    session.add(reply)
    session.flush()
    reply.effects = apply_effects(session, reply, user_id=user_id) or [["recorded", {}]]
    session.flush()
    return Outcome(reply)


# --- queries --------------------------------------------------------------------------------


def list_replies(
    session: Session,
    *,
    unmatched: bool = False,
    municipality_id: int | None = None,
    limit: int = 200,
) -> list[Reply]:
    query = select(Reply)
    if unmatched:
        query = query.where(Reply.municipality_id.is_(None))
    if municipality_id is not None:
        query = query.where(Reply.municipality_id == municipality_id)
    return list(
        session.scalars(query.order_by(Reply.received_at.desc(), Reply.id.desc()).limit(limit))
    )


def needs_new_address(session: Session, municipality_id: int) -> bool:
    """Whether letters to the candidate's current address come back undelivered."""
    return municipality_id in needs_new_address_ids(session, [municipality_id])


def needs_new_address_ids(session: Session, ids: list[int] | None = None) -> set[int]:
    """Candidates whose primary address (or, with no contact, whose only address) bounced."""
    query = select(BouncedAddress.municipality_id, BouncedAddress.email).where(
        BouncedAddress.municipality_id.is_not(None)
    )
    if ids is not None:
        query = query.where(BouncedAddress.municipality_id.in_(ids))
    bounced: dict[int, set[str]] = {}
    for m_id, email in session.execute(query):
        if m_id is not None:
            bounced.setdefault(m_id, set()).add(email.lower())
    if not bounced:
        return set()
    primary: dict[int, str] = {}
    for m_id, email in session.execute(
        select(Contact.municipality_id, Contact.email)
        .where(Contact.municipality_id.in_(list(bounced)))
        .order_by(Contact.is_primary.desc(), Contact.id)
    ):
        primary.setdefault(m_id, email.lower())
    return {
        m_id for m_id, emails in bounced.items() if m_id not in primary or primary[m_id] in emails
    }
