from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.clock import utcnow
from outreach.extensions import Model


class Role(enum.StrEnum):
    """What a staff member may do; each role includes the ones below it."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "coordinator": 1, "admin": 2}[self.value]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER.value)
    #: An interface language once the user chooses; empty: follow the browser's languages.
    locale: Mapped[str] = mapped_column(String(5), default="")
    active: Mapped[bool] = mapped_column(default=True)
    #: Carried by every session and "remember me" cookie; replacing it ends them all.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def get_id(self) -> str:
        """What the session cookie (and a "remember me" cookie) stores: the id and the
        session token, checked on every request by :func:`services.user_for_session`."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role | str) -> bool:
        return Role(self.role).rank >= Role(role).rank

    @property
    def display_name(self) -> str:
        return self.name or self.email
