from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.clock import utcnow
from outreach.extensions import Model


class CaughtMessage(Model):
    """A message received by the built-in mail catcher, kept as the raw bytes sent."""

    __tablename__ = "caught_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    mail_from: Mapped[str] = mapped_column(String(320), default="")
    #: The envelope recipients, joined by ", ".
    rcpt_to: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def recipients(self) -> list[str]:
        return [part.strip() for part in self.rcpt_to.split(",") if part.strip()]
