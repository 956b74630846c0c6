"""Replies on a candidate's timeline."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from outreach.extensions import Session
from outreach.hooks import TimelineEvent
from outreach.replies.models import CHANNEL_LABELS, Reply, ReplyKind

EXCERPT = 600


def _attachments(reply: Reply) -> str:
    names = [
        f"{a.get('filename') or a.get('content_type')} ({a.get('size', 0)} B)"
        for a in reply.attachments or []
    ]
    return _("Attachments: %(names)s", names=", ".join(names)) if names else ""


def replies_timeline(session: Session, municipality_id: int) -> list[TimelineEvent]:
    events = []
    for reply in session.scalars(select(Reply).where(Reply.municipality_id == municipality_id)):
        if reply.kind == ReplyKind.BOUNCE.value:
            title = _("Undelivered to %(address)s: needs a new address", address=reply.sender)
        elif reply.kind == ReplyKind.AUTO_REPLY.value:
            title = _(
                "Automatic reply from %(sender)s: %(subject)s",
                sender=reply.sender,
                subject=reply.subject,
            )
        elif reply.kind == ReplyKind.MANUAL.value:
            channel = CHANNEL_LABELS.get(reply.channel, reply.channel)
            title = _("Reply received (%(channel)s)", channel=channel)
        else:
            title = _(
                "Reply from %(sender)s: %(subject)s", sender=reply.sender, subject=reply.subject
            )
        own = reply.reply_text or reply.text
        text = own if len(own) <= EXCERPT else own[:EXCERPT] + "…"
        body = "\n".join(part for part in (text, _attachments(reply)) if part)
        events.append(
            TimelineEvent(
                at=reply.received_at,
                kind="reply",
                title=title,
                body=body,
                url=url_for("replies.show", reply_id=reply.id),
            )
        )
    return events
