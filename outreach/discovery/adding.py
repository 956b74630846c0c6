"""Adding towns from the gazetteer to the pipeline, with the reason each was suggested.

All or nothing: when one of the chosen towns is already in the pipeline (or unknown), nothing
is added and every problem is named. Each town becomes an *analysed* candidate with source
``gazetteer``, its own name, region, population, location and GeoNames id, through the same
:func:`outreach.pipeline.services.create_candidate` as every other candidate, and its score
and reasons are kept in a :class:`Suggestion`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from outreach.discovery import finder
from outreach.discovery.models import Suggestion, Town
from outreach.discovery.scoring import Preferences
from outreach.extensions import Session
from outreach.pipeline import duplicates, services
from outreach.pipeline.models import Municipality

SOURCE = "gazetteer"


@dataclass(frozen=True)
class Problem:
    town_id: int
    message: str
    #: The candidate the town already is, when that is the problem.
    existing_id: int | None = None


@dataclass
class NotAdded(ValueError):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(p.message for p in self.problems)


def _free_name(session: Session, town: Town, taken: set[tuple[str, str]]) -> str | None:
    """The town's name, or ``Name (Region)`` when another place of that name is a candidate
    already (candidates are unique by name and country); None when both are taken."""
    for name in (town.name, f"{town.name} ({town.region})" if town.region else None):
        if name is None or (name, town.country) in taken:
            continue
        exists = session.scalar(
            select(Municipality.id).where(
                Municipality.name == name, Municipality.country == town.country
            )
        )
        if exists is None:
            return name
    return None


def add_towns(
    session: Session,
    town_ids: Iterable[int],
    *,
    user_id: int | None,
    prefs: Preferences | None = None,
) -> list[Municipality]:
    """Add the towns ``town_ids`` as analysed candidates; raise :class:`NotAdded` naming
    every town that cannot be added (and add none). Flushes, never commits."""
    ids = list(dict.fromkeys(town_ids))
    towns = {t.id: t for t in session.scalars(select(Town).where(Town.id.in_(ids)))}
    index = duplicates.load_index(session)
    problems: list[Problem] = []
    names: dict[int, str] = {}
    taken: set[tuple[str, str]] = set()
    for town_id in ids:
        town = towns.get(town_id)
        if town is None:
            problems.append(Problem(town_id, _("no town %(id)d in the gazetteer", id=town_id)))
            continue
        known = finder.known_as(index, town)
        if known is not None:
            message = _(
                "%(name)s (%(country)s) is already in the pipeline as %(existing)s",
                name=town.name,
                country=town.country,
                existing=known.name,
            )
            problems.append(Problem(town_id, message, known.id))
            continue
        name = _free_name(session, town, taken)
        if name is None:
            message = _(
                "%(name)s (%(country)s): another candidate has this name",
                name=town.name,
                country=town.country,
            )
            problems.append(Problem(town_id, message))
            continue
        names[town_id] = name
        taken.add((name, town.country))
    if problems:
        raise NotAdded(problems)

    prefs = prefs or finder.preferences(session)
    neighbours = finder.Neighbours.of(session, index)
    added = []
    for town_id in ids:
        town = towns[town_id]
        points, factors = finder.score_town(town, None, neighbours, prefs)
        municipality = services.create_candidate(
            session,
            {
                "name": names[town_id],
                "name_local": town.name_local,
                "country": town.country,
                "region": town.region,
                "population": town.population,
                "source": SOURCE,
                "latitude": town.latitude,
                "longitude": town.longitude,
                "gazetteer_id": town.id,
            },
            user_id=user_id,
        )
        session.add(
            Suggestion(
                municipality_id=municipality.id,
                town_id=town.id,
                score=round(points),
                reasons=[f.as_dict() for f in factors],
                user_id=user_id,
            )
        )
        added.append(municipality)
    session.flush()
    return added


def suggestion_for(session: Session, municipality_id: int) -> Suggestion | None:
    """Why the candidate was suggested, when it came from the finder."""
    return session.get(Suggestion, municipality_id)


def suggestion_reasons(
    session: Session, municipality_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Why each of these candidates was suggested (for letters: "why we write to you")."""
    if not municipality_ids:
        return {}
    rows = session.execute(
        select(Suggestion.municipality_id, Suggestion.reasons).where(
            Suggestion.municipality_id.in_(municipality_ids)
        )
    )
    return {municipality_id: list(reasons or []) for municipality_id, reasons in rows}
