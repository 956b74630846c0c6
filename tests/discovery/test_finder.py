"""The finder: towns like ours ranked with reasons, pipeline towns marked, search folded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from outreach.discovery import finder, reasons
from outreach.discovery.models import Town
from outreach.discovery.scoring import Preferences
from outreach.extensions import db
from outreach.letters import office
from outreach.preferences import DEFAULT_PRIORITY_COUNTRIES, Proximity
from tests.discovery.conftest import town_id

MENA = Preferences(
    town_population=11000,
    community_population=40000,
    priority_countries=DEFAULT_PRIORITY_COUNTRIES,
    proximity=Proximity.NEAR,
    themes=("idp-integration", "education", "culture"),
)


def names(found: finder.Found) -> list[str]:
    return [r.town.name for r in found.results]


def test_for_mena_the_best_are_towns_of_our_size_in_the_countries_we_look_in_first(
    towns: Any, demo: Any
) -> None:
    found = finder.find(db.session, finder.Search(limit=20), MENA)
    assert found.matching == len(towns)
    assert len(found.results) == 20
    scores = [r.score for r in found.results]
    assert scores == sorted(scores, reverse=True)
    for result in found.results:
        town = result.town
        assert town.country in ("PL", "LV", "IT", "EE"), town.name  # never Nigeria
        assert 0.8 * 11000 <= town.population <= 1.25 * 11000 or (
            0.8 * 40000 <= town.population <= 1.25 * 40000
        ), (town.name, town.population)
        factors = [r["factor"] for r in result.reasons()]
        assert factors == ["population", "country", "distance", "themes"]
        assert result.score == round(sum(r["points"] for r in result.reasons()))
    best = found.results[0].reasons()
    assert reasons.describe(best[1]).endswith("is one of the countries we look in first")
    assert " km from " in reasons.describe(best[2])
    assert reasons.describe(best[0]).startswith(("0.", "1."))


def test_a_town_off_the_priority_list_says_so(towns: Any) -> None:
    located = finder.find(db.session, finder.Search(country="NG", limit=1), MENA)
    assert reasons.describe(located.results[0].reasons()[2]) == (
        "none of our partners or candidates has a known location yet"
    )
    from outreach.demo import load_demo_data

    load_demo_data(db.session)
    found = finder.find(db.session, finder.Search(country="NG", limit=1), MENA)
    (result,) = found.results
    country = result.reasons()[1]
    assert country["points"] == 0
    assert reasons.describe(country) == "Nigeria is not on our list of countries"
    assert reasons.describe(result.reasons()[2]) == (
        "more than 1,200 km from our partners and candidates"
    )


def test_towns_already_in_the_pipeline_are_marked_and_never_offered_again(
    towns: Any, demo: Any
) -> None:
    marked = {}
    for name, country in (("Olaine", "LV"), ("Dąbrowa", "PL"), ("Casteltermini", "IT")):
        found = finder.find(db.session, finder.Search(q=name, country=country), MENA)
        marked.update({r.town.id: r for r in found.results if r.known})
    kuyavian = town_id(towns, "Dąbrowa", "PL", "PL.73")
    opole = town_id(towns, "Dąbrowa", "PL", "PL.79")
    olaine = town_id(towns, "Olaine", "LV")
    casteltermini = town_id(towns, "Casteltermini", "IT")
    assert set(marked) == {kuyavian, olaine, casteltermini}  # the other Dąbrowa is free
    assert {r.known.stage for r in marked.values()} == {"signed"}
    themes = marked[olaine].reasons()[3]
    assert themes["known"] and set(themes["shared"]) == {"education", "idp-integration", "culture"}
    assert opole in [r.town.id for r in finder.find(db.session, finder.Search(q="dabrowa")).results]

    found = finder.find(db.session, finder.Search(country="LV", limit=200, new_only=True), MENA)
    assert olaine not in [r.town.id for r in found.results]
    assert all(r.known is None for r in found.results)


@pytest.mark.parametrize("typed", ["zyrakow", "Żyraków", "ŻYRAKÓW", "Zyrakow ", "yrak"])
def test_search_with_or_without_diacritics(towns: Any, typed: str) -> None:
    found = finder.find(db.session, finder.Search(q=typed), MENA)
    assert "Żyraków" in names(found)


def test_filters_by_region_country_and_population(towns: Any) -> None:
    by_code = finder.find(db.session, finder.Search(country="PL", region="PL.80", limit=500))
    by_name = finder.find(db.session, finder.Search(country="PL", region="podkarpackie", limit=500))
    assert by_code.matching == by_name.matching > 50
    assert {r.town.region for r in by_code.results} == {"Podkarpackie"}
    assert ("PL.80", "Podkarpackie") in by_code.regions
    assert finder.find(db.session, finder.Search(region="Nowhere")).matching == 0

    ranged = finder.find(
        db.session,
        finder.Search(country="IT", min_population=5000, max_population=6000, limit=500),
    )
    assert ranged.matching == sum(
        1 for t in towns if t["country"] == "IT" and 5000 <= t["population"] <= 6000
    )
    assert all(5000 <= r.town.population <= 6000 for r in ranged.results)


def brute_force(prefs: Preferences, search: finder.Search) -> list[tuple[int, int]]:
    """Every town of the filters scored one by one: what the banded search must equal."""
    from outreach.pipeline import duplicates

    index = duplicates.load_index(db.session)
    neighbours = finder.Neighbours.of(db.session, index)
    scored = []
    for town in db.session.scalars(select(Town).where(*finder._conditions(db.session, search))):
        known = finder.known_as(index, town)
        if known is not None and search.new_only:
            continue
        points, _factors = finder.score_town(town, known, neighbours, prefs)
        scored.append((points, -town.id))
    scored.sort(reverse=True)
    return [(-negative_id, round(points)) for points, negative_id in scored[: search.limit]]


@pytest.mark.parametrize("proximity", list(Proximity))
@pytest.mark.parametrize(
    "search",
    [
        finder.Search(limit=30),
        finder.Search(limit=30, new_only=True),
        finder.Search(country="IT", min_population=2000, limit=10),
    ],
)
def test_the_banded_search_ranks_exactly_like_scoring_every_town(
    towns: Any, demo: Any, proximity: Proximity, search: finder.Search
) -> None:
    prefs = Preferences(
        town_population=11000,
        community_population=40000,
        priority_countries=("PL", "LV"),
        proximity=proximity,
        themes=MENA.themes,
    )
    found = finder.find(db.session, search, prefs)
    assert [(r.town.id, r.score) for r in found.results] == brute_force(prefs, search)


def test_the_settings_feed_the_search(towns: Any, demo: Any) -> None:
    office.update(
        db.session,
        {
            **office.values(db.session),
            "town_population": "2 000",
            "priority_countries": "it",
            "partner_proximity": "far",
        },
    )
    db.session.commit()
    found = finder.find(db.session, finder.Search(limit=10))
    assert found.prefs.priority_countries == ("IT",)
    assert found.prefs.town_population == 2000
    assert {r.town.country for r in found.results} == {"IT"}
    assert all(r.reasons()[2]["proximity"] == "far" for r in found.results)


def test_discover_prints_the_same_results_as_json(towns: Any, demo: Any, runner: Any) -> None:
    result = runner.invoke(args=["discover", "--json", "--country", "pl", "--limit", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    found = finder.find(db.session, finder.Search(country="PL", limit=5))
    assert [r["id"] for r in data["results"]] == [r.town.id for r in found.results]
    first = data["results"][0]
    assert first["country"] == "PL" and first["score"] == found.results[0].score
    assert [r["factor"] for r in first["reasons"]] == [
        "population",
        "country",
        "distance",
        "themes",
    ]
    assert all(r["text"] for r in first["reasons"])
    assert data["matching"] == found.matching

    text = runner.invoke(args=["discover", "--q", "zyrakow"])
    assert "Żyraków (PL, Podkarpackie)" in text.output
    assert "[in the pipeline: signed]" in text.output
    bad = runner.invoke(args=["discover", "--country", "XX"])
    assert bad.exit_code == 2 and "unknown country code" in bad.output


def test_discover_says_when_the_gazetteer_is_empty(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["discover"])
    assert result.exit_code == 1
    assert "outreach gazetteer load" in result.output
