"""Storing caught messages and taking them apart for display."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import cast

from sqlalchemy import delete

from outreach.catcher.models import CaughtMessage
from outreach.extensions import Session, updated_rows

#: Shown in the sandboxed frame ahead of a letter's HTML: no scripts, no remote content.
FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not lose the message
        return ""
    if value is None:
        return ""
    return " ".join(str(value).split())


def parse(raw: bytes) -> EmailMessage:
    """The message as an :class:`email.message.EmailMessage` (modern policy)."""
    return email.message_from_bytes(raw, policy=email.policy.default)


def store(session: Session, mail_from: str, rcpt_tos: Iterable[str], raw: bytes) -> CaughtMessage:
    """Record one message as received; flushes, the caller commits."""
    message = parse(raw)
    caught = CaughtMessage(
        mail_from=(mail_from or "")[:320],
        rcpt_to=", ".join(rcpt_tos),
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID")[:998],
        raw=raw,
        size=len(raw),
    )
    session.add(caught)
    session.flush()
    return caught


def delete_all(session: Session) -> int:
    """Forget every caught message; returns how many there were."""
    return updated_rows(session.execute(delete(CaughtMessage)))


def _decoded(part: Message) -> str:
    try:
        return str(cast(EmailMessage, part).get_content())
    except Exception:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        return str(payload or "")


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass
class View:
    """What the message page shows."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def view(raw: bytes) -> View:
    message = parse(raw)
    result = View()
    for name in message.keys():  # noqa: SIM118 (Message is not a dict)
        result.headers.append((name, _header(message, name)))
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    if text_part is not None:
        result.text = _decoded(text_part)
    if html_part is not None:
        result.html = _decoded(html_part)
    if text_part is None and html_part is None and not message.is_multipart():
        result.text = _decoded(message)
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        result.attachments.append(
            Attachment(
                filename=part.get_filename() or "",
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return result


def framed_html(html: str) -> str:
    """The letter's HTML with a Content-Security-Policy that forbids scripts and remote loads."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{FRAME_CSP}">'
    return meta + html
