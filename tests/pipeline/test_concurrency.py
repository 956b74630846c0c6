"""Two people acting on one candidate at the same moment, against the real database: a move
applies only from the stage its sender saw, an edit only to the version its sender saw; the
second person is told who came first, and nothing is overwritten silently."""

from __future__ import annotations

import re
import threading
from functools import partial
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import Contact, Municipality, StageChange

PAIRS = 12


def client_for(app: Flask, user: Any) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def negotiating(name: str) -> Municipality:
    town = services.create_candidate(db.session, {"name": name, "country": "DE"}, user_id=None)
    services.move(db.session, town, "letter_sent", user_id=None)
    services.move(db.session, town, "negotiating", user_id=None)
    db.session.commit()
    return town


def at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads released together; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # reported below, in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def move(client: Any, town_id: int, **data: str) -> Any:
    return client.post(
        f"/candidates/{town_id}/move", data=data, headers={"Accept": "application/json"}
    )


def test_two_people_moving_one_candidate_at_once(app, make_user):
    olena = client_for(app, make_user("coordinator", name="Olena"))
    taras = client_for(app, make_user("coordinator", name="Taras"))
    towns = [negotiating(f"Friedberg {n}").id for n in range(PAIRS)]
    for town_id in towns:
        signed, declined = at_once(
            partial(move, olena, town_id, to_stage="signed", from_stage="negotiating"),
            partial(
                move, taras, town_id, to_stage="declined", from_stage="negotiating", reason="no"
            ),
        )
        codes = sorted([signed.status_code, declined.status_code])
        assert codes == [200, 409], (town_id, signed.json, declined.json)
        loser = signed if signed.status_code == 409 else declined
        winner_stage, winner = ("Declined", "Taras") if loser is signed else ("Signed", "Olena")
        assert loser.json["ok"] is False
        assert re.fullmatch(
            rf"Friedberg \d+ was already moved to {winner_stage} by {winner} "
            r"on \d{4}-\d\d-\d\d \d\d:\d\d\.",
            loser.json["error"],
        ), loser.json["error"]
        assert loser.json["stage"] == winner_stage.lower()
        assert loser.json["moved_by"] == winner

    db.session.rollback()
    for town_id in towns:
        town = db.session.get(Municipality, town_id)
        out_of_negotiating = db.session.scalar(
            select(func.count())
            .select_from(StageChange)
            .where(StageChange.municipality_id == town.id, StageChange.from_stage == "negotiating")
        )
        assert out_of_negotiating == 1
        if town.stage == "signed":
            assert town.decline_reason == "" and town.agreement_date is not None
        else:
            assert town.stage == "declined" and town.agreement_date is None


def test_a_move_from_a_stale_page_is_refused_and_says_who_moved_it(client, login_as, make_user):
    olena = client_for(client.application, make_user("coordinator", name="Olena"))
    login_as("coordinator")
    town = negotiating("Olaine")
    assert move(olena, town.id, to_stage="on_hold", from_stage="negotiating").status_code == 200
    g.pop("_login_user", None)
    # The page still showed "negotiating": the form sends that stage.
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "signed", "from_stage": "negotiating", "next": "/board"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Olaine was already moved to On hold by Olena on" in html
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "on_hold"


def test_a_move_needs_the_stage_the_person_saw(client, login_as):
    login_as("coordinator")
    town = negotiating("Olaine")
    response = move(client, town.id, to_stage="signed")
    assert response.status_code == 409 and "Stage shown" in response.json["error"]
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "negotiating"


