"""Towns for the finder's tests: a few countries of the shipped data set, read once.

Reading the data set takes seconds, so the rows are read once per session and written into
each test's database (a few thousand rows); one test loads the whole gazetteer.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from outreach.discovery import gazetteer, source
from outreach.extensions import db

#: The countries of the office's partners, and one not on the priority list (Nigeria).
COUNTRIES = ("PL", "LV", "IT", "EE", "NG")


@pytest.fixture(scope="session")
def subset() -> list[dict[str, Any]]:
    return list(source.read_towns(1000, COUNTRIES))


@pytest.fixture
def towns(app: Flask, subset: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gazetteer.load(db.session, countries=COUNTRIES, towns=subset)
    db.session.commit()
    return subset


@pytest.fixture
def demo(app: Flask) -> None:
    from outreach.demo import load_demo_data

    load_demo_data(db.session)
    db.session.commit()


def town_id(rows: list[dict[str, Any]], name: str, country: str, region: str = "") -> int:
    """The id of the one town of that name (in that region, when given)."""
    found = [
        r["id"]
        for r in rows
        if r["name"] == name and r["country"] == country and region in r["region_code"]
    ]
    assert len(found) == 1, (name, found)
    return found[0]
