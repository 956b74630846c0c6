"""The kinds of reply: the one list, used by the message reader, the records and the pages."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class ReplyKind(enum.StrEnum):
    #: A person answered.
    REPLY = "reply"
    #: An out-of-office or other automatic answer: recorded, changes nothing.
    AUTO_REPLY = "auto_reply"
    #: A delivery-status notification: the letter did not arrive.
    BOUNCE = "bounce"
    #: An answer that came by post, phone or in a meeting, logged by staff.
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @property
    def is_answer(self) -> bool:
        """Someone at the council answered (by mail or otherwise)."""
        return self in (ReplyKind.REPLY, ReplyKind.MANUAL)


_LABELS = {
    ReplyKind.REPLY: _l("Reply"),
    ReplyKind.AUTO_REPLY: _l("Automatic reply"),
    ReplyKind.BOUNCE: _l("Undelivered"),
    ReplyKind.MANUAL: _l("Logged by hand"),
}
