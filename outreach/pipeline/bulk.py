"""Writing a checked CSV import in bulk.

The records are those the one-candidate services write (:func:`services.create_candidate`,
:func:`services.update_candidate`, :func:`services.add_contact`, :func:`services.update_contact`,
:func:`services.make_primary_contact`, :func:`services.move`), but in a few statements per chunk
of rows instead of several per row: Core INSERTs of lists of rows, and executemany UPDATEs
grouped by the columns they change. Updates keep the services' concurrency rule: a candidate's
profile is updated only at the version the import loaded (and its stage only from the stage
it loaded); when someone changed one in between, :class:`ChangedMeanwhile` is raised and the
caller rolls the whole import back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Executable, Table, bindparam, insert, update

from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.pipeline import services
from outreach.pipeline.models import AuditEntry, Contact, Municipality, StageChange
from outreach.pipeline.stages import Stage

CHUNK = 500
T = TypeVar("T")

_municipality = cast(Table, Municipality.__table__)
_contact = cast(Table, Contact.__table__)
_stage_change = cast(Table, StageChange.__table__)
_audit = cast(Table, AuditEntry.__table__)


@dataclass(slots=True)
class Row:
    """One checked row of an import: cleaned candidate and contact fields, and its stage."""

    number: int
    candidate: dict[str, Any]
    contact: dict[str, str]
    stage: str | None  # None: the cell was empty or the column absent
    existing_id: int | None = None


class ChangedMeanwhile(Exception):
    """Candidates the import was about to update were changed by someone else meanwhile."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} candidate(s) changed during the import")
        self.count = count


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _audit_row(
    mid: int, user_id: int | None, action: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "municipality_id": mid,
        "user_id": user_id,
        "action": action,
        "changes": changes,
        "created_at": now,
    }


def create_all(
    session: Session,
    rows: list[Row],
    columns: Sequence[str],
    unknown_when_empty: Sequence[str],
    *,
    user_id: int | None,
    note: str,
) -> None:
    """Insert new candidates (``columns`` are the candidate fields the file can carry; those in
    ``unknown_when_empty`` are None when absent, the others "") with their first stage change,
    audit entries and primary contact."""
    now = utcnow()
    connection = session.connection()
    for chunk in chunks(rows):
        values = []
        for row in chunk:
            item = {k: row.candidate.get(k, "") for k in columns}
            item.update({k: row.candidate.get(k) for k in unknown_when_empty})
            item.update(
                languages=row.candidate.get("languages", []),
                themes=row.candidate.get("themes", []),
                source=row.candidate.get("source") or "import",
                do_not_contact=False,
                owner_id=user_id,
                stage=row.stage or Stage.ANALYSED.value,
                stage_changed_at=now,
                decline_reason="",
                version=1,
                created_at=now,
                updated_at=now,
            )
            values.append(item)
        # Matched by the unique (name, country), which lets SQLite batch the INSERT too.
        table = _municipality
        returned = connection.execute(
            insert(table).returning(table.c.id, table.c.name, table.c.country), values
        )
        ids = {(name, country): mid for mid, name, country in returned}
        changes, contacts, audits = [], [], []
        for row, item in zip(chunk, values, strict=True):
            mid = ids[(item["name"], item["country"])]
            changes.append(
                {
                    "municipality_id": mid,
                    "from_stage": None,
                    "to_stage": item["stage"],
                    "user_id": user_id,
                    "note": note,
                    "created_at": now,
                }
            )
            created = {k: [None, services.audit_value(x)] for k, x in row.candidate.items()}
            created["source"] = [None, item["source"]]
            audits.append(_audit_row(mid, user_id, "created", created, now))
            contacts.append(_new_contact(mid, row.contact, now))
            email_change = {"email": [None, row.contact["email"]]}
            audits.append(_audit_row(mid, user_id, "contact_added", email_change, now))
        connection.execute(insert(_stage_change), changes)
        connection.execute(insert(_contact), contacts)
        connection.execute(insert(_audit), audits)


def _new_contact(mid: int, fields: dict[str, str], now: datetime) -> dict[str, Any]:
    return {
        "municipality_id": mid,
        "name": fields.get("name", ""),
        "role": fields.get("role", ""),
        "email": fields["email"],
        "language": fields.get("language", ""),
        "gender": fields.get("gender", ""),
        "is_primary": True,
        "created_at": now,
    }


def contact_for(municipality: Municipality, email: str) -> Contact | None:
    wanted = email.lower()
    return next((c for c in municipality.contacts if c.email.lower() == wanted), None)


def update_all(
    session: Session, pairs: list[tuple[Municipality, Row]], *, user_id: int | None, note: str
) -> None:
    """Apply each row to its existing candidate: changed fields, its contact (updated or
    added, and made primary) and its stage. Rows that change nothing write nothing."""
    now = utcnow()
    audits: list[dict[str, Any]] = []
    session.flush()
    _update_fields(session, pairs, audits, user_id, now)
    _update_contacts(session, pairs, audits, user_id, now)
    moves = [(m, row.stage) for m, row in pairs if row.stage is not None and row.stage != m.stage]
    _move_all(session, moves, user_id=user_id, note=note, now=now)
    connection = session.connection()
    for chunk in chunks(audits):
        connection.execute(insert(_audit), list(chunk))


