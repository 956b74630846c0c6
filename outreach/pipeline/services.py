"""Rules for candidates: creating, editing, moving through the pipeline, contacts and notes.

Every function takes a SQLAlchemy session and plain values, flushes but never commits:
the caller (a route, a CLI command, a job) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, Table, Text, bindparam, select
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.pipeline import duplicates, stages
from outreach.pipeline import validation as v
from outreach.pipeline.errors import MoveError, edit_conflict, move_conflict
from outreach.pipeline.models import AuditEntry, Contact, Municipality, Note, StageChange
from outreach.pipeline.stages import Stage
from outreach.sql import Prepared

#: Candidate fields staff can edit, in form order.
CANDIDATE_FIELDS = (
    "name",
    "name_local",
    "country",
    "region",
    "region_local",
    "population",
    "website",
    "languages",
    "themes",
    "source",
    "notes",
    "do_not_contact",
    "owner_id",
    "latitude",
    "longitude",
    "gazetteer_id",
)


@dataclass
class Invalid(ValueError):
    """Several field errors at once: ``errors`` maps a field to its message."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {m}" for k, m in self.errors.items())


@dataclass
class Duplicate(Invalid):
    """The candidate is already in the pipeline, as ``existing_id``."""

    existing_id: int = 0


def clean_candidate(data: dict[str, Any]) -> dict[str, Any]:
    """Validate candidate fields present in ``data``; raise :class:`Invalid` with every error."""
    cleaners: dict[str, Callable[[Any], Any]] = {
        "name": lambda x: v.clean_text("name", x, required=True),
        "name_local": lambda x: v.clean_text("name_local", x),
        "country": v.clean_country,
        "region": lambda x: v.clean_text("region", x),
        "region_local": lambda x: v.clean_text("region_local", x),
        "population": v.clean_population,
        "website": v.clean_website,
        "languages": v.clean_languages,
        "themes": v.clean_themes,
        "source": lambda x: v.clean_text("source", x, max_len=50) or "manual",
        "notes": lambda x: (x or "").replace("\x00", "").strip(),
        "do_not_contact": bool,
        "owner_id": lambda x: int(x) if x not in (None, "", 0, "0") else None,
        "latitude": lambda x: v.clean_coordinate("latitude", x, 90),
        "longitude": lambda x: v.clean_coordinate("longitude", x, 180),
        "gazetteer_id": v.clean_gazetteer_id,
    }
    return clean_fields({k: data[k] for k in CANDIDATE_FIELDS if k in data}, cleaners)


