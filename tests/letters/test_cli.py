"""Command line: templates list/set, letters preview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from outreach.extensions import db
from outreach.letters.models import LetterTemplate

GOOD = (
    "Subject: Proposal for {{ candidate.name }}\n\n{{ contact.salutation }},\n"
    "{{ us.signatory_name }}\n"
)


def test_templates_list_json_and_table(runner: Any, settings: Any) -> None:
    result = runner.invoke(args=["templates", "list", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    pairs = {(i["letter"], i["language"]) for i in items}
    for language in ("uk", "en", "pl", "de", "it", "lv", "lt", "fr"):
        for kind in ("proposal", "follow_up", "second_follow_up"):
            assert (kind, language) in pairs
    assert all(i["source"] == "file" and i["version"] == 0 for i in items)
    table = runner.invoke(args=["templates", "list"])
    assert table.exit_code == 0 and "proposal" in table.output and "file" in table.output


def test_templates_set_valid_and_invalid(runner: Any, settings: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.j2"
    bad.write_text("Subject: Hi\n\n{{ ''|attr('__class__') }}", encoding="utf-8")
    result = runner.invoke(args=["templates", "set", "proposal", "pl", str(bad)])
    assert result.exit_code != 0
    assert "refused: templates may not access internal attributes (__class__) on line 3" in (
        result.output
    )
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0

    good = tmp_path / "good.j2"
    good.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["templates", "set", "proposal", "pl", str(good)])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output
    items = json.loads(runner.invoke(args=["templates", "list", "--json"]).output)
    polish = next(i for i in items if (i["letter"], i["language"]) == ("proposal", "pl"))
    assert (polish["source"], polish["version"]) == ("custom", 1)


def test_letters_preview_json(runner: Any, make_candidate: Any) -> None:
    m = make_candidate("Olaine", "LV", "lv", contact={"email": "dome@olaine.example"})
    result = runner.invoke(args=["letters", "preview", str(m.id), "--letter", "proposal", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["language"] == "lv"
    assert data["reason"] == "Latvian: the municipality's first language"
    assert data["version"] == 0 and data["subject"] and data["text"]
    assert data["html"].startswith("<!doctype html>")

    result = runner.invoke(
        args=["letters", "preview", str(m.id), "--letter", "proposal", "--language", "en"]
    )
    assert result.exit_code == 0
    assert "Language: en (English: chosen by hand)" in result.output


def test_letters_preview_errors(runner: Any, settings: Any) -> None:
    result = runner.invoke(args=["letters", "preview", "999", "--letter", "proposal"])
    assert result.exit_code != 0 and "candidate 999 does not exist" in result.output
    result = runner.invoke(args=["letters", "preview", "1", "--letter", "../x"])
    assert result.exit_code != 0 and "unknown letter" in result.output
