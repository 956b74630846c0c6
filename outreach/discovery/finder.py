"""Finding partners: towns of the gazetteer ranked by how much they resemble our community.

One service behind the page and ``outreach discover``. Python scores towns
(:func:`score_town`); the database hands them over in bands of falling population and country
points (:func:`scoring.base_at_least`, found by the population index). Distance adds at most
its weight to those points, so reading stops as soon as no town below the current band can
beat the towns already kept: the ranking is exact without scoring the whole gazetteer.

Towns already in the pipeline (see :mod:`outreach.pipeline.duplicates`) are scored first and
marked; they are never offered for adding again.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import cos, radians
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql import ColumnElement

from outreach.discovery import gazetteer, scoring
from outreach.discovery.models import GazetteerVersion, Town
from outreach.discovery.scoring import Factor, Preferences
from outreach.extensions import Session
from outreach.folding import fold
from outreach.geo import km_between
from outreach.letters import office
from outreach.pipeline import duplicates
from outreach.pipeline.duplicates import Known
from outreach.pipeline.stages import Stage
from outreach.preferences import Proximity

_T = Town.__table__
#: Most results one search returns.
MAX_LIMIT = 500
#: How far below the best possible base points the first band of towns reaches; each
#: further band reaches twice as far, until ``limit`` towns are kept.
_FIRST_STEP = 1.0
#: Up to this many towns pass the filters, all are scored at once.
_SCORE_ALL = 2000
#: One degree of latitude, in kilometres.
_KM_PER_DEGREE = 111.19


@dataclass(frozen=True)
class Search:
    """The filters of a search; typed and checked by the page's form or the CLI's options."""

    q: str = ""
    country: str = ""
    region: str = ""
    min_population: int | None = None
    max_population: int | None = None
    new_only: bool = False
    limit: int = 50


@dataclass
class Result:
    town: Town
    score: int
    factors: list[Factor]
    #: The candidate this town already is, if it is in the pipeline.
    known: Known | None = None

    def reasons(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.factors]


@dataclass
class Found:
    results: list[Result]
    #: Towns that pass the filters.
    matching: int
    prefs: Preferences
    version: GazetteerVersion | None
    regions: list[tuple[str, str]] = field(default_factory=list)


def preferences(session: Session) -> Preferences:
    """The office's settings as the scoring reads them."""
    values = office.values(session)
    return Preferences(
        town_population=int(values["town_population"]),
        community_population=int(values["population"] or 0),
        priority_countries=tuple(values["priority_countries"] or ()),
        proximity=Proximity(values["partner_proximity"]),
        themes=tuple(values["themes"] or ()),
    )


class Neighbours:
    """Where our partners and candidates are (declined ones do not count), for distances.

    A candidate without a location of its own is placed at its town in the gazetteer when its
    name and country match exactly one town there.
    """

    def __init__(self, places: list[tuple[float, float, Known]]) -> None:
        self.places = sorted(places, key=lambda p: p[0])
        self.latitudes = [p[0] for p in self.places]

    @classmethod
    def of(cls, session: Session, index: duplicates.Index) -> Neighbours:
        counting = [k for k in index.all if k.stage != Stage.DECLINED.value]
        places = [(k.latitude, k.longitude, k) for k in counting if k.located]
        unplaced = {k.key: k for k in counting if not k.located}
        if unplaced:
            found: dict[tuple[str, str], list[tuple[float, float]]] = {}
            rows = session.execute(
                select(_T.c.country, _T.c.name_key, _T.c.latitude, _T.c.longitude).where(
                    _named(unplaced)
                )
            )
            for country, key, lat, lon in rows:
                found.setdefault((country, key), []).append((lat, lon))
            for key, known in unplaced.items():
                if len(found.get(key, ())) == 1:
                    lat, lon = found[key][0]
                    places.append((lat, lon, known))
        return cls(places)  # type: ignore[arg-type]

    @property
    def any(self) -> bool:
        return bool(self.places)

    def nearest(self, lat: float, lon: float, exclude: int | None) -> tuple[float, Known] | None:
        """The nearest place within :data:`scoring.REACH_KM`, and how far it is.

        Places are compared on a flat projection around ``lat`` (within the reach it errs by
        well under one per cent); only the nearest one is measured on the sphere.
        """
        band = scoring.REACH_KM / _KM_PER_DEGREE
        low = bisect_left(self.latitudes, lat - band)
        high = bisect_right(self.latitudes, lat + band)
        squeeze = cos(radians(lat))
        best, best_d2 = None, band * band
        for plat, plon, known in self.places[low:high]:
            dy = plat - lat
            dx = (plon - lon + 540.0) % 360.0 - 180.0
            d2 = dy * dy + dx * dx * squeeze * squeeze
            if d2 < best_d2 and known.id != exclude:
                best, best_d2 = (plat, plon, known), d2
        if best is None:
            return None
        km = km_between(lat, lon, best[0], best[1])
        return (km, best[2]) if km <= scoring.REACH_KM else None