def _executemany(session: Session, statement: Any, params: list[dict[str, Any]]) -> None:
    """Run ``statement`` for every parameter set; every one must change exactly one row."""
    connection = session.connection()
    for chunk in chunks(params):
        changed = connection.execute(statement, list(chunk)).rowcount
        if changed != len(chunk):
            raise ChangedMeanwhile(len(chunk) - changed)


def _versioned_update(table: Table, keys: tuple[str, ...], **fixed: Any) -> Any:
    """``UPDATE table SET <keys>, version = version + 1 WHERE id = :row_id AND version =
    :seen``, for executemany with ``new_<key>`` parameters: the edit rule of the services."""
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("seen"))
        .values(
            {
                **{k: bindparam(f"new_{k}") for k in keys},
                "version": table.c.version + 1,
                **fixed,
            }
        )
    )


def _update_fields(
    session: Session,
    pairs: list[tuple[Municipality, Row]],
    audits: list[dict[str, Any]],
    user_id: int | None,
    now: datetime,
) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for municipality, row in pairs:
        changes = {
            k: [services.audit_value(getattr(municipality, k)), services.audit_value(x)]
            for k, x in row.candidate.items()
            if getattr(municipality, k) != x
        }
        if not changes:
            continue
        keys = tuple(sorted(changes))
        params = {f"new_{k}": row.candidate[k] for k in keys}
        groups[keys].append({**params, "row_id": municipality.id, "seen": municipality.version})
        audits.append(_audit_row(municipality.id, user_id, "updated", changes, now))
    for keys, params_list in groups.items():
        statement = _versioned_update(_municipality, keys, updated_at=now)
        _executemany(session, statement, params_list)


def _update_contacts(
    session: Session,
    pairs: list[tuple[Municipality, Row]],
    audits: list[dict[str, Any]],
    user_id: int | None,
    now: datetime,
) -> None:
    """The row's contact: updated when one of the candidate's contacts has its address, else
    added; either way made the primary one (the one letters go to)."""
    added: list[dict[str, Any]] = []
    edits: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    primary: list[dict[str, Any]] = []
    unset: list[dict[str, Any]] = []
    for municipality, row in pairs:
        if not row.contact:
            continue
        contact = contact_for(municipality, row.contact["email"])
        previous = municipality.primary_contact
        if contact is None:
            added.append(_new_contact(municipality.id, row.contact, now))
            if previous is not None:
                unset.append({"owner_id": municipality.id})
            change = {"email": [None, row.contact["email"]]}
            audits.append(_audit_row(municipality.id, user_id, "contact_added", change, now))
            continue
        changes = {
            k: [getattr(contact, k), x] for k, x in row.contact.items() if getattr(contact, k) != x
        }
        if changes:
            keys = tuple(sorted(changes))
            params = {f"new_{k}": row.contact[k] for k in keys}
            edits[keys].append({**params, "row_id": contact.id, "seen": contact.version})
            audits.append(_audit_row(municipality.id, user_id, "contact_updated", changes, now))
        if not contact.is_primary:
            primary.append({"owner_id": municipality.id, "primary_id": contact.id})
            moved = {"primary": [previous.email if previous else None, contact.email]}
            audits.append(_audit_row(municipality.id, user_id, "contact_primary", moved, now))
    table = _contact
    for keys, params_list in edits.items():
        _executemany(session, _versioned_update(table, keys), params_list)
    # One primary contact per candidate: the chosen one; none before a new one is added.
    owned = table.c.municipality_id == bindparam("owner_id")
    make_primary = (
        update(table).where(owned).values(is_primary=table.c.id == bindparam("primary_id"))
    )
    connection = session.connection()
    writes: list[tuple[Executable, list[dict[str, Any]]]] = [
        (make_primary, primary),
        (update(table).where(owned).values(is_primary=False), unset),
        (insert(table), added),
    ]
    for action, params_list in writes:
        for chunk in chunks(params_list):
            connection.execute(action, list(chunk))


def _move_all(
    session: Session,
    moves: list[tuple[Municipality, str]],
    *,
    user_id: int | None,
    note: str,
    now: datetime,
) -> None:
    """:func:`services.move` for many candidates, each from the stage loaded in it: the same
    rule (:func:`services.plan_move`), one conditional executemany UPDATE per pair of stages
    and one INSERT of the stage changes."""
    plans: dict[tuple[Stage, Stage], services.PlannedMove] = {}
    groups: dict[tuple[Stage, Stage], list[dict[str, Any]]] = defaultdict(list)
    changes: list[dict[str, Any]] = []
    for municipality, target in moves:
        plan = services.plan_move(
            municipality.name, Stage(municipality.stage), target, now=now, note=note
        )
        key = (plan.from_stage, plan.to_stage)
        plans[key] = plan  # the same values for every candidate making this move
        groups[key].append({"row_id": municipality.id})
        changes.append(
            {
                "municipality_id": municipality.id,
                "from_stage": plan.from_stage.value,
                "to_stage": plan.to_stage.value,
                "user_id": user_id,
                "note": plan.note,
                "created_at": now,
            }
        )
    table = _municipality
    for (source, _target), params_list in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.stage == source.value)
            .values(**plans[(source, _target)].values)
        )
        _executemany(session, statement, params_list)
    connection = session.connection()
    for chunk in chunks(changes):
        connection.execute(insert(_stage_change), list(chunk))