def edit_form(client: Any, town_id: int) -> dict[str, str]:
    """The edit form's fields as the page fills them (text inputs and the hidden version)."""
    g.pop("_login_user", None)
    html = client.get(f"/candidates/{town_id}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    for checkbox in ("themes", "do_not_contact", "csrf_token"):
        fields.pop(checkbox, None)
    return {**fields, "country": "DE", "source": "manual", "notes": "", "owner_id": ""}


def test_two_people_editing_one_candidate_at_once(app, make_user):
    olena = client_for(app, make_user("coordinator", name="Olena"))
    taras = client_for(app, make_user("coordinator", name="Taras"))
    towns = [(town.id, town.name) for town in (negotiating(f"Dąbrowa {n}") for n in range(PAIRS))]
    for town_id, name in towns:
        url = f"/candidates/{town_id}/edit"
        seen_by_olena, seen_by_taras = edit_form(olena, town_id), edit_form(taras, town_id)
        assert seen_by_olena["version"] == seen_by_taras["version"]
        by_olena, by_taras = at_once(
            partial(olena.post, url, data={**seen_by_olena, "population": "14000"}),
            partial(taras.post, url, data={**seen_by_taras, "region": "Kujawy"}),
        )
        codes = sorted([by_olena.status_code, by_taras.status_code])
        assert codes == [302, 409], name
        loser = by_olena if by_olena.status_code == 409 else by_taras
        winner = "Taras" if loser is by_olena else "Olena"
        html = loser.get_data(as_text=True)
        assert re.search(
            rf"{name} was changed by {winner} on \d{{4}}-\d\d-\d\d \d\d:\d\d "
            r"while you were editing it\. Your changes were not saved",
            html,
        ), html
        db.session.rollback()
        saved = db.session.get(Municipality, town_id)
        if winner == "Olena":
            assert (saved.population, saved.region) == (14000, "")
        else:
            assert (saved.population, saved.region) == (None, "Kujawy")
        # The form now shows the saved profile, so saving it again keeps the other's change.
        assert re.search(r'name="version"[^>]*value="2"', html) or re.search(
            r'value="2"[^>]*name="version"', html
        )


@pytest.mark.parametrize("stale", [True, False])
def test_a_stale_edit_form_does_not_overwrite(client, login_as, make_user, stale):
    olena = client_for(client.application, make_user("coordinator", name="Olena"))
    login_as("coordinator")
    town = negotiating("Żyraków")
    mine = edit_form(client, town.id)
    if stale:
        theirs = edit_form(olena, town.id)
        assert olena.post(f"/candidates/{town.id}/edit", data={**theirs, "population": "14000"})
    g.pop("_login_user", None)
    response = client.post(f"/candidates/{town.id}/edit", data={**mine, "region": "Podkarpackie"})
    db.session.rollback()
    saved = db.session.get(Municipality, town.id)
    if stale:
        assert response.status_code == 409
        assert (saved.population, saved.region) == (14000, "")
    else:
        assert response.status_code == 302
        assert saved.region == "Podkarpackie"


def contact_form(client: Any, town_id: int, contact_id: int) -> dict[str, str]:
    g.pop("_login_user", None)
    html = client.get(f"/candidates/{town_id}/contacts/{contact_id}").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    for checkbox in ("primary", "csrf_token"):
        fields.pop(checkbox, None)
    return fields


def test_two_people_editing_one_contact_at_once(app, make_user):
    olena = client_for(app, make_user("coordinator", name="Olena"))
    taras = client_for(app, make_user("coordinator", name="Taras"))
    pairs = []
    for n in range(PAIRS):
        town = negotiating(f"Olaine {n}")
        contact = services.add_contact(
            db.session, town, {"email": f"dome{n}@olaine.example"}, user_id=None
        )
        db.session.commit()
        pairs.append((town.id, contact.id))
    for town_id, contact_id in pairs:
        url = f"/candidates/{town_id}/contacts/{contact_id}"
        seen_by_olena = contact_form(olena, town_id, contact_id)
        seen_by_taras = contact_form(taras, town_id, contact_id)
        assert seen_by_olena["version"] == seen_by_taras["version"] == "1"
        by_olena, by_taras = at_once(
            partial(olena.post, url, data={**seen_by_olena, "name": "Andris Bergs"}),
            partial(taras.post, url, data={**seen_by_taras, "role": "Mayor"}),
        )
        assert sorted([by_olena.status_code, by_taras.status_code]) == [302, 409]
        loser = by_olena if by_olena.status_code == 409 else by_taras
        winner = "Taras" if loser is by_olena else "Olena"
        # The contact is named as the loser's request read it: before or after the winner's save.
        page = loser.get_data(as_text=True)
        named = r"(dome\d+@olaine\.example|Andris Bergs)"
        assert re.search(rf"{named} was changed by {winner} on ", page), page
        db.session.rollback()
        saved = db.session.get(Contact, contact_id)
        expected = ("Andris Bergs", "") if winner == "Olena" else ("", "Mayor")
        assert (saved.name, saved.role) == expected