def _named(keys: Iterable[tuple[str, str]]) -> ColumnElement:
    """Towns of these ``(country, folded name)`` pairs (found by the index on both)."""
    by_country: dict[str, set[str]] = {}
    for country, key in keys:
        by_country.setdefault(country, set()).add(key)
    terms = [
        and_(_T.c.country == country, _T.c.name_key.in_(sorted(names)))
        for country, names in sorted(by_country.items())
    ]
    return or_(*terms) if terms else false()


def _conditions(session: Session, search: Search) -> list[ColumnElement]:
    conditions: list[ColumnElement] = []
    if search.country:
        conditions.append(Town.country == search.country.upper())
    if search.region:
        conditions.append(_region(session, search))
    if search.min_population is not None:
        conditions.append(Town.population >= search.min_population)
    if search.max_population is not None:
        conditions.append(Town.population <= search.max_population)
    text = fold(search.q)
    if text:
        # Folded text holds only [a-z0-9 ]: nothing to escape, and one pattern per statement
        # (SQLite recompiles a pattern built inside the statement for every row).
        conditions.append(Town.search.like(f"%{text}%"))
    return conditions


def _region(session: Session, search: Search) -> ColumnElement:
    """A region given by its code (``PL.80``) or its name, with or without accents."""
    value = search.region.strip()
    stmt = select(Town.region_code, Town.region).group_by(Town.region_code, Town.region)
    if search.country:
        stmt = stmt.where(Town.country == search.country.upper())
    wanted = fold(value)
    codes = {
        code
        for code, name in session.execute(stmt)
        if code and (code.lower() == value.lower() or fold(name) == wanted)
    }
    return Town.region_code.in_(sorted(codes)) if codes else false()


def known_as(index: duplicates.Index, town: Any) -> Known | None:
    """The candidate that ``town`` (a gazetteer row) already is, if any."""
    if town.id not in index.by_gazetteer and (town.country, town.name_key) not in index.by_key:
        return None
    place = duplicates.Place(town.name, town.country, town.latitude, town.longitude, town.id)
    return index.find(place)


def _nearest(
    town: Any, known: Known | None, neighbours: Neighbours
) -> tuple[float | None, dict[str, Any] | None]:
    near = neighbours.nearest(town.latitude, town.longitude, known.id if known else None)
    if near is None:
        return None, None
    km, place = near
    return km, {"id": place.id, "name": place.name, "stage": place.stage}


def _themes(known: Known | None) -> list[str] | None:
    return list(known.themes) if known is not None else None


def score_town(
    town: Any, known: Known | None, neighbours: Neighbours, prefs: Preferences
) -> tuple[float, list[Factor]]:
    """A town's points and its factors (``town``: a gazetteer row; ``known``: the candidate
    it already is, whose themes are then known)."""
    km, nearest = _nearest(town, known, neighbours)
    factors = scoring.factors(
        town.population,
        town.country,
        km,
        nearest,
        _themes(known),
        prefs,
        located=neighbours.any,
    )
    return sum(f.points for f in factors), factors


