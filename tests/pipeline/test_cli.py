"""The ``outreach candidates`` command group: import, export, list, move."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import Municipality, StageChange


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Municipality))


def write(tmp_path, text: str, name: str = "in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def seed() -> dict[str, int]:
    olaine = services.create_candidate(
        db.session,
        {"name": "Olaine", "name_local": "Olaines novads", "country": "LV", "languages": "lv;en"},
        user_id=None,
        contact={"email": "mayor@olaine.example"},
    )
    friedberg = services.create_candidate(
        db.session,
        {"name": "Friedberg", "country": "DE", "themes": "energy", "population": "29000"},
        user_id=None,
    )
    services.move(db.session, friedberg, "letter_sent", user_id=None)
    db.session.commit()
    return {"olaine": olaine.id, "friedberg": friedberg.id}


GOOD = (
    "name,country,email,languages\n"
    "Olaine,LV,mayor@olaine.example,lv\n"
    "Casteltermini,IT,sindaco@casteltermini.example,it\n"
    "Friedberg,DE,rathaus@friedberg.example,de\n"
)


def test_import_prints_counts(app, runner, tmp_path):
    result = runner.invoke(args=["candidates", "import", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported: 3 new, 0 updated, 0 unchanged\n"
    assert count() == 3


def test_import_three_good_one_bad_writes_nothing_and_exits_1(app, runner, tmp_path):
    text = GOOD + "Żyraków,PL,wojt@zyrakow.example,pl;qq\n"
    result = runner.invoke(args=["candidates", "import", write(tmp_path, text)])
    assert result.exit_code == 1
    assert result.stdout == (
        "row 5, field languages: unknown language code 'qq' (ISO 639-1, e.g. pl)\n"
    )
    assert "nothing imported" in result.stderr
    assert count() == 0


def test_import_header_report(app, runner, tmp_path):
    path = write(tmp_path, "name,country,website,foo\nOlaine,LV,olaine.example,1\n")
    result = runner.invoke(args=["candidates", "import", path])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "header: unknown column foo",
        "header: missing column email",
    ]


def test_import_existing_needs_update_and_dry_run_writes_nothing(app, runner, tmp_path):
    seed()
    path = write(tmp_path, GOOD)
    refused = runner.invoke(args=["candidates", "import", path])
    assert refused.exit_code == 1
    assert refused.stdout.splitlines() == [
        "row 2, field name: Olaine (LV) already exists",
        "row 4, field name: Friedberg (DE) already exists",
    ]
    dry = runner.invoke(args=["candidates", "import", path, "--update", "--dry-run"])
    assert dry.exit_code == 0
    assert dry.stdout == "dry run: 1 new, 2 updated, 0 unchanged; nothing written\n"
    assert count() == 2
    done = runner.invoke(args=["candidates", "import", "--update", path])
    assert done.exit_code == 0 and done.stdout == "imported: 1 new, 2 updated, 0 unchanged\n"
    assert count() == 3


def test_export_to_stdout_and_file_round_trip(app, runner, tmp_path):
    seed()
    out = runner.invoke(args=["candidates", "export", "-"])
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("name,name_local,country,region,region_local,population,languages")
    assert len(lines) == 3
    path = tmp_path / "out.csv"
    assert runner.invoke(args=["candidates", "export", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == out.stdout
    again = runner.invoke(args=["candidates", "import", "--update", str(path)])
    assert again.stdout == "imported: 0 new, 0 updated, 2 unchanged\n"


def test_list_json_shape_and_filters(app, runner, make_user):
    ids = seed()
    owner = make_user("coordinator", email="owner@office.example")
    db.session.get(Municipality, ids["olaine"]).owner_id = owner.id
    db.session.commit()

    result = runner.invoke(args=["candidates", "list", "--json"])
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [item["name"] for item in items] == ["Friedberg", "Olaine"]
    olaine = items[1]
    assert olaine == {
        "id": ids["olaine"],
        "name": "Olaine",
        "name_local": "Olaines novads",
        "country": "LV",
        "region": "",
        "population": None,
        "languages": ["lv", "en"],
        "themes": [],
        "stage": "analysed",
        "email": "mayor@olaine.example",
        "owner": "owner@office.example",
        "days_in_stage": 0,
    }
    assert items[0]["email"] is None and items[0]["themes"] == ["energy"]

    staged = json.loads(
        runner.invoke(args=["candidates", "list", "--json", "--stage", "letter_sent"]).stdout
    )
    assert [item["name"] for item in staged] == ["Friedberg"]
    latvian = json.loads(
        runner.invoke(args=["candidates", "list", "--json", "--country", "lv"]).stdout
    )
    assert [item["id"] for item in latvian] == [ids["olaine"]]
    none = runner.invoke(args=["candidates", "list", "--json", "--country", "IT"])
    assert json.loads(none.stdout) == []


def test_list_table(app, runner):
    seed()
    result = runner.invoke(args=["candidates", "list"])
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["id", "name", "country", "stage"]
    assert "Olaine" in rows[1] and "mayor@olaine.example" in rows[1]


def test_move(app, runner):
    ids = seed()
    result = runner.invoke(
        args=["candidates", "move", str(ids["olaine"]), "letter_sent", "--note", "by post"]
    )
    assert result.exit_code == 0
    assert result.stdout == "Olaine (LV) is now in letter_sent\n"
    db.session.rollback()
    change = db.session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
    assert (change.to_stage, change.note) == ("letter_sent", "by post")


def test_move_refused_exits_1_with_the_reason(app, runner):
    ids = seed()
    result = runner.invoke(args=["candidates", "move", str(ids["olaine"]), "signed"])
    assert result.exit_code == 1
    assert "Olaine cannot move from analysed to signed" in result.stderr
    declined = runner.invoke(args=["candidates", "move", str(ids["friedberg"]), "declined"])
    assert declined.exit_code == 1 and "a reason is required to decline" in declined.stderr
    ok = runner.invoke(
        args=["candidates", "move", str(ids["friedberg"]), "declined", "--reason", "no budget"]
    )
    assert ok.exit_code == 0
    db.session.rollback()
    assert db.session.get(Municipality, ids["friedberg"]).decline_reason == "no budget"
    missing = runner.invoke(args=["candidates", "move", "999999", "signed"])
    assert missing.exit_code == 1 and "no candidate with id 999999" in missing.stderr


def test_import_from_standard_input(app, runner):
    result = runner.invoke(args=["candidates", "import", "-"], input=GOOD.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported: 3 new, 0 updated, 0 unchanged\n"
