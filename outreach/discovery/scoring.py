"""How much a town resembles our community: the factors, their weights and their points.

A town earns up to 100 points:

=============  ======  ====================================================================
factor         points  how
=============  ======  ====================================================================
population         45  ``1 - |p - ours| / (p + ours)`` against our town and against our
                       whole community, whichever is closer: equal sizes earn all points,
                       twice or half the size two thirds, ten times or a tenth a fifth
country            25  all when the country is on our priority list, none otherwise
distance           20  from the nearest partner or candidate with a known location, up to
                       :data:`REACH_KM`: "near" earns ``1 - km / REACH_KM`` (all points next
                       door, none beyond the reach), "far" the opposite, "any" none at all
themes             10  the share of our themes the town works on too, where its themes are
                       known (the gazetteer has none; candidates already in the pipeline do)
=============  ======  ====================================================================

Population and country points (:func:`base_points`) translate into population bands the
database finds by its index (:func:`base_at_least`), so the finder reads the best towns first
without scoring the whole gazetteer; distance and themes are added in Python for those (see
:mod:`outreach.discovery.finder`). Each factor also returns the facts behind its points
(:class:`Factor`, from :func:`factors`), which the page, the command line and the stored
suggestion show; :func:`points` is their sum without the facts, for ranking thousands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from math import ceil, floor
from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql import ColumnElement

from outreach.preferences import Proximity

WEIGHTS: dict[str, int] = {"population": 45, "country": 25, "distance": 20, "themes": 10}
#: The distance over which nearness counts.
REACH_KM = 1200.0


@dataclass(frozen=True)
class Preferences:
    """The settings a search is scored with."""

    town_population: int
    community_population: int
    priority_countries: tuple[str, ...]
    proximity: Proximity
    themes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "proximity": self.proximity.value}


@dataclass
class Factor:
    """One factor of a town's score: its points out of ``weight`` and the facts behind them."""

    name: str
    points: float
    weight: int
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "factor": self.name,
            "points": round(self.points, 1),
            "weight": self.weight,
            **self.facts,
        }


def similarity(population: int, ours: int) -> float:
    """1 for equal sizes, falling towards 0 as either grows larger than the other."""
    if population <= 0 or ours <= 0:
        return 0.0
    return 1.0 - abs(population - ours) / (population + ours)


def _closest(town_population: int, prefs: Preferences) -> tuple[float, str, int]:
    """The better similarity to our town or our whole community: ``(similarity, which, ours)``."""
    town = similarity(town_population, prefs.town_population)
    community = similarity(town_population, prefs.community_population)
    if town >= community:
        return town, "town", prefs.town_population
    return community, "community", prefs.community_population


def base_points(town_population: int, town_country: str, prefs: Preferences) -> float:
    """Population and country points: what the database can rank towns by."""
    best = _closest(town_population, prefs)[0]
    priority = town_country in prefs.priority_countries
    return WEIGHTS["population"] * best + (WEIGHTS["country"] if priority else 0)


def _closeness(km: float | None) -> float:
    return 0.0 if km is None else max(0.0, 1.0 - km / REACH_KM)


def distance_points(km: float | None, prefs: Preferences) -> float:
    """Points for lying ``km`` from the nearest partner or candidate (None: beyond reach)."""
    if prefs.proximity == Proximity.NEAR:
        return WEIGHTS["distance"] * _closeness(km)
    if prefs.proximity == Proximity.FAR:
        return WEIGHTS["distance"] * (1.0 - _closeness(km))
    return 0.0


def _shared(known: list[str] | None, prefs: Preferences) -> list[str]:
    return [t for t in prefs.themes if t in known] if known else []


def theme_points(known: list[str] | None, prefs: Preferences) -> float:
    if not known or not prefs.themes:
        return 0.0
    return WEIGHTS["themes"] * len(_shared(known, prefs)) / len(prefs.themes)


def points(
    town_population: int,
    town_country: str,
    km: float | None,
    known_themes: list[str] | None,
    prefs: Preferences,
) -> float:
    """A town's score before rounding: the sum of its :func:`factors`' points."""
    return (
        base_points(town_population, town_country, prefs)
        + distance_points(km, prefs)
        + theme_points(known_themes, prefs)
    )


def factors(
    town_population: int,
    town_country: str,
    km: float | None,
    nearest: dict[str, Any] | None,
    known_themes: list[str] | None,
    prefs: Preferences,
    *,
    located: bool,
) -> list[Factor]:
    """Each factor's points and the facts behind them (they add up to :func:`points`).

    ``km`` to the ``nearest`` partner or candidate (both None when none lies within reach);
    ``located``: whether any has a known location at all; ``known_themes``: the town's themes,
    None when nobody knows them."""
    best, kind, ours = _closest(town_population, prefs)
    priority = town_country in prefs.priority_countries
    distance_facts: dict[str, Any] = {
        "proximity": prefs.proximity.value,
        "reach_km": round(REACH_KM),
        "located": located,
    }
    if km is not None:
        distance_facts.update(km=round(km), nearest=nearest)
    return [
        Factor(
            "population",
            WEIGHTS["population"] * best,
            WEIGHTS["population"],
            {"population": town_population, "ours": ours, "compared_with": kind},
        ),
        Factor(
            "country",
            WEIGHTS["country"] if priority else 0,
            WEIGHTS["country"],
            {"country": town_country, "priority": priority},
        ),
        Factor("distance", distance_points(km, prefs), WEIGHTS["distance"], distance_facts),
        Factor(
            "themes",
            theme_points(known_themes, prefs),
            WEIGHTS["themes"],
            {"known": known_themes is not None, "shared": _shared(known_themes, prefs)},
        ),
    ]


def max_base(prefs: Preferences) -> float:
    return WEIGHTS["population"] + (WEIGHTS["country"] if prefs.priority_countries else 0)


def _population_band(ours: int, least: float) -> tuple[int, int | None] | None:
    """The populations whose :func:`similarity` to ``ours`` is at least ``least`` (a little
    wider, never narrower): ``(low, high)``, ``high`` None for no upper bound."""
    if ours <= 0 or least > 1:
        return None
    if least <= 0:
        return (0, None)
    gap = 1.0 - least  # similarity >= least  <=>  ours*(1-gap)/(1+gap) <= p <= ours*(1+gap)/(1-gap)
    low = floor(ours * (1 - gap) / (1 + gap))
    high = ceil(ours * (1 + gap) / (1 - gap)) if gap < 1 else None
    return (low, high)


def base_at_least(
    population_column: Any, country_column: Any, prefs: Preferences, threshold: float
) -> ColumnElement:
    """An SQL condition true for every town whose :func:`base_points` reach ``threshold``
    (and perhaps for a few just below): population bands the database finds by its index."""
    if threshold <= 0:
        return true()
    priority = list(prefs.priority_countries)
    groups: list[tuple[ColumnElement, float]] = []
    if priority:
        groups.append((country_column.in_(priority), threshold - WEIGHTS["country"]))
        groups.append((country_column.not_in(priority), threshold))
    else:
        groups.append((true(), threshold))
    parts: list[ColumnElement] = []
    for in_group, needed in groups:
        bands = [
            _population_band(ours, needed / WEIGHTS["population"])
            for ours in (prefs.town_population, prefs.community_population)
        ]
        ranges = [
            population_column >= low if high is None else population_column.between(low, high)
            for band in bands
            if band is not None
            for low, high in [band]
        ]
        # One (country, population range) term each: the database searches its index per term.
        parts.extend(and_(in_group, population_range) for population_range in ranges)
    return or_(*parts) if parts else false()
