"""When two municipalities are the same place: the rule behind refusing duplicates.

Two places are the same when they carry the same gazetteer (GeoNames) id, or when they have
the same name once accents are folded (``Zyrakow`` and ``Żyraków``) in the same country and
either lies within :data:`NEAR_KM` of the other or one of them has no known location (then
nothing shows they differ). Towns of one name far apart (Poland has dozens of ``Dąbrowa``)
are different places.

Creating a candidate, importing a CSV file and the partner finder all ask this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select

from outreach.extensions import Session
from outreach.folding import fold
from outreach.geo import km_between
from outreach.pipeline.models import Municipality

#: How far apart two places of the same name and country may lie and still be one place.
NEAR_KM = 5.0


@dataclass(frozen=True)
class Place:
    """What identifies a municipality: its name, country, location and gazetteer id."""

    name: str
    country: str
    latitude: float | None = None
    longitude: float | None = None
    gazetteer_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.country.upper(), fold(self.name))

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Known(Place):
    """A candidate already in the pipeline."""

    id: int = 0
    stage: str = ""
    themes: tuple[str, ...] = ()


def same_place(a: Place, b: Place) -> bool:
    if a.gazetteer_id is not None and a.gazetteer_id == b.gazetteer_id:
        return True
    if a.key != b.key or not a.key[1]:
        return False
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return True  # nothing shows they are different places
    return km_between(a.latitude, a.longitude, b.latitude, b.longitude) <= NEAR_KM


class Index:
    """Candidates looked up by gazetteer id and by folded name and country."""

    def __init__(self, known: Iterable[Known]) -> None:
        self.by_gazetteer: dict[int, Known] = {}
        self.by_key: dict[tuple[str, str], list[Known]] = defaultdict(list)
        self.all: list[Known] = []
        for entry in known:
            self.add(entry)

    def add(self, entry: Known) -> None:
        self.all.append(entry)
        if entry.gazetteer_id is not None:
            self.by_gazetteer[entry.gazetteer_id] = entry
        self.by_key[entry.key].append(entry)

    def find(self, place: Place, *, exclude_id: int | None = None) -> Known | None:
        """The candidate that is the same place as ``place``, if any."""
        if place.gazetteer_id is not None:
            found = self.by_gazetteer.get(place.gazetteer_id)
            if found is not None and found.id != exclude_id:
                return found
        return next(
            (
                entry
                for entry in self.by_key.get(place.key, ())
                if entry.id != exclude_id and same_place(place, entry)
            ),
            None,
        )


_COLUMNS = (
    Municipality.id,
    Municipality.name,
    Municipality.country,
    Municipality.latitude,
    Municipality.longitude,
    Municipality.gazetteer_id,
    Municipality.stage,
    Municipality.themes,
)


def _known(row: tuple) -> Known:
    mid, name, country, lat, lon, gid, stage, themes = row
    return Known(name, country, lat, lon, gid, id=mid, stage=stage, themes=tuple(themes or ()))


def load_index(session: Session, countries: Iterable[str] | None = None) -> Index:
    """Every candidate (or those of ``countries``) in an :class:`Index`."""
    stmt = select(*_COLUMNS)
    if countries is not None:
        stmt = stmt.where(Municipality.country.in_(sorted({c.upper() for c in countries})))
    return Index(_known(tuple(row)) for row in session.execute(stmt))


def find_existing(
    session: Session, place: Place, *, exclude_id: int | None = None
) -> Municipality | None:
    """The candidate in the database that is the same place as ``place``, if any."""
    stmt = select(*_COLUMNS).where(Municipality.country == place.country.upper())
    if place.gazetteer_id is not None:
        stmt = select(*_COLUMNS).where(
            or_(
                Municipality.country == place.country.upper(),
                Municipality.gazetteer_id == place.gazetteer_id,
            )
        )
    index = Index(_known(tuple(row)) for row in session.execute(stmt))
    found = index.find(place, exclude_id=exclude_id)
    return session.get(Municipality, found.id) if found is not None else None
