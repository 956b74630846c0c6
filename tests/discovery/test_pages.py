"""The finder's page: everyone sees it, coordinators and admins add towns, viewers cannot."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from outreach.discovery.models import Suggestion
from outreach.extensions import db
from outreach.letters import office
from outreach.pipeline.models import AuditEntry, Municipality
from tests.discovery.conftest import town_id


def candidate(name: str, country: str) -> Municipality | None:
    return db.session.scalar(
        select(Municipality).where(Municipality.name == name, Municipality.country == country)
    )


def test_viewers_see_the_results_but_cannot_add(
    client: Any, login_as: Any, towns: Any, demo: Any
) -> None:
    login_as("viewer")
    page = client.get("/discover?country=LV").get_data(as_text=True)
    assert "Find partners" in page
    assert "Olaine" in page and "in the pipeline" in page
    assert 'name="town"' not in page
    olaine = town_id(towns, "Olaine", "LV")
    assert 'name="region"' in page  # the regions of Latvia
    response = client.post("/discover/add", data={"town": str(olaine)})
    assert response.status_code == 403


def test_a_coordinator_adds_several_towns_as_analysed_with_their_reasons(
    client: Any, login_as: Any, towns: Any, demo: Any
) -> None:
    user = login_as("coordinator")
    page = client.get("/discover?q=dabrowa").get_data(as_text=True)
    opole = town_id(towns, "Dąbrowa", "PL", "PL.79")
    kuyavian = town_id(towns, "Dąbrowa", "PL", "PL.73")
    assert f'name="town" value="{opole}"' in page
    assert f'name="town" value="{kuyavian}"' not in page  # the partner of 2023
    valka = town_id(towns, "Valka", "LV")
    response = client.post("/discover/add?q=dabrowa", data={"town": [str(opole), str(valka)]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/discover?q=dabrowa")
    flashed = client.get("/discover?q=dabrowa").get_data(as_text=True)
    assert "2 towns added as analysed" in flashed

    # Dąbrowa of 2023 keeps its name; this one is told apart by its region.
    added = candidate("Dąbrowa (Opolskie)", "PL")
    assert added is not None
    assert (added.stage, added.source, added.name_local, added.region) == (
        "analysed",
        "gazetteer",
        "Dąbrowa",
        "Opolskie",
    )
    assert added.gazetteer_id == opole and added.latitude and added.longitude
    assert added.population == 1100 and added.owner_id == user.id
    suggestion = db.session.get(Suggestion, added.id)
    assert suggestion is not None and suggestion.town_id == opole
    assert [r["factor"] for r in suggestion.reasons] == [
        "population",
        "country",
        "distance",
        "themes",
    ]
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.municipality_id == added.id))
    assert audit.changes["source"] == [None, "gazetteer"]

    shown = client.get(f"/candidates/{added.id}").get_data(as_text=True)
    assert f"/candidates/{added.id}/map.svg" in shown
    assert "Why it was suggested" in shown and "Poland is one of the countries" in shown
    svg = client.get(f"/candidates/{added.id}/map.svg")
    assert svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert text.startswith("<svg") and 'fill="#c62828"' in text
    assert len(re.findall("<rect", text)) > 100  # Poland drawn from its towns
    assert "Żyraków" in text  # a partner in the same country


def test_adding_a_town_already_in_the_pipeline_adds_nothing_and_links_to_it(
    client: Any, login_as: Any, towns: Any, demo: Any
) -> None:
    login_as("admin")
    olaine = town_id(towns, "Olaine", "LV")
    free = town_id(towns, "Valka", "LV")
    before = db.session.scalar(select(Municipality.id).order_by(Municipality.id.desc()))
    response = client.post("/discover/add", data={"town": [str(free), str(olaine)]})
    assert response.status_code == 302
    page = client.get("/discover").get_data(as_text=True)
    existing = candidate("Olaine", "LV")
    assert "Nothing was added" in page
    assert "Olaine (LV) is already in the pipeline as Olaine" in page
    assert f'href="/candidates/{existing.id}"' in page
    db.session.expire_all()
    assert db.session.scalar(select(Municipality.id).order_by(Municipality.id.desc())) == before
    assert client.post("/discover/add", data={}).status_code == 302


def test_a_candidate_without_a_location_shows_no_map(
    client: Any, login_as: Any, towns: Any, demo: Any
) -> None:
    login_as("viewer")
    valga = candidate("Valga", "EE")
    page = client.get(f"/candidates/{valga.id}").get_data(as_text=True)
    assert "map.svg" not in page
    assert client.get(f"/candidates/{valga.id}/map.svg").status_code == 404
    olaine = candidate("Olaine", "LV")
    assert "map.svg" in client.get(f"/candidates/{olaine.id}").get_data(as_text=True)


def test_the_page_says_how_to_fill_an_empty_gazetteer(client: Any, login_as: Any) -> None:
    login_as("viewer")
    page = client.get("/discover").get_data(as_text=True)
    assert "outreach gazetteer load" in page


def test_settings_hold_what_the_finder_looks_for(client: Any, login_as: Any) -> None:
    login_as("admin")
    page = client.get("/letters/settings").get_data(as_text=True)
    assert "AT BE BG" in page and 'value="11000"' in page
    data = {
        **{k: v for k, v in office.defaults().items() if v is not None and k != "names"},
        "signatory_name": "Оксана",
        "signatory_gender": "f",
        "themes": ["education"],
        "town_population": "10 935",
        "priority_countries": "pl, lv;IT  xx",
        "partner_proximity": "far",
    }
    html = client.post("/letters/settings", data=data).get_data(as_text=True)
    assert "unknown country code &#39;XX&#39;" in html
    data["priority_countries"] = "pl, lv;IT"
    assert client.post("/letters/settings", data=data).status_code == 302
    values = office.values(db.session)
    assert values["town_population"] == 10935
    assert values["priority_countries"] == ["PL", "LV", "IT"]
    assert values["partner_proximity"] == "far"
