"""Filling the gazetteer table, and what it holds.

:func:`load` is idempotent: when the table already holds the same data (same data set
version, population threshold and countries) it changes nothing; otherwise it replaces every
town in one transaction, so a newer data version replaces the old one and nobody ever sees a
half-filled table. Candidates keep the GeoNames id of their town, which stays the same from
one data version to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import delete, insert, select, text

from outreach.clock import utcnow
from outreach.discovery import source
from outreach.discovery.models import GazetteerVersion, Town
from outreach.extensions import Session

_CHUNK = 5000


@dataclass(frozen=True)
class LoadResult:
    towns: int
    replaced: bool
    version: GazetteerVersion


def current(session: Session) -> GazetteerVersion | None:
    """What the table holds now, or None when it was never loaded."""
    return session.scalars(select(GazetteerVersion).order_by(GazetteerVersion.id).limit(1)).first()


def is_empty(session: Session) -> bool:
    return session.scalar(select(Town.id).limit(1)) is None


def load(
    session: Session,
    *,
    min_population: int = source.DEFAULT_MIN_POPULATION,
    countries: Iterable[str] = (),
    towns: Iterable[dict[str, Any]] | None = None,
    data_version: str | None = None,
) -> LoadResult:
    """Fill the gazetteer with the shipped data set (or ``towns``, rows already read).

    Nothing changes when the table already holds this version with the same threshold and
    countries. Flushes, never commits.
    """
    wanted = sorted({c.upper() for c in countries})
    version = data_version or source.data_version()
    row = current(session)
    if (
        row is not None
        and (row.source, row.version, row.min_population, sorted(row.countries or []))
        == (source.SOURCE, version, min_population, wanted)
        and not is_empty(session)
    ):
        return LoadResult(row.towns, False, row)
    rows = towns if towns is not None else source.read_towns(min_population, wanted)
    session.execute(delete(Town))
    count = 0
    present: set[str] = set()
    iterator = iter(rows)
    while chunk := list(islice(iterator, _CHUNK)):
        session.execute(insert(Town), chunk)
        count += len(chunk)
        present.update(town["country"] for town in chunk)
    if row is None:
        row = GazetteerVersion()
        session.add(row)
    row.source, row.version = source.SOURCE, version
    row.min_population, row.countries = min_population, wanted
    row.towns, row.country_codes, row.loaded_at = count, sorted(present), utcnow()
    session.flush()
    # Fresh statistics, so that the query planner uses the population index for the finder.
    session.execute(text("ANALYZE gazetteer_town"))
    return LoadResult(count, True, row)


def regions(session: Session, country: str) -> list[tuple[str, str]]:
    """The first-level regions of ``country`` that have towns: ``(code, name)`` by name."""
    rows = session.execute(
        select(Town.region_code, Town.region)
        .where(Town.country == country.upper(), Town.region_code != "")
        .group_by(Town.region_code, Town.region)
    ).all()
    return sorted(((code, name or code) for code, name in rows), key=lambda r: r[1].lower())


def countries(session: Session) -> list[str]:
    """Countries that have towns in the gazetteer."""
    row = current(session)
    return list(row.country_codes) if row is not None else []
