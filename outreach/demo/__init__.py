"""Demo data: the office's real partners of 2023, a dozen fresh candidates, three staff logins
and the office's settings with a demo signatory.

The candidates are in ``candidates.csv`` beside this module, in the import format (the
partners of 2023 with their place in the GeoNames gazetteer), and go in
through the CSV importer like any other file; each one is imported on the day it was analysed
and then moved through the stages it went through. The partners come from the office's report
for 2023: agreements signed with Dąbrowa and Żyraków (Poland), Olaine (Latvia) and
Casteltermini (Italy); the final text still under negotiation with Friedberg (Germany). Every
e-mail address uses a ``.example`` domain.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from outreach.auth.models import Role, User
from outreach.auth.services import create_user
from outreach.clock import travel, utcnow
from outreach.discovery.autoload import load_if_empty
from outreach.extensions import Session, db
from outreach.letters import office
from outreach.pipeline import services, transfer
from outreach.pipeline.models import Municipality
from outreach.pipeline.stages import Stage

CANDIDATES_FILE = Path(__file__).with_name("candidates.csv")

DEMO_PASSWORD = "outreach-demo"

#: ``(email, role, name)`` of the demo logins.
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("admin@outreach.example", Role.ADMIN, "Demo Administrator"),
    ("coordinator@outreach.example", Role.COORDINATOR, "Olena Koval"),
    ("viewer@outreach.example", Role.VIEWER, "Demo Viewer"),
)

#: The demo office's signatory, so that letters render on a fresh demo installation.
DEMO_SIGNATORY = {
    "signatory_name": "Олена Коваленко",
    "signatory_gender": "f",
    "signatory_role": "mayor",
    "contact_name": "Ірина Мельник",
    "contact_position": "головна спеціалістка з міжнародної співпраці",
    "contact_languages": ["uk", "en", "pl"],
    "sender_phone": "+380 4644 2 11 11",
}

#: The partners' way through the pipeline in 2023: the day each was analysed, then each move.
PARTNERS: dict[tuple[str, str], tuple[tuple[Stage, date], ...]] = {
    ("Dąbrowa", "PL"): (
        (Stage.ANALYSED, date(2023, 2, 6)),
        (Stage.LETTER_SENT, date(2023, 2, 20)),
        (Stage.NEGOTIATING, date(2023, 3, 29)),
        (Stage.SIGNED, date(2023, 6, 15)),
    ),
    ("Żyraków", "PL"): (
        (Stage.ANALYSED, date(2023, 2, 13)),
        (Stage.LETTER_SENT, date(2023, 3, 1)),
        (Stage.NEGOTIATING, date(2023, 4, 18)),
        (Stage.SIGNED, date(2023, 8, 24)),
    ),
    ("Olaine", "LV"): (
        (Stage.ANALYSED, date(2023, 3, 7)),
        (Stage.LETTER_SENT, date(2023, 3, 21)),
        (Stage.NEGOTIATING, date(2023, 5, 10)),
        (Stage.SIGNED, date(2023, 10, 12)),
    ),
    ("Casteltermini", "IT"): (
        (Stage.ANALYSED, date(2023, 4, 3)),
        (Stage.LETTER_SENT, date(2023, 4, 17)),
        (Stage.NEGOTIATING, date(2023, 6, 5)),
        (Stage.SIGNED, date(2023, 11, 22)),
    ),
    ("Friedberg", "DE"): (
        (Stage.ANALYSED, date(2023, 5, 8)),
        (Stage.LETTER_SENT, date(2023, 5, 22)),
        (Stage.NEGOTIATING, date(2023, 9, 14)),
    ),
}

#: How many days ago each of the other candidates was analysed.
DAYS_AGO: dict[tuple[str, str], int] = {
    ("Valga", "EE"): 3,
    ("Jonava", "LT"): 5,
    ("Gödöllő", "HU"): 8,
    ("Kutná Hora", "CZ"): 10,
    ("Pontivy", "FR"): 12,
    ("Tomelloso", "ES"): 14,
    ("Loimaa", "FI"): 17,
    ("Fundão", "PT"): 20,
    ("Stroud", "GB"): 24,
    ("Ellensburg", "US"): 27,
    ("Tokamachi", "JP"): 30,
    ("Wuzhen", "CN"): 33,
}


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data_command)


def _ensure_users(session: Session) -> tuple[dict[Role, User], bool]:
    """The demo users by role, created when missing; and whether any was created."""
    users: dict[Role, User] = {}
    created = False
    for email, role, name in DEMO_USERS:
        user = session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            user = create_user(session, email, DEMO_PASSWORD, role, name=name)
            created = True
        users[role] = user
    return users, created


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=9)


def _rows() -> tuple[list[str], list[list[str]]]:
    """The header and the candidate rows of the demo file."""
    rows = [cells for _number, cells in transfer.read_rows(CANDIDATES_FILE.read_text("utf-8"))]
    return rows[0], [cells for cells in rows[1:] if any(cells)]


def _import_one(session: Session, header: list[str], cells: list[str], user_id: int) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([header, cells])
    report = transfer.import_csv(session, out.getvalue(), user_id=user_id)
    if not report.ok:
        raise RuntimeError(f"{CANDIDATES_FILE.name}: " + "; ".join(report.lines()))


def _load_candidates(session: Session, user_id: int) -> bool:
    """Import the demo candidates that are missing, each on its day; True if any was."""
    existing = {
        (name, country)
        for name, country in session.execute(select(Municipality.name, Municipality.country))
    }
    header, rows = _rows()
    name_at, country_at = header.index("name"), header.index("country")
    now = utcnow()
    created = False
    for cells in rows:
        key = (cells[name_at], cells[country_at])
        if key in existing:
            continue
        history = PARTNERS.get(key, ())
        analysed = _at(history[0][1]) if history else now - timedelta(days=DAYS_AGO.get(key, 0))
        with travel(analysed - utcnow()):
            _import_one(session, header, cells, user_id)
        municipality = services.find_duplicate(session, *key)
        assert municipality is not None
        for stage, day in history[1:]:
            signed = stage == Stage.SIGNED
            with travel(_at(day) - utcnow()):
                services.move(
                    session,
                    municipality,
                    stage,
                    user_id=user_id,
                    note="agreement signed" if signed else "",
                    agreement_date=day if signed else None,
                )
        created = True
    return created


def _ensure_office(session: Session) -> bool:
    """Save the office settings with a demo signatory unless settings were saved already."""
    if office.current(session) is not None:
        return False
    office.update(session, {**office.defaults(), **DEMO_SIGNATORY})
    return True


def load_demo_data(session: Session) -> bool:
    """Create the demo staff logins, candidates and office settings that are missing; True if
    any was created.

    Idempotent: a candidate is created only when its name and country are not taken yet.
    Flushes, never commits: the caller commits.
    """
    users, created = _ensure_users(session)
    created = _load_candidates(session, users[Role.COORDINATOR].id) or created
    created = _ensure_office(session) or created
    session.flush()
    return created


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Load demo candidates and the demo logins (password "outreach-demo")."""
    if load_demo_data(db.session):
        db.session.commit()
        logins = ", ".join(email for email, _role, _name in DEMO_USERS)
        click.echo(f"demo data loaded; log in as {logins} with the password {DEMO_PASSWORD}")
    else:
        db.session.rollback()
        click.echo("demo data already loaded")
    _load_gazetteer()


def _load_gazetteer() -> None:
    """The partner finder's towns, loaded when empty (see outreach.discovery.autoload)."""
    towns = load_if_empty()
    if towns:
        click.echo(f"gazetteer loaded: {towns:,} towns")