def clean_fields(data: dict[str, Any], cleaners: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """Run each field's cleaner on its value in ``data``; raise :class:`Invalid` naming every
    field that failed (by the field its :class:`~validation.FieldError` names)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in data.items():
        try:
            clean[name] = cleaners[name](value)
        except v.FieldError as exc:
            errors[exc.field] = exc.message
    if errors:
        raise Invalid(errors)
    return clean


def _audit(
    session: Session, municipality: Municipality, user_id: int | None, action: str, changes: dict
) -> None:
    session.add(
        AuditEntry(municipality_id=municipality.id, user_id=user_id, action=action, changes=changes)
    )


def find_duplicate(session: Session, name: str, country: str) -> Municipality | None:
    return session.scalar(
        select(Municipality).where(Municipality.name == name, Municipality.country == country)
    )


def check_not_duplicate(session: Session, clean: dict[str, Any]) -> None:
    """Raise :class:`Duplicate` when the pipeline already holds this place (see
    :mod:`outreach.pipeline.duplicates`)."""
    place = duplicates.Place(
        clean["name"],
        clean["country"],
        clean.get("latitude"),
        clean.get("longitude"),
        clean.get("gazetteer_id"),
    )
    existing = duplicates.find_existing(session, place)
    if existing is None:
        return
    names = {"name": clean["name"], "country": clean["country"]}
    if (existing.name, existing.country) == (clean["name"], clean["country"]):
        message = _("%(name)s (%(country)s) already exists", **names)
    else:
        message = _(
            "%(name)s (%(country)s) is already in the pipeline as %(existing)s",
            existing=existing.name,
            **names,
        )
    raise Duplicate({"name": message}, existing_id=existing.id)


def create_candidate(
    session: Session,
    data: dict[str, Any],
    *,
    user_id: int | None,
    stage: str = Stage.ANALYSED.value,
    contact: dict[str, Any] | None = None,
) -> Municipality:
    clean = clean_candidate(data)
    check_not_duplicate(session, clean)
    contact_clean = clean_contact(contact) if contact else None
    municipality = Municipality(**clean, stage=stage, stage_changed_at=utcnow())
    if municipality.owner_id is None:
        municipality.owner_id = user_id
    session.add(municipality)
    session.flush()
    session.add(
        StageChange(
            municipality_id=municipality.id,
            from_stage=None,
            to_stage=stage,
            user_id=user_id,
            note="created",
        )
    )
    _audit(
        session,
        municipality,
        user_id,
        "created",
        {k: [None, audit_value(x)] for k, x in clean.items()},
    )
    if contact_clean:
        add_contact(session, municipality, contact_clean, user_id=user_id)
    return municipality


def audit_value(value: Any) -> Any:
    """A field's value as the audit trail keeps it: dates as ISO text, code lists as "pl;en"."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return value


def update_candidate(
    session: Session,
    municipality: Municipality,
    data: dict[str, Any],
    *,
    user_id: int | None,
    expected_version: int | None = None,
) -> dict[str, list[Any]]:
    """Apply edited fields; returns and audits what changed (``field: [old, new]``).

    ``expected_version`` is the version of the profile the editor saw (default: the one loaded
    in ``municipality``). The edit first raises the version with a conditional UPDATE on it,
    so when someone else saved in between nothing is written and :class:`EditConflict` says
    who and when, instead of one edit silently overwriting the other.
    """
    seen = municipality.version if expected_version is None else expected_version
    if seen != municipality.version:
        raise edit_conflict(session, municipality)
    clean = clean_candidate(data)
    name = clean.get("name", municipality.name)
    country = clean.get("country", municipality.country)
    if (name, country) != (municipality.name, municipality.country):
        other = find_duplicate(session, name, country)
        if other is not None and other.id != municipality.id:
            raise Invalid(
                {"name": _("%(name)s (%(country)s) already exists", name=name, country=country)}
            )
    changes: dict[str, list[Any]] = {}
    for key, value in clean.items():
        old = getattr(municipality, key)
        if old != value:
            changes[key] = [audit_value(old), audit_value(value)]
    if not changes:
        return changes
    if not _next_version(session, municipality, seen):
        raise edit_conflict(session, municipality)
    for key, (_old, _new) in changes.items():
        setattr(municipality, key, clean[key])
    session.flush()
    _audit(session, municipality, user_id, "updated", changes)
    return changes


@dataclass(frozen=True)
class PlannedMove:
    """A checked move: the new column values of the candidate and its stage change's note."""

    from_stage: Stage
    to_stage: Stage
    values: dict[str, Any]
    note: str


def plan_move(
    name: str,
    from_stage: Stage,
    target: str,
    *,
    now: datetime,
    note: str = "",
    reason: str = "",
    agreement_date: date | None = None,
) -> PlannedMove:
    """The rule for moving candidate ``name`` from ``from_stage`` to ``target``: the allowed
    transitions, a reason to decline, an agreement date when signing. Raises
    :class:`MoveError` with the reason when the move is not allowed."""
    try:
        to_stage = stages.parse(target)
    except ValueError as exc:
        raise MoveError(str(exc)) from None
    if to_stage == from_stage:
        raise MoveError(_("%(name)s is already in %(stage)s", name=name, stage=to_stage.value))
    if not stages.can_move(from_stage, to_stage):
        allowed = ", ".join(s.value for s in stages.ORDER if s in stages.TRANSITIONS[from_stage])
        names = {"name": name, "from": from_stage.value, "to": to_stage.value}
        if allowed:
            message = _(
                "%(name)s cannot move from %(from)s to %(to)s (allowed: %(allowed)s)",
                allowed=allowed,
                **names,
            )
        else:
            message = _("%(name)s cannot move from %(from)s to %(to)s (%(from)s is final)", **names)
        raise MoveError(message)
    note = (note or "").strip()
    values: dict[str, Any] = {"stage": to_stage.value, "stage_changed_at": now, "updated_at": now}
    if to_stage == Stage.DECLINED:
        reason = (reason or note).strip()
        if not reason:
            raise MoveError(_("a reason is required to decline"))
        values["decline_reason"] = reason
    if to_stage == Stage.SIGNED:
        values["agreement_date"] = agreement_date or now.date()
    return PlannedMove(from_stage, to_stage, values, note or reason)


def move(
    session: Session,
    municipality: Municipality,
    target: str,
    *,
    user_id: int | None,
    note: str = "",
    agreement_date: date | None = None,
    reason: str = "",
    seen_stage: str | None = None,
) -> StageChange:
    """Move a candidate to ``target`` if the pipeline allows it; records the stage change.

    The move starts from ``seen_stage``, the stage the person saw (the board and the move form
    send it; default: the stage loaded in ``municipality``), and is one conditional UPDATE on
    that stage. When someone else moved the candidate in between, no row changes and
    :class:`MoveConflict` says where to, by whom and when: of two people moving the same
    candidate at the same moment, exactly one succeeds.
    """
    try:
        from_stage = stages.parse(seen_stage) if seen_stage else Stage(municipality.stage)
    except ValueError as exc:
        raise MoveError(str(exc)) from None
    now = utcnow()
    plan = plan_move(
        municipality.name,
        from_stage,
        target,
        now=now,
        note=note,
        reason=reason,
        agreement_date=agreement_date,
    )
    session.flush()
    moved = session.scalar(
        sa_update(Municipality)
        .where(Municipality.id == municipality.id, Municipality.stage == from_stage.value)
        .values(**plan.values)
        .returning(Municipality.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        raise move_conflict(session, municipality)
    session.expire(municipality, list(plan.values))
    change = StageChange(
        municipality_id=municipality.id,
        from_stage=from_stage.value,
        to_stage=plan.to_stage.value,
        user_id=user_id,
        note=plan.note,
        created_at=now,
    )
    session.add(change)
    session.flush()
    return change


def clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    checks = {
        "name": lambda x: v.clean_text("contact_name", x),
        "role": lambda x: v.clean_text("contact_role", x),
        "email": v.clean_email,
        "language": lambda x: v.clean_language("contact_language", x),
        "gender": lambda x: x if x in ("f", "m") else "",
    }
    return clean_fields({key: data.get(key) or "" for key in checks}, checks)


def add_contact(
    session: Session,
    municipality: Municipality,
    data: dict[str, Any],
    *,
    user_id: int | None,
    primary: bool | None = None,
) -> Contact:
    clean = clean_contact(data)
    if primary is None:
        primary = not municipality.contacts
    if primary:
        for other in municipality.contacts:
            other.is_primary = False
    contact = Contact(municipality=municipality, is_primary=primary, **clean)
    session.add(contact)
    session.flush()
    _audit(session, municipality, user_id, "contact_added", {"email": [None, clean["email"]]})
    return contact


def update_contact(
    session: Session,
    contact: Contact,
    data: dict[str, Any],
    *,
    user_id: int | None,
    expected_version: int | None = None,
) -> None:
    """Apply a contact's edited fields, at the version the editor saw (the rule of
    :func:`update_candidate`); audits what changed."""
    seen = contact.version if expected_version is None else expected_version
    if seen != contact.version:
        raise edit_conflict(session, contact.municipality, contact)
    clean = clean_contact(data)
    changes = {k: [getattr(contact, k), x] for k, x in clean.items() if getattr(contact, k) != x}
    if not changes:
        return
    if not _next_version(session, contact, seen):
        raise edit_conflict(session, contact.municipality, contact)
    for key, (_old, new) in changes.items():
        setattr(contact, key, new)
    session.flush()
    _audit(session, contact.municipality, user_id, "contact_updated", changes)


def _next_version(session: Session, row: Municipality | Contact, seen: int) -> bool:
    """Raise ``row``'s version from ``seen`` with a conditional UPDATE; False when someone
    else raised it first (their edit is committed, or it waits for ours to end)."""
    session.flush()
    model = type(row)
    bumped = session.scalar(
        sa_update(model)
        .where(model.id == row.id, model.version == seen)
        .values(version=seen + 1)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(row, ["version"])
    return bumped is not None


def add_note(
    session: Session, municipality: Municipality, body: str, *, user_id: int | None
) -> Note:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise Invalid({"body": _("is required")})
    note = Note(municipality_id=municipality.id, body=body, user_id=user_id)
    session.add(note)
    session.flush()
    return note


def make_primary_contact(session: Session, contact: Contact, *, user_id: int | None) -> None:
    """Make ``contact`` the one that receives letters; the others stop being primary."""
    if contact.is_primary:
        return
    municipality = contact.municipality
    previous = next((c for c in municipality.contacts if c.is_primary), None)
    for other in municipality.contacts:
        other.is_primary = other.id == contact.id
    contact.is_primary = True
    session.flush()
    _audit(
        session,
        municipality,
        user_id,
        "contact_primary",
        {"primary": [previous.email if previous else None, contact.email]},
    )


_municipality = cast(Table, Municipality.__table__)
_MOVE_SENT = (
    sa_update(_municipality)
    .where(
        _municipality.c.id.in_(bindparam("ids", expanding=True)),
        _municipality.c.stage == Stage.ANALYSED.value,
    )
    .values(
        stage=Stage.LETTER_SENT.value,
        stage_changed_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    .returning(_municipality.c.id)
)
#: The one-candidate case, as it runs after every letter a worker sends.
_MOVE_ONE_SENT = Prepared(
    f"UPDATE municipality SET stage = '{Stage.LETTER_SENT.value}',"
    " stage_changed_at = :now, updated_at = :now"
    f" WHERE id = :municipality_id AND stage = '{Stage.ANALYSED.value}' RETURNING id",
    now=DateTime(),
    municipality_id=Integer(),
)
_ADD_SENT_CHANGE = Prepared(
    "INSERT INTO stage_change (municipality_id, from_stage, to_stage, user_id, note, created_at)"
    f" VALUES (:municipality_id, '{Stage.ANALYSED.value}', '{Stage.LETTER_SENT.value}',"
    " :user_id, :note, :now)",
    municipality_id=Integer(),
    user_id=Integer(),
    note=Text(),
    now=DateTime(),
)
_STAGE_CHANGE = sa_insert(cast(Table, StageChange.__table__))


def move_sent(
    session: Session,
    municipality_ids: list[int],
    note: Callable[[int], str],
    *,
    user_id: int | None,
    now: datetime | None = None,
) -> list[int]:
    """Move the candidates among ``municipality_ids`` that are still analysed to letter_sent.

    The same rule as :func:`move` for this one transition, in two statements: a conditional
    UPDATE (only rows still in analysed change) and one stage change row, noted
    ``note(municipality_id)``, per candidate that moved. Candidates in any other stage are left
    alone. Returns the ids that moved.
    """
    if not municipality_ids:
        return []
    now = now or utcnow()
    session.flush()
    if len(municipality_ids) == 1:
        (municipality_id,) = municipality_ids
        cursor = _MOVE_ONE_SENT.run(session, {"municipality_id": municipality_id, "now": now})
        moved = [int(row[0]) for row in cursor.fetchall()]
        cursor.close()
        if moved:
            _ADD_SENT_CHANGE.run(
                session,
                {
                    "municipality_id": municipality_id,
                    "user_id": user_id,
                    "note": note(municipality_id),
                    "now": now,
                },
            ).close()
    else:
        connection = session.connection()
        moved = list(
            connection.execute(_MOVE_SENT, {"ids": list(municipality_ids), "now": now}).scalars()
        )
        if moved:
            connection.execute(
                _STAGE_CHANGE,
                [
                    {
                        "municipality_id": m,
                        "from_stage": Stage.ANALYSED.value,
                        "to_stage": Stage.LETTER_SENT.value,
                        "user_id": user_id,
                        "note": note(m),
                        "created_at": now,
                    }
                    for m in moved
                ],
            )
    for m in moved:
        loaded = session.identity_map.get(session.identity_key(Municipality, m))
        if loaded is not None:
            session.expire(loaded)
    return moved
