"""The board: columns with counts, cards, moving cards, "show more", filters, query count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from outreach.clock import travel, utcnow
from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import Municipality, StageChange
from outreach.pipeline.stages import ORDER


def add(name: str, country: str = "PL", stage: str | None = None, **data: Any) -> Municipality:
    fields = {"name": name, "country": country, "languages": "pl;en", "themes": "education"}
    fields.update(data)
    town = services.create_candidate(db.session, fields, user_id=fields.get("owner_id"))
    if stage == "letter_sent":
        services.move(db.session, town, "letter_sent", user_id=None)
    elif stage is not None:
        raise ValueError(stage)
    db.session.commit()
    return town


def column(html: str, stage: str) -> str:
    match = re.search(
        rf'<section class="column" data-stage="{stage}".*?</section>', html, flags=re.S
    )
    assert match, f"no column {stage}"
    return match.group(0)


def count(html: str, stage: str) -> int:
    return int(re.search(r'<span class="count">(\d+)</span>', column(html, stage)).group(1))


def card_ids(html: str, stage: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-candidate-id="(\d+)"', column(html, stage))]


def test_board_shows_a_column_per_stage_with_counts_and_cards(client, login_as):
    user = login_as("coordinator", name="Olena")
    olaine = add("Olaine", "LV", languages="lv;en", owner_id=user.id)
    dabrowa = add("Dąbrowa", stage="letter_sent")
    html = client.get("/board").get_data(as_text=True)
    assert [s.value for s in ORDER] == re.findall(
        r'<section class="column" data-stage="(\w+)"', html
    )
    assert count(html, "analysed") == 1 and count(html, "letter_sent") == 1
    assert count(html, "signed") == 0
    assert card_ids(html, "analysed") == [olaine.id]
    assert card_ids(html, "letter_sent") == [dabrowa.id]
    card = column(html, "analysed")
    assert "Olaine" in card and "\U0001f1f1\U0001f1fb" in card  # the Latvian flag
    assert ">lv<" in card and "Olena" in card and "0 days" in card
    assert 'draggable="true"' in card and "<details" in card


def test_days_in_stage_count_up(client, login_as):
    login_as("viewer")
    add("Olaine", "LV")
    with travel(timedelta(days=12)):
        html = client.get("/board").get_data(as_text=True)
    assert "12 days" in column(html, "analysed")


def test_viewer_sees_no_move_controls_and_cannot_move(client, login_as):
    login_as("viewer")
    town = add("Olaine", "LV")
    html = client.get("/board").get_data(as_text=True)
    assert card_ids(html, "analysed") == [town.id]
    assert 'draggable="true"' not in html and "<details" not in html
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "letter_sent"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403
    assert (
        client.post(f"/candidates/{town.id}/move", data={"to_stage": "letter_sent"}).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "analysed"


def move_json(client: Any, town_id: int, **data: str) -> Any:
    """Move as the board does, from the stage the card shows (the candidate's stage now)."""
    if "from_stage" not in data:
        data["from_stage"] = db.session.get(Municipality, town_id).stage
    db.session.rollback()
    return client.post(
        f"/candidates/{town_id}/move", data=data, headers={"Accept": "application/json"}
    )


def test_move_by_json(client, login_as):
    user = login_as("coordinator")
    town = add("Olaine", "LV")
    response = move_json(client, town.id, to_stage="letter_sent")
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["stage"] == "letter_sent"
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "letter_sent"
    change = db.session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
    assert (change.from_stage, change.to_stage, change.user_id) == (
        "analysed",
        "letter_sent",
        user.id,
    )
    html = client.get("/board").get_data(as_text=True)
    assert card_ids(html, "letter_sent") == [town.id] and card_ids(html, "analysed") == []


def test_refused_move_answers_with_the_reason(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV")
    response = move_json(client, town.id, to_stage="signed")
    assert 400 <= response.status_code < 500
    assert "cannot move from analysed to signed" in response.json["error"]
    response = move_json(client, town.id, to_stage="declined")
    assert 400 <= response.status_code < 500 and "reason" in response.json["error"]
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "analysed"
    response = move_json(client, town.id, to_stage="declined", reason="no capacity")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).decline_reason == "no capacity"


@pytest.mark.csrf
def test_move_without_csrf_token_is_refused(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV")
    assert move_json(client, town.id, to_stage="letter_sent").status_code == 400
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "analysed"


@pytest.mark.csrf
def test_move_with_the_csrf_header_is_accepted(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV")
    html = client.get("/board").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "letter_sent", "from_stage": "analysed"},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 200 and response.json["stage"] == "letter_sent"


def test_move_by_the_form_without_javascript(client, login_as):
    login_as("coordinator")
    town = add("Olaine", "LV")
    response = client.post(
        f"/candidates/{town.id}/move",
        data={
            "to_stage": "letter_sent",
            "from_stage": "analysed",
            "note": "posted",
            "next": "/board?country=LV",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/board?country=LV")
    html = client.get("/board").get_data(as_text=True)
    assert "Olaine moved to Letter sent." in html
    assert card_ids(html, "letter_sent") == [town.id]
    # A refused move comes back with the reason, and nothing changes.
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "signed", "from_stage": "letter_sent"},
        follow_redirects=True,
    )
    assert "cannot move from letter_sent to signed" in response.get_data(as_text=True)
    # Signing records the date given on the form.
    client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "negotiating", "from_stage": "letter_sent"},
    )
    client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "signed", "from_stage": "negotiating", "agreement_date": "2026-03-14"},
    )
    db.session.expire_all()
    town = db.session.get(Municipality, town.id)
    assert town.stage == "signed" and town.agreement_date.isoformat() == "2026-03-14"


