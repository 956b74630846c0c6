"""CSV import and export: the service, the import page and the download."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.pipeline import services, transfer
from outreach.pipeline.models import AuditEntry, Contact, Municipality, StageChange

HEADER = "name,country,email,population,languages,stage,notes"


def count(model=Municipality) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def run(text: str | bytes, **kwargs) -> transfer.ImportReport:
    report = transfer.import_csv(db.session, text, **kwargs)
    if report.written:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def add_olaine() -> Municipality:
    town = services.create_candidate(
        db.session,
        {"name": "Olaine", "country": "LV", "languages": "lv"},
        user_id=None,
        contact={"email": "dome@olaine.example", "name": "Dome", "language": "lv", "gender": "m"},
    )
    db.session.commit()
    return town


def by_name(name: str) -> Municipality:
    return db.session.scalars(select(Municipality).where(Municipality.name == name)).one()


@pytest.mark.parametrize(
    ("row", "line"),
    [
        ("Olaine,XX,a@olaine.example,,,,", "row 3, field country: unknown country code 'XX'"),
        ("Olaine,LV,not-an-address,,,,", "row 3, field email: 'not-an-address' is not a valid"),
        ("Olaine,LV,a@olaine.example,many,,,", "row 3, field population: 'many' is not a whole"),
        ("Olaine,LV,a@olaine.example,,lv;zz,,", "row 3, field languages: unknown language code"),
        ("Olaine,LV,a@olaine.example,,,won,", "row 3, field stage: unknown stage 'won'"),
        (",LV,a@olaine.example,,,,", "row 3, field name: is required"),
        ('Olaine,LV,a@olaine.example,,,,"two\nlines"', "row 3, field notes: line breaks"),
        ('"Ola\rine",LV,a@olaine.example,,,,', "row 3, field name: line breaks are not allowed"),
        ("Olaine,LV,,,,,", "row 3, field email: is required"),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_its_row_and_field(app, row, line):
    text = f"{HEADER}\nFriedberg,DE,rathaus@friedberg.example,29000,de,,\n{row}\n"
    report = run(text)
    assert not report.ok
    assert len(report.lines()) == 1
    assert report.lines()[0].startswith(line)
    assert count() == 0


def test_exact_messages_and_every_bad_row_listed(app):
    text = (
        f"{HEADER}\n"
        "Olaine,XX,mayor@olaine.example,,,,\n"
        "Casteltermini,IT,sindaco@casteltermini.example,7800,it,signed,\n"
        ',PL,"wojt@zyrakow.example",lots,xx,,\n'
        "Friedberg,DE,rathaus@friedberg.example,,,won,\n"
    )
    report = run(text)
    assert report.lines() == [
        "row 2, field country: unknown country code 'XX' (ISO 3166-1 alpha-2, e.g. PL)",
        "row 4, field name: is required",
        "row 4, field population: 'lots' is not a whole number",
        "row 4, field languages: unknown language code 'xx' (ISO 639-1, e.g. pl)",
        "row 5, field stage: unknown stage 'won' "
        "(one of: analysed, letter_sent, negotiating, signed, declined, on_hold)",
    ]
    assert count() == 0


def test_rows_are_numbered_as_a_spreadsheet_shows_them(app):
    text = (
        f"{HEADER}\n"
        'Olaine,LV,mayor@olaine.example,,,,"first line\nsecond line"\n'
        "\n"
        "Friedberg,DE,bad-address,,,,\n"
    )
    assert run(text).lines() == [
        "row 2, field notes: line breaks are not allowed here",
        "row 4, field email: 'bad-address' is not a valid address: "
        "An email address must have an @-sign.",
    ]


def test_header_problems(app):
    assert run("name,country,foo\nOlaine,LV,x\n").lines() == [
        "header: unknown column foo",
        "header: missing column email",
    ]
    assert run(b"").lines() == ["file: is empty: the first line must name the columns"]
    latin2 = "name,country,email\nŻyraków,PL,wojt@zyrakow.example\n".encode("cp1250")
    assert run(latin2).lines()[0].startswith("file: is not UTF-8 text")


def test_all_or_nothing_three_good_rows_and_one_bad(app):
    text = (
        f"{HEADER}\n"
        "Olaine,LV,mayor@olaine.example,19500,lv;en,,\n"
        "Casteltermini,IT,sindaco@casteltermini.example,7800,it,,\n"
        "Friedberg,DE,rathaus@friedberg.example,29000,de,,\n"
        "Żyraków,PL,wojt@zyrakow,14000,pl,,\n"
    )
    report = run(text)
    assert report.lines() == [
        "row 5, field email: 'wojt@zyrakow' is not a valid address: "
        "The part after the @-sign is not valid. It should have a period."
    ]
    assert count() == 0 and count(Contact) == 0 and count(AuditEntry) == 0


def test_import_creates_candidates_in_their_stage_with_a_primary_contact(app):
    text = (
        "name,name_local,country,region,population,languages,email,contact_name,contact_role,"
        "website,themes,stage,notes\n"
        "Olaine,Olaines novads,lv,Pierīga,19 500,lv;en,Mayor@Olaine.example,Andris,"
        "domes priekšsēdētājs,olaine.example,education;idp-integration,Signed,partner\n"
        "Friedberg,,DE,Hessen,,de,rathaus@friedberg.example,,,,,,\n"
    )
    report = run(text)
    assert (report.ok, report.created, report.updated) == (True, 2, 0)
    olaine = by_name("Olaine")
    assert (olaine.country, olaine.stage, olaine.population) == ("LV", "signed", 19500)
    assert olaine.languages == ["lv", "en"]
    assert olaine.website == "https://olaine.example" and olaine.source == "import"
    contact = olaine.primary_contact
    assert (contact.email, contact.name, contact.role, contact.is_primary) == (
        "Mayor@olaine.example",
        "Andris",
        "domes priekšsēdētājs",
        True,
    )
    history = db.session.scalars(
        select(StageChange).where(StageChange.municipality_id == olaine.id)
    ).all()
    assert [(c.from_stage, c.to_stage, c.note) for c in history] == [(None, "signed", "imported")]
    assert by_name("Friedberg").stage == "analysed"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.municipality_id == olaine.id)
    ).all()
    assert sorted(actions) == ["contact_added", "created"]


def test_existing_candidate_needs_update(app):
    add_olaine()
    text = (
        "name,country,email,contact_name,population,stage\n"
        "Olaine,LV,dome@olaine.example,Dome Olaine,19500,letter_sent\n"
    )
    assert run(text).lines() == ["row 2, field name: Olaine (LV) already exists"]
    assert by_name("Olaine").population is None

    report = run(text, update=True)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 1, 0)
    town = by_name("Olaine")
    assert (town.population, town.stage) == (19500, "letter_sent")
    contact = town.primary_contact
    # The same e-mail: that contact is updated; what the file does not mention is kept.
    assert (contact.name, contact.language, contact.gender) == ("Dome Olaine", "lv", "m")
    assert len(town.contacts) == 1
    updated = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert updated.changes == {"population": [None, 19500]}
    last = db.session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
    assert (last.from_stage, last.to_stage, last.note) == ("analysed", "letter_sent", "imported")

    again = run(text, update=True)
    assert (again.updated, again.unchanged) == (0, 1)


def test_update_with_a_new_email_adds_a_primary_contact(app):
    add_olaine()
    report = run("name,country,email\nOlaine,LV,mayor@olaine.example\n", update=True)
    assert report.updated == 1
    town = by_name("Olaine")
    assert [(c.email, c.is_primary) for c in town.contacts] == [
        ("mayor@olaine.example", True),
        ("dome@olaine.example", False),
    ]


def test_update_refuses_a_move_the_pipeline_does_not_allow(app):
    add_olaine()
    report = run("name,country,email,stage\nOlaine,LV,dome@olaine.example,signed\n", update=True)
    assert report.lines() == [
        "row 2, field stage: Olaine cannot move from analysed to signed",
    ]
    assert by_name("Olaine").stage == "analysed"


def test_same_municipality_twice_in_one_file(app):
    text = (
        "name,country,email\n"
        "Olaine,LV,mayor@olaine.example\n"
        "Friedberg,DE,rathaus@friedberg.example\n"
        "Olaine,lv,dome@olaine.example\n"
    )
    assert run(text, update=True).lines() == [
        "row 4, field name: Olaine (LV) is also in row 2 of this file"
    ]
    assert count() == 0


def test_dry_run_counts_and_writes_nothing(app):
    add_olaine()
    text = "name,country,email\nOlaine,LV,mayor@olaine.example\nFriedberg,DE,r@friedberg.example\n"
    report = run(text, update=True, dry_run=True)
    assert (report.ok, report.created, report.updated, report.written) == (True, 1, 1, False)
    assert count() == 1 and count(Contact) == 1


def test_semicolon_delimited_file_with_bom(app):
    text = (
        "\ufeffname;country;email;languages;themes\r\n"
        'Dąbrowa;PL;info@gmina-dabrowa.example;"pl;en";agriculture\r\n'
        "Żyraków;PL;wojt@zyrakow.example;pl;education\r\n"
    )
    report = run(text.encode("utf-8"))
    assert (report.ok, report.created) == (True, 2)
    assert by_name("Dąbrowa").languages == ["pl", "en"]
    assert run("\ufeffname,country,email\nOlaine,LV,a@olaine.example\n".encode()).created == 1


def test_extra_cells_are_refused(app):
    report = run("name,country,email\nOlaine,LV,a@olaine.example,surprise\n")
    assert report.lines() == ["row 2: 4 cells but the header names 3 columns"]


def make_tricky() -> None:
    services.create_candidate(
        db.session,
        {
            "name": '=HYPERLINK("https://evil.example","click")',
            "country": "PL",
            "name_local": "+48 crowd",
            "region": "@region",
            "languages": "pl;en",
            "themes": "energy;education",
            "population": "12000",
            "notes": "'=already quoted",
        },
        user_id=None,
        stage="negotiating",
        contact={"email": "wojt@evil.example", "name": "-Jan", "role": "Wójt"},
    )
    services.create_candidate(
        db.session,
        {"name": "-Nord", "country": "DE", "languages": "de", "website": "nord.example"},
        user_id=None,
        contact={"email": "info@nord.example"},
    )
    services.create_candidate(
        db.session,
        {"name": "Olaine", "country": "LV", "notes": 'it\'s fine, "quoted"; ok'},
        user_id=None,
        contact={"email": "mayor@olaine.example", "role": "domes priekšsēdētājs"},
    )
    db.session.commit()


def test_export_neutralises_formulas(app):
    make_tricky()
    rows = list(csv.reader(io.StringIO(transfer.export_csv(db.session))))
    assert rows[0] == list(transfer.COLUMNS)
    by = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    evil = by['\'=HYPERLINK("https://evil.example","click")']
    assert evil["name_local"] == "'+48 crowd" and evil["region"] == "'@region"
    assert evil["contact_name"] == "'-Jan" and evil["notes"] == "''=already quoted"
    assert evil["languages"] == "pl;en" and evil["stage"] == "negotiating"
    assert "'-Nord" in by
    assert by["Olaine"]["email"] == "mayor@olaine.example"


def test_export_round_trips_through_import(app):
    make_tricky()
    exported = transfer.export_csv(db.session)
    audits = count(AuditEntry)

    report = run(exported, update=True)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 0, 3)
    assert count(AuditEntry) == audits
    assert transfer.export_csv(db.session) == exported

    db.session.execute(Municipality.__table__.delete())
    db.session.commit()
    report = run(exported)
    assert (report.ok, report.created) == (True, 3)
    assert transfer.export_csv(db.session) == exported
    assert by_name('=HYPERLINK("https://evil.example","click")').stage == "negotiating"
    assert by_name("-Nord").country == "DE"


def test_export_filters(app):
    make_tricky()
    only = transfer.export_csv(db.session, stages_=["negotiating"])
    assert len(only.splitlines()) == 2 and "evil.example" in only
    german = transfer.export_csv(db.session, countries=["de"])
    assert [line.split(",")[0] for line in german.splitlines()[1:]] == ["'-Nord"]


def test_a_large_file_imports(app):
    lines = ["name,country,email,population,languages,themes"]
    lines += [f"Town {i},PL,office{i}@town{i}.example,{1000 + i},pl;en,energy" for i in range(3000)]
    report = run("\n".join(lines))
    assert (report.ok, report.created) == (True, 3000)
    assert count() == 3000 and count(Contact) == 3000 and count(StageChange) == 3000
    assert by_name("Town 2999").primary_contact.email == "office2999@town2999.example"


# The web pages


def upload(client, text: str | bytes, **fields):
    data = text.encode() if isinstance(text, str) else text
    form = {"file": (io.BytesIO(data), "candidates.csv"), **fields}
    return client.post("/candidates/import", data=form, content_type="multipart/form-data")


def test_viewer_may_export_but_not_import(app, client, login_as):
    login_as("viewer")
    assert client.get("/candidates/import").status_code == 403
    response = upload(client, "name,country,email\nOlaine,LV,m@olaine.example\n", submit="Import")
    assert response.status_code == 403
    assert count() == 0
    assert client.get("/candidates/export.csv").status_code == 200


def test_import_page_shows_every_bad_row_and_writes_nothing(app, client, login_as):
    login_as("coordinator")
    page = client.get("/candidates/import")
    assert page.status_code == 200 and b'type="file"' in page.data
    text = (
        "name,country,email,population\n"
        "Olaine,LV,mayor@olaine.example,19500\n"
        "Friedberg,DE,rathaus@friedberg.example,many\n"
        "Nowhere,XX,a@nowhere.example,\n"
    )
    response = upload(client, text, submit="Import")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Nothing was imported" in body
    assert "row 3, field population: &#39;many&#39; is not a whole number" in body
    assert "row 4, field country: unknown country code &#39;XX&#39;" in body
    assert count() == 0


def test_import_page_dry_run_then_import(app, client, login_as):
    login_as("coordinator")
    add_olaine()
    text = "name,country,email\nOlaine,LV,dome@olaine.example\nFriedberg,DE,r@friedberg.example\n"
    dry = upload(client, text, update="y", dry_run="Dry run")
    assert dry.status_code == 200
    body = dry.get_data(as_text=True)
    assert "Nothing was written" in body and "would create 1, update 0 and leave 1" in body
    assert count() == 1

    done = upload(client, text, update="y", submit="Import")
    assert done.status_code == 302 and done.headers["Location"].endswith("/candidates")
    assert count() == 2
    with client.session_transaction() as session:
        flashes = session["_flashes"]
    assert ("success", "Imported: 1 new, 0 updated, 1 unchanged.") in flashes


def test_import_page_without_update_refuses_existing(app, client, login_as):
    login_as("admin")
    add_olaine()
    response = upload(client, "name,country,email\nOlaine,LV,x@olaine.example\n", submit="Import")
    assert "row 2, field name: Olaine (LV) already exists" in response.get_data(as_text=True)
    assert count(Contact) == 1


@pytest.mark.csrf
def test_import_needs_the_csrf_token(app, client, login_as):
    login_as("coordinator")
    response = upload(client, "name,country,email\nOlaine,LV,x@olaine.example\n", submit="Import")
    assert response.status_code == 400
    assert count() == 0


def test_export_download_honours_filters(app, client, login_as):
    make_tricky()
    login_as("viewer")
    response = client.get("/candidates/export.csv?stage=negotiating&country=PL")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == ",".join(transfer.COLUMNS)
    assert len(lines) == 2 and lines[1].startswith("\"'=HYPERLINK(")
    everything = client.get("/candidates/export.csv").data.decode("utf-8-sig")
    assert len(everything.splitlines()) == 4


def test_empty_email_leaves_an_existing_candidates_contacts_alone(app):
    add_olaine()
    report = run("name,country,email,population\nOlaine,LV,,19500\nRiga,LV,,\n", update=True)
    assert report.lines() == ["row 3, field email: is required"]
    report = run("name,country,email,population\nOlaine,LV,,19500\n", update=True)
    assert (report.ok, report.updated) == (True, 1)
    town = by_name("Olaine")
    assert town.population == 19500
    assert [c.email for c in town.contacts] == ["dome@olaine.example"]


def test_update_makes_a_secondary_contact_with_that_email_primary(app):
    town = add_olaine()
    services.add_contact(
        db.session, town, {"email": "mayor@olaine.example"}, user_id=None, primary=False
    )
    db.session.commit()
    report = run(
        "name,country,email,contact_role\nOlaine,LV,MAYOR@olaine.example,Mayor\n", update=True
    )
    assert report.updated == 1
    town = by_name("Olaine")
    assert [(c.email, c.role, c.is_primary) for c in town.contacts] == [
        ("MAYOR@olaine.example", "Mayor", True),
        ("dome@olaine.example", "", False),
    ]


def test_import_page_without_a_file_says_so(app, client, login_as):
    login_as("coordinator")
    response = client.post("/candidates/import", data={"submit": "Import"})
    assert response.status_code == 200
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_unnamed_empty_columns_are_ignored_but_not_their_values(app):
    text = "name;country;email;;\nOlaine;LV;mayor@olaine.example;;\nRiga;LV;dome@riga.example;;x\n"
    assert run(text).lines() == ["row 3: column 5 has a value but no name in the header"]
    assert run(text.rsplit("\n", 2)[0] + "\n").created == 1


def test_an_unreadable_record_is_reported(app):
    huge = "x" * 200_000
    report = run(f'name,country,email\nOlaine,LV,a@olaine.example\n"{huge}",LV,b@x.example\n')
    assert len(report.lines()) == 1
    assert report.lines()[0].startswith("row 3: cannot be read as CSV: field larger than")
    assert count() == 0


def test_the_regions_own_name_and_the_source_travel_both_ways(app):
    text = (
        "name,country,region,region_local,languages,email,source\n"
        "Żyraków,PL,Subcarpathian Voivodeship,województwo podkarpackie,pl,"
        "wojt@zyrakow.example,cities4cities\n"
    )
    assert run(text).ok
    zyrakow = by_name("Żyraków")
    assert (zyrakow.region_local, zyrakow.source) == ("województwo podkarpackie", "cities4cities")
    exported = transfer.export_csv(db.session)
    assert "województwo podkarpackie" in exported and "cities4cities" in exported
