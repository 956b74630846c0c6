"""CSV import and export of candidates: the rules behind the import page and the CLI.

An import is all-or-nothing. :func:`import_csv` first reads and validates every row in memory
(with the same field rules as the forms: :func:`services.clean_candidate` and
:func:`services.clean_contact`), comparing against the existing ``(name, country)`` pairs loaded
in one query; only when no row is bad does it write, new candidates and updates alike in bulk
statements (:mod:`outreach.pipeline.bulk`). Rows are numbered as a spreadsheet shows them: the
header is row 1, the first data row is row 2. Large files are imported by a background job
(:mod:`outreach.pipeline.imports`) through the same function, which reports its progress.

Exported cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) get a leading ``'``; the import strips it again, so an export imports back
unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outreach.extensions import Session
from outreach.pipeline import bulk, duplicates, services, stages
from outreach.pipeline import validation as v
from outreach.pipeline.bulk import Row as _Row
from outreach.pipeline.models import Municipality

#: The file's columns, in export order.
COLUMNS: tuple[str, ...] = (
    "name",
    "name_local",
    "country",
    "region",
    "region_local",
    "population",
    "languages",
    "email",
    "contact_name",
    "contact_role",
    "contact_language",
    "contact_gender",
    "website",
    "themes",
    "stage",
    "source",
    "notes",
    "latitude",
    "longitude",
    "gazetteer_id",
)
REQUIRED: tuple[str, ...] = ("name", "country", "email")
#: Columns that are fields of the candidate itself (the rest describe its contact or stage).
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "name",
    "name_local",
    "country",
    "region",
    "region_local",
    "population",
    "languages",
    "website",
    "themes",
    "source",
    "notes",
    "latitude",
    "longitude",
    "gazetteer_id",
)
#: Candidate columns whose empty cell means "unknown" (None) rather than "".
UNKNOWN_WHEN_EMPTY: tuple[str, ...] = ("population", "latitude", "longitude", "gazetteer_id")
#: CSV column -> contact field.
CONTACT_COLUMNS: dict[str, str] = {
    "email": "email",
    "contact_name": "name",
    "contact_role": "role",
    "contact_language": "language",
    "contact_gender": "gender",
}

#: First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
IMPORT_NOTE = "imported"
#: How often (in rows) :func:`import_csv` reports its progress while checking.
PROGRESS_EVERY = 2000

#: ``progress(phase, rows_done, rows_total)``: phase "checking" or "writing".
Progress = Callable[[str, int, int], None]


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would evaluate (also to one already so prefixed)."""
    return "'" + text if text and _looks_like_formula(text) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise`: drop one leading ``'`` in front of a formula character."""
    if text.startswith("'") and _looks_like_formula(text[1:]):
        return text[1:]
    return text


@dataclass(frozen=True)
class RowError:
    """One problem in a file: ``row`` is None for the file or its header."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.field}: {self.message}"
        if not self.field:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, field {self.field}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def lines(self) -> list[str]:
        return [str(error) for error in self.errors]


def _file_error(message: str) -> ImportReport:
    return ImportReport(errors=[RowError(None, "file", message)])


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return data.decode("utf-8-sig")


def _delimiter(text: str) -> str:
    """``,`` or ``;``, guessed from the header line (spreadsheets in many locales use ``;``)."""
    header_line = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header_line.count(";") > header_line.count(",") else ","


def read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV text as ``(spreadsheet row number, cells)``, header first."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    yield from enumerate(reader, start=1)


def _header(cells: list[str]) -> tuple[list[str], list[RowError]]:
    names = [cell.strip().lower() for cell in cells]
    errors: list[RowError] = []
    seen: set[str] = set()
    for raw, name in zip(cells, names, strict=True):
        if not name:
            continue  # an unnamed column is fine as long as it stays empty
        if name not in COLUMNS:
            errors.append(RowError(None, "header", _("unknown column %(name)s", name=raw.strip())))
        elif name in seen:
            errors.append(RowError(None, "header", _("column %(name)s appears twice", name=name)))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            errors.append(RowError(None, "header", _("missing column %(name)s", name=name)))
    return names, errors


def _parse_row(number: int, names: list[str], cells: list[str]) -> tuple[_Row, list[RowError]]:
    """Clean one data row; every bad field becomes a :class:`RowError`."""
    errors: dict[str, str] = {}
    if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
        errors[""] = _(
            "%(cells)d cells but the header names %(columns)d columns",
            cells=len(cells),
            columns=len(names),
        )
    values: dict[str, str] = {}
    for position, (name, cell) in enumerate(zip(names, cells, strict=False), start=1):
        if not name:
            if cell.strip():
                errors[""] = _(
                    "column %(position)d has a value but no name in the header", position=position
                )
            continue
        if "\r" in cell or "\n" in cell:
            errors[name] = _("line breaks are not allowed here")
        values[name] = unneutralise(cell)
    for name in names[len(cells) :]:
        values[name] = ""

    candidate_raw = {k: values[k] for k in CANDIDATE_COLUMNS if k in values and k not in errors}
    candidate: dict[str, Any] = {}
    try:
        candidate = services.clean_candidate(candidate_raw)
    except services.Invalid as exc:
        errors.update(exc.errors)

    contact: dict[str, str] = {}
    contact_raw = {CONTACT_COLUMNS[k]: values[k] for k in CONTACT_COLUMNS if k in values}
    no_email = False
    if "email" not in errors:
        try:
            contact = services.clean_contact(contact_raw)
        except services.Invalid as exc:
            contact_errors = {k: m for k, m in exc.errors.items() if k not in errors}
            # An empty e-mail is fine on a row that updates a candidate (its contacts stay
            # as they are); whether the row is new is only known later.
            no_email = contact_errors == {"email": _("is required")}
            if not no_email:
                errors.update(contact_errors)

    stage: str | None = None
    if values.get("stage", "").strip() and "stage" not in errors:
        try:
            stage = v.clean_stage(values["stage"])
        except v.FieldError as exc:
            errors["stage"] = exc.message
    if no_email and errors:
        errors["email"] = _("is required")

    order = {name: i for i, name in enumerate(("", *COLUMNS))}
    row_errors = [
        RowError(number, name, message)
        for name, message in sorted(errors.items(), key=lambda kv: order.get(kv[0], 99))
    ]
    present = [field for column, field in CONTACT_COLUMNS.items() if column in values]
    contact = {k: contact[k] for k in present} if contact else {}
    return _Row(number, candidate, contact, stage), row_errors


def count_rows(data: bytes | str) -> int:
    """About how many rows a file has (its line count less the header): cheap, for deciding
    whether to import it at once or in the background, and for progress bars."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    lines = data.count(newline) + (0 if data.endswith(newline) else 1)  # type: ignore[arg-type]
    return max(0, lines - 1)


def import_csv(
    session: Session,
    data: bytes | str,
    *,
    update: bool = False,
    dry_run: bool = False,
    user_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a whole CSV file, then (unless ``dry_run`` or any row is bad) write it.

    Existing candidates (same name and country) are updated only when ``update`` is true.
    ``progress`` is called every :data:`PROGRESS_EVERY` rows while checking, and once before
    writing. Flushes, never commits: the caller commits when ``report.written`` and rolls back
    otherwise (a write refused midway, because someone changed a candidate meanwhile, leaves
    flushed rows behind).
    """
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return _file_error(_("is not UTF-8 text (save it as \u201cCSV UTF-8\u201d)"))
    rows_iter = read_rows(text)
    first = next(rows_iter, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        return _file_error(_("is empty: the first line must name the columns"))
    names, errors = _header(first[1])
    if errors:
        return ImportReport(errors=errors, dry_run=dry_run)

    rows: list[_Row] = []
    number = 1
    total = count_rows(data)
    while True:
        try:
            number, cells = next(rows_iter)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(
                RowError(number + 1, "", _("cannot be read as CSV: %(error)s", error=exc))
            )
            break
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress("checking", number - 1, total)
        if not any(cell.strip() for cell in cells):
            continue
        row, row_errors = _parse_row(number, names, cells)
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    errors.extend(_check_identity(session, rows, update=update))
    old_rows = [row for row in rows if row.existing_id is not None]
    existing = _load(session, [row.existing_id for row in old_rows if row.existing_id])
    for row in old_rows:
        problem = _stage_problem(existing[row.existing_id or 0], row.stage)
        if problem:
            errors.append(RowError(row.number, "stage", problem))
    report = ImportReport(errors=sorted(errors, key=lambda e: e.row or 0), dry_run=dry_run)
    if errors:
        return report

    new_rows = [row for row in rows if row.existing_id is None]
    report.created = len(new_rows)
    for row in old_rows:
        if _differs(existing[row.existing_id or 0], row):
            report.updated += 1
        else:
            report.unchanged += 1
    if dry_run:
        return report

    if progress is not None:
        progress("writing", 0, len(rows))
    try:
        bulk.create_all(
            session,
            new_rows,
            CANDIDATE_COLUMNS,
            UNKNOWN_WHEN_EMPTY,
            user_id=user_id,
            note=IMPORT_NOTE,
        )
        pairs = [(existing[row.existing_id or 0], row) for row in old_rows]
        bulk.update_all(session, pairs, user_id=user_id, note=IMPORT_NOTE)
    except bulk.ChangedMeanwhile as exc:
        message = ngettext(
            "%(num)d candidate in this file was changed by someone else during the import; "
            "nothing was imported: import the file again",
            "%(num)d candidates in this file were changed by someone else during the import; "
            "nothing was imported: import the file again",
            exc.count,
        )
        return _file_error(message)
    session.flush()
    return report


def _check_identity(session: Session, rows: list[_Row], *, update: bool) -> list[RowError]:
    """Duplicates within the file, and existing candidates when not updating."""
    index = duplicates.load_index(session)
    existing = {(known.name, known.country): known.id for known in index.all}
    seen: dict[tuple[str, str], int] = {}
    seen_towns: dict[int, int] = {}
    errors: list[RowError] = []
    for row in rows:
        key = (row.candidate["name"], row.candidate["country"])
        place = duplicates.Place(
            *key,
            row.candidate.get("latitude"),
            row.candidate.get("longitude"),
            row.candidate.get("gazetteer_id"),
        )
        if place.key in seen:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    _(
                        "%(name)s (%(country)s) is also in row %(row)d of this file",
                        name=key[0],
                        country=key[1],
                        row=seen[place.key],
                    ),
                )
            )
            continue
        seen[place.key] = row.number
        if place.gazetteer_id is not None:
            if place.gazetteer_id in seen_towns:
                message = _(
                    "GeoNames town %(id)d is also in row %(row)d of this file",
                    id=place.gazetteer_id,
                    row=seen_towns[place.gazetteer_id],
                )
                errors.append(RowError(row.number, "gazetteer_id", message))
                continue
            seen_towns[place.gazetteer_id] = row.number
        other = index.find(place, exclude_id=existing.get(key))
        if other is not None:
            errors.append(
                RowError(
                    row.number,
                    "name",
                    _(
                        "%(name)s (%(country)s) is already in the pipeline as %(existing)s"
                        " (candidate %(id)d)",
                        name=key[0],
                        country=key[1],
                        existing=other.name,
                        id=other.id,
                    ),
                )
            )
        elif key in existing:
            if not update:
                errors.append(
                    RowError(
                        row.number,
                        "name",
                        _("%(name)s (%(country)s) already exists", name=key[0], country=key[1]),
                    )
                )
            row.existing_id = existing[key]
        elif not row.contact:
            errors.append(RowError(row.number, "email", _("is required")))
    return errors


def _load(session: Session, ids: list[int]) -> dict[int, Municipality]:
    found: dict[int, Municipality] = {}
    for chunk in bulk.chunks(ids):
        query = (
            select(Municipality)
            .where(Municipality.id.in_(chunk))
            .options(selectinload(Municipality.contacts))
        )
        found.update((m.id, m) for m in session.scalars(query))
    return found


def _stage_problem(municipality: Municipality, stage: str | None) -> str:
    if stage is None or stage == municipality.stage:
        return ""
    if stages.can_move(municipality.stage, stage):
        return ""
    return _(
        "%(name)s cannot move from %(from)s to %(to)s",
        **{"name": municipality.name, "from": municipality.stage, "to": stage},
    )


def _differs(municipality: Municipality, row: _Row) -> bool:
    if any(getattr(municipality, k) != x for k, x in row.candidate.items()):
        return True
    if row.stage is not None and row.stage != municipality.stage:
        return True
    if not row.contact:
        return False
    contact = bulk.contact_for(municipality, row.contact["email"])
    if contact is None or not contact.is_primary:
        return True
    return any(getattr(contact, k) != x for k, x in row.contact.items())


def export_rows(
    session: Session,
    *,
    stages_: Iterable[str] = (),
    countries: Iterable[str] = (),
) -> Iterator[list[str]]:
    """The header and one row per candidate (filtered by stage and country), neutralised."""
    query = select(Municipality).options(selectinload(Municipality.contacts))
    stage_list = [s for s in stages_ if s]
    country_list = [c.upper() for c in countries if c]
    if stage_list:
        query = query.where(Municipality.stage.in_(stage_list))
    if country_list:
        query = query.where(Municipality.country.in_(country_list))
    query = query.order_by(Municipality.country, Municipality.name, Municipality.id)
    yield list(COLUMNS)
    for municipality in session.scalars(query):
        contact = municipality.primary_contact
        values = {
            "name": municipality.name,
            "name_local": municipality.name_local,
            "country": municipality.country,
            "region": municipality.region,
            "region_local": municipality.region_local,
            "source": municipality.source,
            "population": _unknown_empty(municipality.population),
            "languages": ";".join(municipality.languages),
            "email": contact.email if contact else "",
            "contact_name": contact.name if contact else "",
            "contact_role": contact.role if contact else "",
            "contact_language": contact.language if contact else "",
            "contact_gender": contact.gender if contact else "",
            "website": municipality.website,
            "themes": ";".join(municipality.themes),
            "stage": municipality.stage,
            # The import refuses line breaks, so multi-line notes travel on one line.
            "notes": " ".join(municipality.notes.splitlines()),
            "latitude": _unknown_empty(municipality.latitude),
            "longitude": _unknown_empty(municipality.longitude),
            "gazetteer_id": _unknown_empty(municipality.gazetteer_id),
        }
        yield [neutralise(values[name]) for name in COLUMNS]


def _unknown_empty(value: float | int | None) -> str:
    return "" if value is None else str(value)


def export_csv(
    session: Session, *, stages_: Iterable[str] = (), countries: Iterable[str] = ()
) -> str:
    """The candidates as CSV text (comma-separated, CRLF line ends, no BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(export_rows(session, stages_=stages_, countries=countries))
    return out.getvalue()
