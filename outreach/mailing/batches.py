"""Choosing recipients for a letter, and recording a confirmed batch with its letters.

:func:`preview` says who would get the letter, in which language, and who is left out and
why. :func:`create_batch` renders every letter and inserts the batch and all its rows in the
caller's transaction (one executemany), so a batch is either complete or absent.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.letters.kinds import LetterKind
from outreach.letters.language_choice import LanguageChoice
from outreach.letters.render import RenderedLetter, Renderer, RenderError
from outreach.mailing.models import DELIVERED, PENDING, Batch, Letter, LetterStatus
from outreach.mailing.outbox import new_message_id
from outreach.mailing.sending import HeaderError, check_address, check_header
from outreach.pipeline.models import Contact, Municipality

REASONS = {
    "do_not_contact": _l("do not contact"),
    "no_address": _l("no valid address"),
    "already_sent": _l("already sent this letter"),
    "pending": _l("this letter is already queued or uncertain"),
    "stage": _l("not in a stage this letter is for"),
    "shared_address": _l("shares an address with another council in this batch"),
    "cannot_render": _l("the letter cannot be written (see why)"),
}

_ADDRESS = re.compile(r"^[^@\s,;<>()\"]+@[^@\s,;<>()\"]+\.[^@\s,;<>()\"]+$")


class BatchError(ValueError):
    """A batch that cannot be created; the message says why, naming the candidate."""


@dataclass(frozen=True)
class Recipient:
    municipality: Municipality
    contact: Contact
    choice: LanguageChoice
    n: int
    letter_kind: LetterKind
    #: The letter as it will be sent (rendered while previewing: what cannot be written is
    #: held back there, never half-sent).
    rendered: RenderedLetter | None = None

    @property
    def language(self) -> str:
        return self.choice.language

    @property
    def idempotency_key(self) -> str:
        return f"{self.letter_kind}:{self.municipality.id}:{self.n}"


@dataclass(frozen=True)
class Exclusion:
    municipality_id: int
    name: str
    country: str
    reason: str
    detail: str = ""

    @property
    def label(self) -> str:
        return str(REASONS[self.reason])


@dataclass
class Preview:
    letter: LetterKind
    resend: bool
    recipients: list[Recipient] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)

    @property
    def per_language(self) -> dict[str, int]:
        return dict(Counter(r.language for r in self.recipients).most_common())

    @property
    def fallbacks(self) -> list[Recipient]:
        return [r for r in self.recipients if r.choice.fallback]

    @property
    def excluded_counts(self) -> dict[str, int]:
        return dict(Counter(e.reason for e in self.excluded))

    def request_key(self) -> str:
        keys = ",".join(sorted(r.idempotency_key for r in self.recipients))
        return hashlib.sha256(f"{self.letter}|{self.resend}|{keys}".encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        return {
            "letter": self.letter,
            "letters": len(self.recipients),
            "languages": self.per_language,
            "fallbacks": [
                {
                    "candidate_id": r.municipality.id,
                    "name": r.municipality.name,
                    "language": r.language,
                    "wanted": r.choice.preferred or "",
                    "reason": r.choice.reason,
                }
                for r in self.fallbacks
            ],
            "excluded": self.excluded_counts,
            "excluded_candidates": [
                {"candidate_id": e.municipality_id, "name": e.name, "reason": e.reason}
                for e in self.excluded
            ],
        }


def parse_ids(value: str | None) -> list[int]:
    """``"1, 2,3"`` → ``[1, 2, 3]``; raises :class:`BatchError` naming the bad part."""
    ids: list[int] = []
    for part in (value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise BatchError("ids: " + _("%(part)r is not a candidate id", part=part))
        ids.append(int(part))
    return ids


def _select(session: Session, filters: dict[str, Any]) -> list[Municipality]:
    query = select(Municipality).options(selectinload(Municipality.contacts))
    if filters.get("ids"):
        query = query.where(Municipality.id.in_(filters["ids"]))
    if filters.get("stage"):
        query = query.where(Municipality.stage.in_(filters["stage"]))
    if filters.get("country"):
        query = query.where(Municipality.country.in_([c.upper() for c in filters["country"]]))
    if filters.get("owner"):
        query = query.where(Municipality.owner_id == int(filters["owner"]))
    found = list(session.scalars(query.order_by(Municipality.id)))
    language, theme = filters.get("language"), filters.get("theme")
    if language:
        found = [
            m
            for m in found
            if language in m.languages
            or (m.primary_contact is not None and m.primary_contact.language == language)
        ]
    if theme:
        found = [m for m in found if theme in m.themes]
    return found


def preview(
    session: Session, letter: LetterKind | str, filters: dict[str, Any], *, resend: bool = False
) -> Preview:
    """Who gets ``letter`` under ``filters`` (stage, country, language, theme, owner, ids)."""
    letter = LetterKind(letter)
    candidates = _select(session, filters)
    found = {m.id for m in candidates}
    missing = [i for i in filters.get("ids") or [] if i not in found]
    if missing:
        raise BatchError(
            "ids: " + _("no candidate with id %(ids)s", ids=", ".join(map(str, missing)))
        )
    history: dict[int, list[str]] = {}
    if candidates:
        rows = session.execute(
            select(Letter.municipality_id, Letter.status).where(Letter.letter == letter)
        )
        for municipality_id, status in rows:
            if municipality_id in found:
                history.setdefault(municipality_id, []).append(status)
    renderer = Renderer(session, letter)
    renderer.prefetch([m.id for m in candidates])
    eligible = {stage.value for stage in letter.stages}
    result = Preview(letter=letter, resend=resend)
    seen_addresses: dict[str, Municipality] = {}
    for m in candidates:

        def out(reason: str, detail: str = "", m: Municipality = m) -> None:
            result.excluded.append(Exclusion(m.id, m.name, m.country, reason, detail))

        contact = m.primary_contact
        past = history.get(m.id, [])
        if m.do_not_contact:
            out("do_not_contact")
        elif m.stage not in eligible:
            out("stage", m.stage)
        elif contact is None or not _ADDRESS.match(contact.email or ""):
            out("no_address", contact.email if contact else "")
        elif any(s in PENDING for s in past):
            out("pending")
        elif not resend and any(s in DELIVERED for s in past):
            out("already_sent")
        elif contact.email.lower() in seen_addresses:
            out("shared_address", seen_addresses[contact.email.lower()].name)
        else:
            seen_addresses[contact.email.lower()] = m
            try:
                choice = renderer.language_for(m, contact)
                rendered = renderer.render(m, contact, language=choice.language)
            except RenderError as exc:
                out("cannot_render", str(exc))
                continue
            result.recipients.append(
                Recipient(
                    municipality=m,
                    contact=contact,
                    choice=choice,
                    n=len(past),
                    letter_kind=letter,
                    rendered=rendered,
                )
            )
    return result


def create_batch(
    session: Session,
    result: Preview,
    *,
    user_id: int | None,
    filters: dict[str, Any],
    sender: str,
    request_key: str | None = None,
) -> Batch:
    """Render every letter, then insert the batch and its letter rows (flushed, not committed).

    Any letter that cannot be rendered stops the whole batch before anything is written.
    A letter whose headers cannot be sent safely is recorded as failed, with the reason.
    """
    if not result.recipients:
        raise BatchError(_("nothing to send: every chosen candidate is excluded"))
    renderer = Renderer(session, result.letter)
    rendered = [
        r.rendered or renderer.render(r.municipality, r.contact, language=r.language)
        for r in result.recipients
    ]
    now = utcnow()
    batch = Batch(
        letter=result.letter,
        created_by=user_id,
        created_at=now,
        filters=filters,
        resend=result.resend,
        request_key=request_key or result.request_key(),
    )
    session.add(batch)
    session.flush()
    rows = []
    for r, text in zip(result.recipients, rendered, strict=True):
        status, error = LetterStatus.QUEUED.value, ""
        try:
            check_address("to", r.contact.email)
            check_header("to name", r.contact.name)
            check_header("subject", text.subject)
        except HeaderError as exc:
            status, error = LetterStatus.FAILED.value, str(exc)
        rows.append(
            {
                "batch_id": batch.id,
                "municipality_id": r.municipality.id,
                "contact_id": r.contact.id,
                "to_address": r.contact.email,
                "to_name": r.contact.name,
                "letter": result.letter,
                "language": text.language,
                "language_reason": r.choice.reason[:200],
                "version_id": text.version_id,
                "version": text.version,
                "subject": text.subject,
                "text": text.text,
                "html": text.html,
                "message_id": new_message_id(sender=sender),
                "in_reply_to": text.in_reply_to,
                "idempotency_key": r.idempotency_key,
                "status": status,
                "attempts": 0,
                "enqueued_at": now,
                "smtp_response": "",
                "error": error,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(Letter), rows)
    return batch


def counts(session: Session, batch_id: int) -> dict[str, int]:
    """Letters of a batch per state (every state present, zero when none)."""
    found = dict(
        session.execute(
            select(Letter.status, func.count(Letter.id))
            .where(Letter.batch_id == batch_id)
            .group_by(Letter.status)
        ).all()
    )
    return {s.value: int(found.get(s.value, 0)) for s in LetterStatus}