def test_move_form_offers_only_allowed_stages(client, login_as):
    login_as("coordinator")
    add("Olaine", "LV")
    card = column(client.get("/board").get_data(as_text=True), "analysed")
    offered = re.findall(r'<option value="(\w+)"', card)
    assert offered == ["letter_sent", "declined", "on_hold"]


def bulk(n: int, stage: str = "analysed", country: str = "PL", **extra: Any) -> None:
    """Insert ``n`` candidates quickly, one second apart in the stage (newest last)."""
    now = utcnow()
    rows = [
        {
            "name": f"Gmina {stage} {country} {i:04d}",
            "country": country,
            "languages": ["pl"],
            "themes": ["energy"],
            "stage": stage,
            "stage_changed_at": now - timedelta(seconds=n - i),
            **extra,
        }
        for i in range(n)
    ]
    db.session.execute(insert(Municipality), rows)
    db.session.commit()


def test_a_column_shows_fifty_cards_and_more_on_request(client, login_as):
    login_as("viewer")
    bulk(120)
    html = client.get("/board").get_data(as_text=True)
    assert count(html, "analysed") == 120
    ids = card_ids(html, "analysed")
    assert len(ids) == 50
    newest = db.session.scalars(
        select(Municipality.id).order_by(Municipality.stage_changed_at.desc()).limit(50)
    ).all()
    assert ids == list(newest)
    link = re.search(r'<a class="more" href="([^"]+)"', column(html, "analysed")).group(1)
    assert "more=analysed" in link
    html = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(card_ids(html, "analysed")) == 100
    link = re.search(r'<a class="more" href="([^"]+)"', column(html, "analysed")).group(1)
    html = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(card_ids(html, "analysed")) == 120
    assert 'class="more"' not in column(html, "analysed")


def test_filters_narrow_the_board(client, login_as, make_user):
    login_as("viewer")
    owner = make_user("coordinator", name="Iryna")
    add("Olaine", "LV", languages="lv;en", themes="youth", region="Pierīga")
    add("Dąbrowa", "PL", owner_id=owner.id, themes="energy;water", stage="letter_sent")
    add("Friedberg", "DE", languages="de", themes="culture")

    def names(query: str) -> set[str]:
        html = client.get("/board?" + query).get_data(as_text=True)
        return set(re.findall(r'class="title"[^>]*>([^<]+)<', html))

    assert names("") == {"Olaine", "Dąbrowa", "Friedberg"}
    assert names("country=LV") == {"Olaine"}
    assert names("language=de") == {"Friedberg"}
    assert names("language=en") == {"Olaine", "Dąbrowa"}
    assert names("theme=water") == {"Dąbrowa"}
    assert names(f"owner={owner.id}") == {"Dąbrowa"}
    assert names("q=pier") == {"Olaine"}
    assert names("q=FRIED") == {"Friedberg"}
    html = client.get("/board?country=PL").get_data(as_text=True)
    assert count(html, "letter_sent") == 1 and count(html, "analysed") == 0
    assert names("waiting=5") == set()
    with travel(timedelta(days=10)):
        assert names("waiting=5") == {"Olaine", "Dąbrowa", "Friedberg"}
    for odd in ("waiting=soon", "waiting=-3", "waiting=99999999999999", "owner=x", "more=nowhere"):
        assert client.get("/board?" + odd).status_code == 200, odd


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_board_query_count_does_not_grow_with_candidates(client, login_as, make_user):
    login_as("coordinator")
    owners = [make_user("coordinator").id for _ in range(3)]

    def fill(n: int, country: str) -> None:
        now = utcnow()
        rows = [
            {
                "name": f"Town {country} {i}",
                "country": country,
                "stage": ORDER[i % len(ORDER)].value,
                "stage_changed_at": now - timedelta(hours=i),
                "owner_id": owners[i % len(owners)],
            }
            for i in range(n)
        ]
        db.session.execute(insert(Municipality), rows)
        db.session.commit()

    def board_queries() -> int:
        client.get("/board")  # warm up: first-request work is not the board's
        with counting_statements() as statements:
            html = client.get("/board").get_data(as_text=True)
        assert html.count('class="card"') == db.session.scalar(select(func.count(Municipality.id)))
        return len(statements)

    fill(10, "LV")
    small = board_queries()
    fill(190, "PL")
    assert db.session.scalar(select(func.count(Municipality.id))) == 200
    large = board_queries()
    assert small == large
    # counts, six columns, filter choices, and the reply marks (waiting, bounced): a fixed set
    assert large <= 16
