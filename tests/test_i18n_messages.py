"""Messages from the rules (field errors, refused moves, import reports) speak the user's language.

The command line and background jobs run outside a request and keep the English texts.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

from flask_babel import refresh
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import Municipality

BAD_CANDIDATE = {"name": "Olaine", "country": "XX", "population": "about 20k", "languages": "lv"}
BAD_CSV = "name,country,email,population\nOlaine,XX,office@olaine.example,about 20k\n"


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<div class="field has-error">\s*<label for="{name}".*?</div>', page, re.S)
    assert found, f"no error shown under {name}"
    return html.unescape(found.group(0))


def add(name: str, country: str) -> Municipality:
    town = services.create_candidate(db.session, {"name": name, "country": country}, user_id=None)
    db.session.commit()
    return town


def test_a_ukrainian_user_sees_form_errors_in_ukrainian(client, login_as):
    login_as("coordinator", locale="uk")
    response = client.post("/candidates/new", data=BAD_CANDIDATE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    country = field_error(page, "country")
    assert "невідомий код країни 'XX' (потрібен код ISO 3166-1 alpha-2, наприклад PL)" in country
    assert "unknown country code" not in country
    population = field_error(page, "population")
    assert "'about 20k' не є цілим числом" in population
    assert "whole number" not in population
    assert db.session.scalar(select(func.count(Municipality.id))) == 0


def test_the_language_switch_applies_to_form_errors(client, login_as):
    login_as("coordinator")
    client.post("/locale/uk")
    refresh()
    page = client.post("/candidates/new", data=BAD_CANDIDATE).get_data(as_text=True)
    assert "невідомий код країни 'XX'" in field_error(page, "country")


def test_an_english_user_sees_the_english_texts(client, login_as):
    login_as("coordinator")
    page = client.post(
        "/candidates/new", data=BAD_CANDIDATE, headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "unknown country code 'XX' (ISO 3166-1 alpha-2, e.g. PL)" in field_error(page, "country")
    assert "'about 20k' is not a whole number" in field_error(page, "population")


def test_a_refused_move_is_explained_in_ukrainian(client, login_as):
    login_as("coordinator", locale="uk")
    town = add("Olaine", "LV")
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "signed", "from_stage": "analysed"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.json["ok"] is False
    assert response.json["error"] == (
        "Olaine: перехід з етапу «analysed» на етап «signed» неможливий"
        " (дозволено: letter_sent, declined, on_hold)"
    )
    response = client.post(
        f"/candidates/{town.id}/move",
        data={"to_stage": "declined", "from_stage": "analysed"},
        headers={"Accept": "application/json"},
    )
    assert response.json["error"] == "для відмови потрібно вказати причину"
    db.session.expire_all()
    assert db.session.get(Municipality, town.id).stage == "analysed"


def test_the_import_report_keeps_its_english_prefixes(client, login_as):
    login_as("coordinator", locale="uk")
    form = {"file": (io.BytesIO(BAD_CSV.encode()), "candidates.csv"), "submit": "Import"}
    response = client.post("/candidates/import", data=form, content_type="multipart/form-data")
    page = html.unescape(response.get_data(as_text=True))
    assert "row 2, field country: невідомий код країни 'XX' (потрібен код" in page
    assert "row 2, field population: 'about 20k' не є цілим числом" in page


def test_the_command_line_stays_english(client, login_as, runner, tmp_path: Any):
    # A Ukrainian page first: nothing of its language may stick to the command line.
    login_as("coordinator", locale="uk")
    client.post("/candidates/new", data=BAD_CANDIDATE)
    refresh()  # the test's app context outlives requests; Flask-Babel caches the locale there
    path = tmp_path / "candidates.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = runner.invoke(args=["candidates", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2, field country: unknown country code 'XX' (ISO 3166-1 alpha-2, e.g. PL)" in (
        result.output
    )
    assert "row 2, field population: 'about 20k' is not a whole number" in result.output
    town = add("Olaine", "LV")
    result = runner.invoke(args=["candidates", "move", str(town.id), "signed"])
    assert result.exit_code == 1
    assert (
        "Olaine cannot move from analysed to signed (allowed: letter_sent, declined, on_hold)"
        in result.output
    )


def test_template_checks_speak_the_editors_language(app):
    from outreach.letters import versions

    text = "Subject: {{ candidate.__class__ }}\n\nBody"
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        assert versions.static_problems(text)[0].startswith("відхилено: ")
    assert versions.static_problems(text)[0] == (
        "refused: templates may not access internal attributes (__class__) on line 1"
    )
