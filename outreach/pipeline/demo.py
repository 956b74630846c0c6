"""Demo data: the office's real partners of 2023, a dozen fresh candidates and three staff logins.

The partners come from the office's report for 2023: agreements signed with Dąbrowa and
Żyraków (Poland), Olaine (Latvia) and Casteltermini (Italy); the final text still under
negotiation with Friedberg (Germany). Every e-mail address uses a ``.example`` domain.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from outreach.auth.models import Role, User
from outreach.auth.services import create_user
from outreach.clock import travel, utcnow
from outreach.extensions import Session, db
from outreach.pipeline import services
from outreach.pipeline.models import Municipality

DEMO_PASSWORD = "outreach-demo"

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin@outreach.example", Role.ADMIN.value, "Demo Administrator"),
    ("coordinator@outreach.example", Role.COORDINATOR.value, "Olena Koval"),
    ("viewer@outreach.example", Role.VIEWER.value, "Demo Viewer"),
)

_SIGNED_PATH = ("letter_sent", "negotiating", "signed")

#: Each candidate: its fields, its primary contact, and its stage history as
#: ``(stage, date)`` pairs, the first being the day it was analysed.
DEMO_CANDIDATES: tuple[dict[str, Any], ...] = (
    {
        "fields": {
            "name": "Dąbrowa",
            "name_local": "Gmina Dąbrowa",
            "country": "PL",
            "region": "Kuyavian-Pomeranian Voivodeship",
            "population": 4800,
            "website": "https://gmina-dabrowa.example",
            "languages": "pl;en",
            "themes": "agriculture;education;culture",
            "source": "cities4cities",
            "notes": "Agreement on cooperation and partnership signed in 2023.",
        },
        "contact": {
            "name": "Tadeusz Nowak",
            "role": "Wójt Gminy",
            "email": "info@gmina-dabrowa.example",
            "language": "pl",
            "gender": "m",
        },
        "history": (
            ("analysed", date(2023, 2, 6)),
            ("letter_sent", date(2023, 2, 20)),
            ("negotiating", date(2023, 3, 29)),
            ("signed", date(2023, 6, 15)),
        ),
    },
    {
        "fields": {
            "name": "Żyraków",
            "name_local": "Gmina Żyraków",
            "country": "PL",
            "region": "Subcarpathian Voivodeship",
            "population": 14300,
            "website": "https://zyrakow.example",
            "languages": "pl",
            "themes": "agriculture;youth;idp-integration",
            "source": "unitedforua",
            "notes": "Agreement on cooperation and partnership signed in 2023.",
        },
        "contact": {
            "name": "Marek Wiśniewski",
            "role": "Wójt Gminy",
            "email": "wojt@zyrakow.example",
            "language": "pl",
            "gender": "m",
        },
        "history": (
            ("analysed", date(2023, 2, 13)),
            ("letter_sent", date(2023, 3, 1)),
            ("negotiating", date(2023, 4, 18)),
            ("signed", date(2023, 8, 24)),
        ),
    },
    {
        "fields": {
            "name": "Olaine",
            "name_local": "Olaines novads",
            "country": "LV",
            "region": "Riga Planning Region",
            "population": 19500,
            "website": "https://olaine.example",
            "languages": "lv;en",
            "themes": "education;idp-integration;culture",
            "source": "referral",
            "notes": "Delegation visit to Olaine; the agreement was signed during the visit.",
        },
        "contact": {
            "name": "Andris Bērziņš",
            "role": "domes priekšsēdētājs",
            "email": "mayor@olaine.example",
            "language": "lv",
            "gender": "m",
        },
        "history": (
            ("analysed", date(2023, 3, 7)),
            ("letter_sent", date(2023, 3, 21)),
            ("negotiating", date(2023, 5, 10)),
            ("signed", date(2023, 10, 12)),
        ),
    },
    {
        "fields": {
            "name": "Casteltermini",
            "name_local": "Casteltermini",
            "country": "IT",
            "region": "Sicily (Agrigento)",
            "population": 7800,
            "website": "https://casteltermini.example",
            "languages": "it",
            "themes": "culture;heritage;agriculture",
            "source": "cities4cities",
            "notes": "Agreement on cooperation and partnership signed in 2023.",
        },
        "contact": {
            "name": "Giuseppa Russo",
            "role": "Sindaca",
            "email": "sindaco@casteltermini.example",
            "language": "it",
            "gender": "f",
        },
        "history": (
            ("analysed", date(2023, 4, 3)),
            ("letter_sent", date(2023, 4, 17)),
            ("negotiating", date(2023, 6, 5)),
            ("signed", date(2023, 11, 22)),
        ),
    },
    {
        "fields": {
            "name": "Friedberg",
            "name_local": "Friedberg (Hessen)",
            "country": "DE",
            "region": "Hessen",
            "population": 29500,
            "website": "https://friedberg.example",
            "languages": "de;en",
            "themes": "energy;education;economic-development",
            "source": "cities4cities",
            "notes": "Working on the final text of the agreement.",
        },
        "contact": {
            "name": "Klaus Becker",
            "role": "Bürgermeister",
            "email": "buergermeister@friedberg.example",
            "language": "de",
            "gender": "m",
        },
        "history": (
            ("analysed", date(2023, 5, 8)),
            ("letter_sent", date(2023, 5, 22)),
            ("negotiating", date(2023, 9, 14)),
        ),
    },
)


def _analysed(days_ago: int, fields: dict[str, Any], contact: dict[str, str]) -> dict[str, Any]:
    return {"fields": {"source": "manual", **fields}, "contact": contact, "days_ago": days_ago}


#: Analysed candidates across the EU, the UK, the USA, Japan and China.
ANALYSED_CANDIDATES: tuple[dict[str, Any], ...] = (
    _analysed(
        3,
        {
            "name": "Valga",
            "name_local": "Valga vald",
            "country": "EE",
            "region": "Valga County",
            "population": 15600,
            "website": "https://valga.example",
            "languages": "et;ru",
            "themes": "education;idp-integration;youth",
        },
        {"name": "Kaisa Tamm", "role": "vallavanem", "email": "vald@valga.example", "gender": "f"},
    ),
    _analysed(
        5,
        {
            "name": "Jonava",
            "name_local": "Jonavos rajono savivaldybė",
            "country": "LT",
            "region": "Kaunas County",
            "population": 43000,
            "website": "https://jonava.example",
            "languages": "lt;en",
            "themes": "energy;economic-development",
        },
        {
            "name": "Tomas Kazlauskas",
            "role": "meras",
            "email": "meras@jonava.example",
            "language": "lt",
            "gender": "m",
        },
    ),
    _analysed(
        8,
        {
            "name": "Gödöllő",
            "name_local": "Gödöllő Város",
            "country": "HU",
            "region": "Pest County",
            "population": 33000,
            "website": "https://godollo.example",
            "languages": "hu",
            "themes": "education;culture;agriculture",
        },
        {
            "name": "Katalin Nagy",
            "role": "International relations officer",
            "email": "international@godollo.example",
            "language": "en",
            "gender": "f",
        },
    ),
    _analysed(
        10,
        {
            "name": "Kutná Hora",
            "name_local": "Město Kutná Hora",
            "country": "CZ",
            "region": "Central Bohemian Region",
            "population": 21000,
            "website": "https://kutnahora.example",
            "languages": "cs",
            "themes": "heritage;tourism;culture",
        },
        {
            "name": "Jana Dvořáková",
            "role": "starostka",
            "email": "starostka@kutnahora.example",
            "language": "cs",
            "gender": "f",
        },
    ),
    _analysed(
        12,
        {
            "name": "Pontivy",
            "name_local": "Pontivy",
            "country": "FR",
            "region": "Brittany",
            "population": 15000,
            "website": "https://pontivy.example",
            "languages": "fr",
            "themes": "agriculture;youth;sport",
        },
        {
            "name": "Sophie Le Gall",
            "role": "Maire",
            "email": "mairie@pontivy.example",
            "language": "fr",
            "gender": "f",
        },
    ),
    _analysed(
        14,
        {
            "name": "Tomelloso",
            "name_local": "Tomelloso",
            "country": "ES",
            "region": "Castilla-La Mancha",
            "population": 36000,
            "website": "https://tomelloso.example",
            "languages": "es",
            "themes": "agriculture;water;economic-development",
        },
        {
            "name": "Javier Martínez",
            "role": "Alcalde",
            "email": "alcaldia@tomelloso.example",
            "language": "es",
            "gender": "m",
        },
    ),
    _analysed(
        17,
        {
            "name": "Loimaa",
            "name_local": "Loimaan kaupunki",
            "country": "FI",
            "region": "Southwest Finland",
            "population": 15500,
            "website": "https://loimaa.example",
            "languages": "fi;sv",
            "themes": "agriculture;civil-protection",
        },
        {
            "name": "Mikko Virtanen",
            "role": "kaupunginjohtaja",
            "email": "kirjaamo@loimaa.example",
            "language": "fi",
            "gender": "m",
        },
    ),
    _analysed(
        20,
        {
            "name": "Fundão",
            "name_local": "Município do Fundão",
            "country": "PT",
            "region": "Castelo Branco District",
            "population": 26000,
            "website": "https://fundao.example",
            "languages": "pt",
            "themes": "agriculture;digital;idp-integration",
        },
        {
            "name": "Paulo Fernandes",
            "role": "Presidente da Câmara Municipal",
            "email": "presidente@fundao.example",
            "language": "pt",
            "gender": "m",
        },
    ),
    _analysed(
        24,
        {
            "name": "Stroud",
            "name_local": "Stroud Town Council",
            "country": "GB",
            "region": "Gloucestershire, England",
            "population": 13300,
            "website": "https://stroud.example",
            "languages": "en",
            "themes": "environment;energy;culture",
        },
        {
            "name": "Emma Clarke",
            "role": "Mayor",
            "email": "mayor@stroud.example",
            "language": "en",
            "gender": "f",
        },
    ),
    _analysed(
        27,
        {
            "name": "Ellensburg",
            "name_local": "City of Ellensburg",
            "country": "US",
            "region": "Washington",
            "population": 19000,
            "website": "https://ellensburg.example",
            "languages": "en",
            "themes": "agriculture;education",
        },
        {
            "name": "Robert Miller",
            "role": "Mayor",
            "email": "mayor@ellensburg.example",
            "language": "en",
            "gender": "m",
        },
    ),
    _analysed(
        30,
        {
            "name": "Tokamachi",
            "name_local": "十日町市",
            "country": "JP",
            "region": "Niigata Prefecture",
            "population": 49000,
            "website": "https://tokamachi.example",
            "languages": "ja",
            "themes": "agriculture;culture;tourism",
        },
        {
            "name": "関口 健",
            "role": "市長",
            "email": "kokusai@tokamachi.example",
            "language": "ja",
            "gender": "m",
        },
    ),
    _analysed(
        33,
        {
            "name": "Wuzhen",
            "name_local": "乌镇",
            "country": "CN",
            "region": "Zhejiang",
            "population": 60000,
            "website": "https://wuzhen.example",
            "languages": "zh",
            "themes": "tourism;digital;heritage",
        },
        {
            "name": "王丽",
            "role": "镇长",
            "email": "waiban@wuzhen.example",
            "language": "zh",
            "gender": "f",
        },
    ),
)


def _ensure_users(session: Session) -> tuple[dict[str, User], bool]:
    """The demo users by role, created when missing; and whether any was created."""
    users: dict[str, User] = {}
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


def _add_partner(session: Session, item: dict[str, Any], user_id: int) -> None:
    history = item["history"]
    first_stage, first_day = history[0]
    with travel(_at(first_day) - utcnow()):
        municipality = services.create_candidate(
            session, item["fields"], user_id=user_id, stage=first_stage, contact=item["contact"]
        )
    for stage, day in history[1:]:
        with travel(_at(day) - utcnow()):
            services.move(
                session,
                municipality,
                stage,
                user_id=user_id,
                note="agreement signed" if stage == "signed" else "",
                agreement_date=day if stage == "signed" else None,
            )


def load_demo_data(session: Session) -> bool:
    """Create the demo staff logins and candidates that are missing; True if any was created.

    Idempotent: a candidate is created only when its name and country are not taken yet.
    Flushes, never commits: the caller commits.
    """
    users, created = _ensure_users(session)
    owner_id = users[Role.COORDINATOR.value].id
    existing = {
        tuple(row) for row in session.execute(select(Municipality.name, Municipality.country))
    }
    for item in DEMO_CANDIDATES:
        if (item["fields"]["name"], item["fields"]["country"]) not in existing:
            _add_partner(session, item, owner_id)
            created = True
    now = utcnow()
    for item in ANALYSED_CANDIDATES:
        if (item["fields"]["name"], item["fields"]["country"]) in existing:
            continue
        with travel(now - timedelta(days=item["days_ago"]) - utcnow()):
            services.create_candidate(
                session, item["fields"], user_id=owner_id, contact=item["contact"]
            )
        created = True
    created = _ensure_office(session) or created
    session.flush()
    return created


#: The demo office's signatory, so that letters render on a fresh demo installation.
DEMO_SIGNATORY = {"signatory_name": "Olena Kovalenko", "signatory_title": "Mayor"}


def _ensure_office(session: Session) -> bool:
    """Save the office settings with a demo signatory unless settings were saved already."""
    from outreach.letters import office

    if office.current(session) is not None:
        return False
    office.update(session, {**office.defaults(), **DEMO_SIGNATORY})
    return True


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
