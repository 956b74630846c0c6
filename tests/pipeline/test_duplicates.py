"""The same place is never a candidate twice: by gazetteer id, or by folded name and country
within a few kilometres."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline import services, transfer
from outreach.pipeline.duplicates import Place, same_place
from outreach.pipeline.models import Municipality

ZYRAKOW = {"name": "Żyraków", "country": "PL", "latitude": 50.08545, "longitude": 21.39622}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Municipality)) or 0


def test_same_place_rules() -> None:
    here = Place("Dąbrowa", "PL", 52.7467, 17.9434, 3100820)
    assert same_place(here, Place("Dąbrowa", "PL", gazetteer_id=3100820))
    assert same_place(here, Place("DABROWA", "PL", 52.76, 17.95))  # about 1.5 km away
    assert same_place(here, Place("Dabrowa", "PL"))  # nothing shows it is another one
    assert not same_place(here, Place("Dąbrowa", "PL", 50.67, 17.69))  # Opole, 230 km
    assert not same_place(here, Place("Dąbrowa", "CZ"))
    assert not same_place(here, Place("Dąbrówka", "PL"))


def test_a_new_candidate_with_the_name_of_an_existing_one_is_refused_with_a_link(
    client: Any, login_as: Any
) -> None:
    existing = services.create_candidate(db.session, ZYRAKOW, user_id=None)
    db.session.commit()
    login_as("coordinator")
    page = client.post(
        "/candidates/new", data={"name": "Zyrakow", "country": "PL", "source": "manual"}
    ).get_data(as_text=True)
    assert "Zyrakow (PL) is already in the pipeline as Żyraków" in page
    assert f'href="/candidates/{existing.id}"' in page
    assert count() == 1


def test_the_same_gazetteer_town_is_refused_and_a_namesake_far_away_is_not(app: Any) -> None:
    services.create_candidate(
        db.session,
        {
            "name": "Dąbrowa",
            "country": "PL",
            "latitude": 52.7467,
            "longitude": 17.9434,
            "gazetteer_id": 3100820,
        },
        user_id=None,
    )
    with pytest.raises(services.Duplicate) as refused:
        services.create_candidate(
            db.session,
            {"name": "Gmina Dąbrowa", "country": "PL", "gazetteer_id": 3100820},
            user_id=None,
        )
    assert "already in the pipeline as Dąbrowa" in refused.value.errors["name"]
    services.create_candidate(
        db.session,
        {"name": "Dąbrowa (Opolskie)", "country": "PL", "latitude": 50.67, "longitude": 17.69},
        user_id=None,
    )
    with pytest.raises(services.Duplicate):
        services.create_candidate(db.session, {"name": "dabrowa", "country": "PL"}, user_id=None)


def test_coordinates_are_checked(app: Any) -> None:
    with pytest.raises(services.Invalid) as bad:
        services.create_candidate(
            db.session, {"name": "Nowhere", "country": "PL", "latitude": "95"}, user_id=None
        )
    assert "latitude" in bad.value.errors


def test_an_import_row_naming_an_existing_candidate_is_a_bad_row(app: Any) -> None:
    existing = services.create_candidate(db.session, ZYRAKOW, user_id=None)
    db.session.commit()
    report = transfer.import_csv(
        db.session,
        "name,country,email\n"
        "Olaine,LV,mayor@olaine.example\n"
        "Zyrakow,PL,wojt@zyrakow.example\n"
        "Kutna Hora,CZ,a@kutnahora.example\n"
        "Kutná Hora,CZ,b@kutnahora.example\n",
    )
    assert report.lines() == [
        f"row 3, field name: Zyrakow (PL) is already in the pipeline as Żyraków"
        f" (candidate {existing.id})",
        "row 5, field name: Kutná Hora (CZ) is also in row 4 of this file",
    ]
    db.session.rollback()
    assert count() == 1


def test_locations_travel_through_the_csv_file(app: Any) -> None:
    text = (
        "name,country,email,latitude,longitude,gazetteer_id\n"
        "Olaine,LV,mayor@olaine.example,56.79583,23.93726,457052\n"
        "Valka,LV,dome@valka.example,,,\n"
        "Olaines novads,LV,novads@olaine.example,56.8,23.9,457052\n"
    )
    refused = transfer.import_csv(db.session, text)
    assert refused.lines() == [
        "row 4, field gazetteer_id: GeoNames town 457052 is also in row 2 of this file"
    ]
    report = transfer.import_csv(db.session, text.rsplit("Olaines", 1)[0])
    assert report.ok and report.created == 2
    db.session.commit()
    olaine = db.session.scalar(select(Municipality).where(Municipality.name == "Olaine"))
    assert (olaine.latitude, olaine.longitude, olaine.gazetteer_id) == (56.79583, 23.93726, 457052)
    exported = transfer.export_csv(db.session)
    header, *rows = exported.splitlines()
    assert header.endswith(",latitude,longitude,gazetteer_id")
    assert any(row.endswith(",56.79583,23.93726,457052") for row in rows)
    assert any(row.startswith("Valka,") and row.endswith(",,,") for row in rows)
    again = transfer.import_csv(db.session, exported, update=True)
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 2)
    other = transfer.import_csv(
        db.session, "name,country,email,gazetteer_id\nOlaine Town,LV,a@olaine.example,457052\n"
    )
    assert other.lines() == [
        f"row 2, field name: Olaine Town (LV) is already in the pipeline as Olaine"
        f" (candidate {olaine.id})"
    ]
