"""Why a change to a candidate is refused: a move the pipeline does not allow, or another
person who changed the candidate first (the second of two people acting at once is told who
came first and when, instead of overwriting their work)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from outreach.extensions import Session
from outreach.pipeline import stages
from outreach.pipeline.models import AuditEntry, Contact, Municipality, StageChange
from outreach.pipeline.stages import Stage

Record = TypeVar("Record", StageChange, AuditEntry)


class MoveError(ValueError):
    """A stage move that the pipeline does not allow, with the reason for staff."""


class MoveConflict(MoveError):
    """Someone else moved the candidate after the person saw it: where to, by whom, when."""

    def __init__(self, name: str, stage: str, by: str | None, at: datetime | None) -> None:
        self.stage, self.by, self.at = stage, by, at
        names = {"name": name, "stage": str(stages.LABELS[Stage(stage)]), "when": _when(at)}
        if by:
            message = _(
                "%(name)s was already moved to %(stage)s by %(who)s on %(when)s.", who=by, **names
            )
        else:
            message = _("%(name)s was already moved to %(stage)s on %(when)s.", **names)
        super().__init__(message)


class EditConflict(Exception):
    """Someone else saved the candidate's profile after the person opened it."""

    def __init__(self, name: str, by: str | None, at: datetime | None) -> None:
        self.by, self.at = by, at
        names = {"name": name, "when": _when(at)}
        saved = _(
            "Your changes were not saved: the form now shows the saved profile; "
            "make your changes again."
        )
        if by:
            message = _(
                "%(name)s was changed by %(who)s on %(when)s while you were editing it.",
                who=by,
                **names,
            )
        else:
            message = _("%(name)s was changed on %(when)s while you were editing it.", **names)
        super().__init__(f"{message} {saved}")


def _when(at: datetime | None) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm") if at else "?"


def move_conflict(session: Session, municipality: Municipality) -> MoveConflict:
    """The conflict to raise when ``municipality`` was moved by someone else: its stage now
    and the last stage change."""
    stage = session.scalar(select(Municipality.stage).where(Municipality.id == municipality.id))
    by, at = _last(session, StageChange, municipality.id)
    return MoveConflict(municipality.name, stage or "", by, at)


def edit_conflict(
    session: Session, municipality: Municipality, contact: Contact | None = None
) -> EditConflict:
    """The conflict to raise when ``municipality``'s profile (or its ``contact``) was saved
    by someone else."""
    action = "contact_updated" if contact is not None else "updated"
    by, at = _last(session, AuditEntry, municipality.id, AuditEntry.action == action)
    name = (contact.name or contact.email) if contact is not None else municipality.name
    return EditConflict(name, by, at)


def _last(
    session: Session,
    model: type[Record],
    municipality_id: int,
    *where: ColumnElement[bool],
) -> tuple[str | None, datetime | None]:
    """Who made the newest ``model`` record of a candidate, and when."""
    last = session.scalars(
        select(model)
        .where(model.municipality_id == municipality_id, *where)
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None, None
    return (last.user.display_name if last.user else None), last.created_at
