"""The candidate list, a candidate's page, and the forms to create and edit candidates."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from outreach.clock import utcnow
from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import AuditEntry, Contact, Municipality


def add(name: str, country: str = "PL", **data: Any) -> Municipality:
    fields = {"name": name, "country": country, "languages": "pl;en", "themes": "education"}
    fields.update(data)
    town = services.create_candidate(db.session, fields, user_id=fields.get("owner_id"))
    db.session.commit()
    return town


def listed(client: Any, query: str = "") -> list[str]:
    html = client.get("/candidates" + (f"?{query}" if query else "")).get_data(as_text=True)
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    return re.findall(r'<td><a href="/candidates/\d+">([^<]+)</a>', body)


@pytest.fixture
def towns(app: Any, make_user: Any) -> dict[str, Any]:
    owner = make_user("coordinator", name="Iryna")
    olaine = add("Olaine", "LV", languages="lv", region="Pierīga", population=20000)
    dabrowa = add(
        "Dąbrowa", "PL", name_local="Gmina Dąbrowa", region="Kujawsko-Pomorskie", population=5900
    )
    services.move(db.session, dabrowa, "letter_sent", user_id=None)
    zyrakow = add("Żyraków", "PL", region="Podkarpackie", owner_id=owner.id, themes="energy")
    casteltermini = add("Casteltermini", "IT", languages="it", region="Sicilia")
    db.session.commit()
    return {
        "owner": owner,
        "Olaine": olaine,
        "Dąbrowa": dabrowa,
        "Żyraków": zyrakow,
        "Casteltermini": casteltermini,
    }


def test_list_searches_and_filters(client, login_as, towns):
    login_as("viewer")
    assert set(listed(client)) == {"Olaine", "Dąbrowa", "Żyraków", "Casteltermini"}
    assert listed(client, "q=OLAI") == ["Olaine"]
    assert listed(client, "q=gmina") == ["Dąbrowa"]  # the local name
    assert listed(client, "q=sicil") == ["Casteltermini"]  # the region
    assert listed(client, "stage=letter_sent") == ["Dąbrowa"]
    assert set(listed(client, "country=PL")) == {"Dąbrowa", "Żyraków"}
    assert listed(client, "language=it") == ["Casteltermini"]
    assert listed(client, "theme=energy") == ["Żyraków"]
    assert listed(client, f"owner={towns['owner'].id}") == ["Żyraków"]
    assert listed(client, "q=nowhere") == []
    assert "No candidates match." in client.get("/candidates?q=nowhere").get_data(as_text=True)


def test_list_sorts_by_clicked_column(client, login_as, towns):
    login_as("viewer")
    assert listed(client, "sort=name") == ["Casteltermini", "Dąbrowa", "Olaine", "Żyraków"]
    assert listed(client, "sort=population&dir=desc")[:2] == ["Olaine", "Dąbrowa"]
    assert listed(client, "sort=population")[:2] == ["Dąbrowa", "Olaine"]
    assert listed(client, "sort=country")[0] == "Casteltermini"
    assert listed(client, "sort=stage&dir=desc")[0] == "Dąbrowa"
    html = client.get("/candidates?sort=name").get_data(as_text=True)
    # Clicking the active header flips the direction.
    assert 'href="/candidates?sort=name&amp;dir=desc"' in html
    assert listed(client, "sort=bogus&dir=sideways")[0] == "Casteltermini"


def test_list_sorts_by_days_in_stage(client, login_as, app):
    login_as("viewer")
    now = utcnow()
    rows = [
        {"name": "Fresh", "country": "PL", "stage_changed_at": now - timedelta(days=1)},
        {"name": "Stale", "country": "PL", "stage_changed_at": now - timedelta(days=90)},
        {"name": "Middle", "country": "PL", "stage_changed_at": now - timedelta(days=30)},
    ]
    db.session.execute(insert(Municipality), rows)
    db.session.commit()
    assert listed(client, "sort=days") == ["Fresh", "Middle", "Stale"]
    assert listed(client, "sort=days&dir=desc") == ["Stale", "Middle", "Fresh"]


def test_list_paginates_by_fifty_with_a_constant_query_count(client, login_as, app):
    login_as("viewer")

    def fill(start: int, n: int) -> None:
        rows = [{"name": f"Town {i:03d}", "country": "PL"} for i in range(start, start + n)]
        db.session.execute(insert(Municipality), rows)
        db.session.commit()

    def queries(query: str) -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        client.get("/candidates")
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            client.get("/candidates?" + query)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    fill(0, 10)
    small = queries("sort=name")
    fill(10, 110)
    assert queries("sort=name") == small
    assert listed(client, "sort=name") == [f"Town {i:03d}" for i in range(50)]
    assert listed(client, "sort=name&page=3") == [f"Town {i:03d}" for i in range(100, 120)]
    html = client.get("/candidates?sort=name&country=PL").get_data(as_text=True)
    assert "(120)" in html
    # Page links keep the filters and the order.
    assert 'href="/candidates?page=2&amp;country=PL&amp;sort=name&amp;dir=asc"' in html
    assert listed(client, "sort=name&page=99") == [f"Town {i:03d}" for i in range(100, 120)]


def test_create_shows_errors_per_field_and_writes_nothing(client, login_as):
    login_as("coordinator")
    response = client.post(
        "/candidates/new",
        data={"name": "Olaine", "country": "XX", "population": "about 20k", "languages": "lv"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    country = re.search(
        r'<div class="field has-error">\s*<label for="country".*?</div>', html, re.S
    )
    assert country and "unknown country code" in country.group(0)
    population = re.search(
        r'<div class="field has-error">\s*<label for="population".*?</div>', html, re.S
    )
    assert population and "is not a whole number" in population.group(0)
    assert db.session.scalar(select(func.count(Municipality.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_create_a_candidate(client, login_as):
    user = login_as("coordinator")
    form = client.get("/candidates/new").get_data(as_text=True)
    assert '<option value="LV">' in form or 'value="LV"' in form
    response = client.post(
        "/candidates/new",
        data={
            "name": "Olaine",
            "name_local": "Olaines novads",
            "country": "LV",
            "region": "Pierīga",
            "population": "19 500",
            "website": "olaine.lv",
            "languages": "lv;en",
            "themes": ["education", "youth"],
            "source": "cities4cities",
            "owner_id": str(user.id),
        },
    )
    assert response.status_code == 302
    town = db.session.scalars(select(Municipality)).one()
    assert response.location.endswith(f"/candidates/{town.id}")
    assert (town.country, town.population, town.themes, town.website) == (
        "LV",
        19500,
        ["education", "youth"],
        "https://olaine.lv",
    )
    assert town.owner_id == user.id and town.stage == "analysed"
    page = client.get(response.location).get_data(as_text=True)
    assert "Olaine added." in page and "Olaines novads" in page


def test_duplicate_name_is_refused_on_the_name_field(client, login_as):
    login_as("coordinator")
    add("Olaine", "LV")
    html = client.post("/candidates/new", data={"name": "Olaine", "country": "LV"}).get_data(
        as_text=True
    )
    assert "already exists" in html
    assert db.session.scalar(select(func.count(Municipality.id))) == 1


def test_edit_is_recorded_in_the_audit_trail_on_the_page(client, login_as):
    user = login_as("coordinator", name="Olena Koval")
    town = add("Olaine", "LV", population=20000)
    form = client.get(f"/candidates/{town.id}/edit").get_data(as_text=True)
    assert 'value="20000"' in form
    assert re.search(r'<input checked[^>]*value="education"', form)
    assert re.search(r'<option selected value="LV">', form)
    response = client.post(
        f"/candidates/{town.id}/edit",
        data={
            "name": "Olaine",
            "country": "LV",
            "population": "19500",
            "languages": "lv",
            "themes": ["education"],
            "source": "manual",
            "owner_id": str(user.id),
            "version": "1",
        },
    )
    assert response.status_code == 302
    html = client.get(f"/candidates/{town.id}").get_data(as_text=True)
    assert "Changes saved." in html
    trail = html.split("Audit trail", 1)[1]
    assert "Olena Koval" in trail
    assert re.search(r"population</span>: 20000 → 19500", trail)
    assert re.search(r"languages</span>: pl;en → lv", trail)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.user_id == user.id


def test_edit_errors_change_nothing(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV", population=20000)
    html = client.post(
        f"/candidates/{town.id}/edit",
        data={
            "name": "",
            "country": "LV",
            "population": "lots",
            "website": "not a site",
            "version": "1",
        },
    ).get_data(as_text=True)
    assert "is required" in html and "is not a whole number" in html
    assert "is not a web address" in html
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).population == 20000


def test_viewer_reads_but_cannot_write(client, login_as):
    login_as("viewer")
    town = add("Olaine", "LV")
    page = client.get(f"/candidates/{town.id}").get_data(as_text=True)
    assert "Olaine" in page and "/edit" not in page and "Add note" not in page
    assert client.get("/candidates/new").status_code == 403
    assert client.post("/candidates/new", data={"name": "X", "country": "PL"}).status_code == 403
    assert client.get(f"/candidates/{town.id}/edit").status_code == 403
    assert client.post(f"/candidates/{town.id}/notes", data={"body": "hi"}).status_code == 403
    assert client.get(f"/candidates/{town.id}/contacts/new").status_code == 403
    assert "New candidate" not in client.get("/candidates").get_data(as_text=True)


def test_candidate_page_shows_timeline_of_moves_and_notes(client, login_as):
    login_as("coordinator", name="Olena")
    town = add("Olaine", "LV")
    client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "letter_sent", "from_stage": "analysed", "note": "by post"},
    )
    response = client.post(f"/candidates/{town.id}/notes", data={"body": "Mayor visits in May"})
    assert response.status_code == 302
    html = client.get(f"/candidates/{town.id}").get_data(as_text=True)
    timeline = html.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.index("Mayor visits in May") < timeline.index(
        "Moved from Analysed to Letter sent"
    )
    assert "by post" in timeline and "Added as Analysed" in timeline and "Olena" in timeline
    # The move form on the page offers the stages allowed from here.
    move = html.split('class="move-form"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'<option value="(\w+)"', move) == [
        "analysed",
        "negotiating",
        "declined",
        "on_hold",
    ]
    response = client.post(
        f"/candidates/{town.id}/move",
        data={
            "to_stage": "declined",
            "from_stage": "letter_sent",
            "next": f"/candidates/{town.id}",
        },
        follow_redirects=True,
    )
    assert "a reason is required to decline" in response.get_data(as_text=True)
    assert client.post(f"/candidates/{town.id}/notes", data={"body": "  "}).status_code == 302


def test_contacts_add_edit_and_make_primary(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV")
    response = client.post(
        f"/candidates/{town.id}/contacts/new",
        data={"name": "Dome", "email": "not-an-address", "language": "xx"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'has-error">\s*<label for="email".*?is not a valid address', html, re.S)
    assert re.search(r'has-error">\s*<label for="language".*?unknown language code', html, re.S)
    assert db.session.scalar(select(func.count(Contact.id))) == 0

    client.post(
        f"/candidates/{town.id}/contacts/new",
        data={"name": "Dome", "email": "dome@olaine.example", "language": "lv"},
    )
    client.post(
        f"/candidates/{town.id}/contacts/new",
        data={"name": "Mayor", "email": "mayor@olaine.example", "language": "en"},
    )
    contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    assert [c.is_primary for c in contacts] == [True, False]
    mayor = contacts[1]
    client.post(
        f"/candidates/{town.id}/contacts/{mayor.id}",
        data={
            "name": "Mayor Andris",
            "email": "mayor@olaine.example",
            "language": "lv",
            "version": "1",
        },
    )
    client.post(f"/candidates/{town.id}/contacts/{mayor.id}/primary")
    db.session.expire_all()
    contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    assert [c.is_primary for c in contacts] == [False, True]
    assert contacts[1].name == "Mayor Andris" and contacts[1].language == "lv"
    html = client.get(f"/candidates/{town.id}").get_data(as_text=True)
    listed_contacts = html.split('class="contacts"', 1)[1]
    assert listed_contacts.index("Mayor Andris") < listed_contacts.index("Dome")
    assert "primary: dome@olaine.example → mayor@olaine.example" in html.replace(
        '<span class="field-name">primary</span>', "primary"
    )


def test_script_in_a_name_is_shown_escaped(client, login_as):
    login_as("coordinator")
    town = add("<script>alert(1)</script>", "PL", region="<b>bold</b>")
    for path in ("/board", "/candidates", f"/candidates/{town.id}", f"/candidates/{town.id}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_unknown_candidate_is_404(client, login_as):
    login_as("coordinator")
    assert client.get("/candidates/999999").status_code == 404
    assert client.post("/candidates/999999/move", data={"to_stage": "signed"}).status_code == 404
