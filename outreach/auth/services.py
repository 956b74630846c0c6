"""Staff accounts: the rules for creating users and checking credentials."""

from __future__ import annotations

import hmac

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from outreach.auth.models import Role, User, new_session_token
from outreach.extensions import Session


class UserError(ValueError):
    pass


MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"email: {exc}") from exc


def create_user(
    session: Session, email: str, password: str, role: str, name: str = "", locale: str = ""
) -> User:
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise UserError(
            "role: " + _("unknown role %(role)r (admin, coordinator or viewer)", role=role)
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password: " + _("at least %(n)d characters", n=MIN_PASSWORD_LENGTH))
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise UserError("email: " + _("a user %(email)s already exists", email=email))
    user = User(email=email, role=role, name=name, locale=locale)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def user_for_session(session: Session, cookie_id: str) -> User | None:
    """The active user a session or "remember me" cookie names (``"<id>:<session token>"``),
    or None when the token is no longer the user's: their sessions were ended since."""
    user_id, _sep, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user``, on every device, including "remember me" cookies: the
    cookies they hold name a session token the user no longer has. Called at logout; a
    password change or a deactivation must call it too. Flushes, never commits."""
    user.session_token = new_session_token()
    session.flush()
