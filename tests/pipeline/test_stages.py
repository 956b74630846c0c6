import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.pipeline import services
from outreach.pipeline.models import AuditEntry, StageChange
from outreach.pipeline.stages import ORDER, TRANSITIONS, Stage, can_move


def make_candidate(user_id=None, **overrides):
    data = {"name": "Olaine", "country": "LV", "languages": "lv;en", "themes": "education"}
    data.update(overrides)
    return services.create_candidate(
        db.session, data, user_id=user_id, contact={"email": "dome@olaine.example"}
    )


def test_every_stage_has_its_transitions():
    assert set(TRANSITIONS) == set(ORDER) == set(Stage)
    assert can_move("analysed", "letter_sent")
    assert not can_move("analysed", "signed")
    assert TRANSITIONS[Stage.SIGNED] == frozenset()


def test_move_records_a_stage_change(app, make_user):
    user = make_user("coordinator")
    town = make_candidate(user.id)
    services.move(db.session, town, "letter_sent", user_id=user.id, note="sent by post")
    db.session.commit()
    changes = db.session.scalars(
        select(StageChange).where(StageChange.municipality_id == town.id).order_by(StageChange.id)
    ).all()
    assert [(c.from_stage, c.to_stage) for c in changes] == [
        (None, "analysed"),
        ("analysed", "letter_sent"),
    ]
    assert changes[-1].user_id == user.id and changes[-1].note == "sent by post"


def test_refused_move_explains_itself(app):
    town = make_candidate()
    with pytest.raises(services.MoveError, match="cannot move from analysed to signed"):
        services.move(db.session, town, "signed", user_id=None)
    assert town.stage == "analysed"


def test_signed_records_the_agreement_date_and_declined_needs_a_reason(app):
    town = make_candidate()
    services.move(db.session, town, "letter_sent", user_id=None)
    services.move(db.session, town, "negotiating", user_id=None)
    services.move(db.session, town, "signed", user_id=None)
    assert town.agreement_date is not None
    other = make_candidate(name="Friedberg", country="DE")
    with pytest.raises(services.MoveError, match="reason"):
        services.move(db.session, other, "declined", user_id=None)
    services.move(db.session, other, "declined", user_id=None, reason="no capacity this year")
    assert other.decline_reason == "no capacity this year"


def test_edit_is_audited_field_by_field(app, make_user):
    user = make_user("coordinator")
    town = make_candidate(user.id)
    changes = services.update_candidate(
        db.session, town, {"population": "28000", "region": "Pierīga"}, user_id=user.id
    )
    db.session.commit()
    assert changes == {"population": [None, 28000], "region": ["", "Pierīga"]}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.user_id == user.id and entry.changes["population"] == [None, 28000]


def test_bad_fields_are_all_reported(app):
    with pytest.raises(services.Invalid) as info:
        services.create_candidate(
            db.session,
            {"name": "", "country": "XX", "population": "many", "languages": "zz"},
            user_id=None,
        )
    assert set(info.value.errors) == {"name", "country", "population", "languages"}


def test_contact_email_refuses_line_breaks(app):
    with pytest.raises(services.Invalid) as info:
        make_candidate(name="Dąbrowa", country="PL") and services.add_contact(
            db.session,
            make_candidate(name="Żyraków", country="PL"),
            {"email": "a@b.example\r\nBcc: x@y.example"},
            user_id=None,
        )
    assert "email" in info.value.errors
