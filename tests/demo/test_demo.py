"""``outreach demo-data``: the office's 2023 partners, fresh candidates and demo logins."""

from __future__ import annotations

from sqlalchemy import func, select

from outreach.auth.services import authenticate
from outreach.demo import load_demo_data
from outreach.extensions import db
from outreach.pipeline.models import Contact, Municipality, StageChange


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Municipality, Contact, StageChange)
    )


def town(name: str) -> Municipality:
    return db.session.scalars(select(Municipality).where(Municipality.name == name)).one()


def test_demo_data_is_idempotent_and_holds_the_partners(app, runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("demo data loaded")
    loaded = counts()
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0
    assert second.stdout == "demo data already loaded\n"
    assert counts() == loaded

    signed = db.session.scalars(
        select(Municipality.name).where(Municipality.stage == "signed").order_by(Municipality.name)
    ).all()
    assert sorted(signed) == sorted(["Dąbrowa", "Żyraków", "Olaine", "Casteltermini"])
    assert town("Friedberg").stage == "negotiating"
    assert town("Dąbrowa").name_local == "Gmina Dąbrowa"
    assert town("Olaine").name_local == "Olaines novads"
    olaine = town("Olaine")
    history = db.session.scalars(
        select(StageChange)
        .where(StageChange.municipality_id == olaine.id)
        .order_by(StageChange.created_at)
    ).all()
    assert [c.to_stage for c in history] == ["analysed", "letter_sent", "negotiating", "signed"]
    assert {c.created_at.year for c in history} == {2023}
    assert olaine.agreement_date.year == 2023

    analysed = db.session.scalars(
        select(Municipality).where(Municipality.stage == "analysed")
    ).all()
    assert len(analysed) >= 12
    countries = {m.country for m in analysed}
    assert {"GB", "US", "JP", "CN", "EE"} <= countries
    everyone = db.session.scalars(select(Municipality)).all()
    for municipality in everyone:
        contact = municipality.primary_contact
        assert contact is not None and contact.email.endswith(".example")
        assert municipality.website.startswith("https://")
        assert municipality.website.endswith(".example")
    assert any(
        m.primary_contact.language and m.primary_contact.language != m.languages[0]
        for m in everyone
    )


def test_demo_users_can_log_in(app):
    assert load_demo_data(db.session) is True
    db.session.commit()
    assert load_demo_data(db.session) is False
    for email, role in (
        ("admin@outreach.example", "admin"),
        ("coordinator@outreach.example", "coordinator"),
        ("viewer@outreach.example", "viewer"),
    ):
        user = authenticate(db.session, email, "outreach-demo")
        assert user is not None and user.role == role