#: Table columns, not ORM attributes: these rows come by the thousand.
_COLUMNS = (
    _T.c.id,
    _T.c.name,
    _T.c.name_key,
    _T.c.country,
    _T.c.population,
    _T.c.latitude,
    _T.c.longitude,
)


class _Ranking:
    """The best ``limit`` towns seen so far (a min-heap of their points)."""

    def __init__(
        self, index: duplicates.Index, neighbours: Neighbours, prefs: Preferences, search: Search
    ) -> None:
        self.index, self.neighbours, self.prefs = index, neighbours, prefs
        self.new_only = search.new_only
        self.limit = max(1, min(search.limit, MAX_LIMIT))
        self.seen: dict[int, Known | None] = {}
        self.kept: list[tuple[float, int]] = []

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limit

    @property
    def lowest(self) -> float:
        return self.kept[0][0]

    def read(self, rows: Iterable[Any]) -> None:
        for row in rows:
            if row.id in self.seen:
                continue
            known = self.seen[row.id] = known_as(self.index, row)
            if known is not None and self.new_only:
                continue
            km, _place = _nearest(row, known, self.neighbours)
            points = scoring.points(row.population, row.country, km, _themes(known), self.prefs)
            item = (points, -row.id)
            if not self.full:
                heapq.heappush(self.kept, item)
            elif item > self.kept[0]:
                heapq.heapreplace(self.kept, item)

    def results(self, session: Session) -> list[Result]:
        ids = [-negative_id for _points, negative_id in sorted(self.kept, reverse=True)]
        towns = {t.id: t for t in session.scalars(select(Town).where(Town.id.in_(ids)))}
        results = []
        for town_id in ids:
            town, known = towns[town_id], self.seen[town_id]
            points, factors = score_town(town, known, self.neighbours, self.prefs)
            results.append(Result(town, round(points), factors, known))
        return results


def find(session: Session, search: Search, prefs: Preferences | None = None) -> Found:
    """The towns that best resemble our community among those ``search`` lets through."""
    prefs = prefs or preferences(session)
    version = gazetteer.current(session)
    regions = gazetteer.regions(session, search.country) if search.country else []
    conditions = _conditions(session, search)
    few: list[Any] | None = None
    if search.q:
        # A name narrows the gazetteer to a handful: read them all in one pass.
        rows = session.execute(select(*_COLUMNS).where(*conditions).limit(_SCORE_ALL + 1))
        few = list(rows)
        if len(few) > _SCORE_ALL:
            few = None
    if few is not None:
        matching = len(few)
    elif not conditions:
        matching = version.towns if version is not None else 0
    else:
        matching = session.scalar(select(func.count()).select_from(Town).where(*conditions)) or 0
    if not matching:
        return Found([], 0, prefs, version, regions)

    index = duplicates.load_index(session)
    ranking = _Ranking(index, Neighbours.of(session, index), prefs, search)
    if few is not None:
        ranking.read(few)
        return Found(ranking.results(session), matching, prefs, version, regions)

    # Towns already in the pipeline first: only they can earn theme points.
    marked = or_(_T.c.id.in_(sorted(index.by_gazetteer)), _named(index.by_key))
    ranking.read(session.execute(select(*_COLUMNS).where(*conditions, marked)))
    # Then bands of falling base points, each a superset of the towns that reach its
    # threshold, until no town below the threshold can beat the kept ones. Once ``limit``
    # towns are kept, the band that can still beat them is known exactly.
    extra = scoring.WEIGHTS["distance"] if prefs.proximity != Proximity.ANY else 0
    top = scoring.max_base(prefs)
    threshold = top - _FIRST_STEP if matching > _SCORE_ALL else 0.0
    while True:
        band = scoring.base_at_least(_T.c.population, _T.c.country, prefs, threshold)
        ranking.read(session.execute(select(*_COLUMNS).where(*conditions, band)))
        if threshold <= 0:
            break
        if ranking.full:
            if ranking.lowest >= threshold + extra:
                break
            threshold = ranking.lowest - extra
        else:
            threshold = top - 2 * (top - threshold)
    return Found(ranking.results(session), matching, prefs, version, regions)
