"""The shortcuts that make sending fast give the same results as the general code."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2.filters import do_wordwrap
from sqlalchemy import select

from outreach.extensions import db
from outreach.letters.sandbox import TEXT_ENV
from outreach.pipeline import services
from outreach.pipeline.models import Municipality, StageChange

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "letters"


def test_wordwrap_matches_jinja_on_awkward_text() -> None:
    rng = random.Random(5)
    pieces = ["a", "Żółw", "word", "x" * 30, " ", " ", "  ", "\t", "\n", "\r\n", "\xa0", "-"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        width = rng.choice([1, 3, 8, 20, 76])
        for args in ((width, False, None, False), (width, True, None, True), (width, False, "|")):
            expected = do_wordwrap(TEXT_ENV, text, *args)
            assert TEXT_ENV.filters["wordwrap"](TEXT_ENV, text, *args) == expected, (text, args)


def test_move_sent_moves_only_analysed_candidates(app: Flask, towns: Any) -> None:
    analysed = towns(2)
    (negotiating,) = towns(1, stage="negotiating")
    moved = services.move_sent(
        db.session, [*analysed, negotiating], lambda m: f"letter for {m} sent", user_id=None
    )
    db.session.commit()
    assert sorted(moved) == sorted(analysed)
    stages = dict(db.session.execute(select(Municipality.id, Municipality.stage)).tuples().all())
    assert [stages[m] for m in analysed] == ["letter_sent", "letter_sent"]
    assert stages[negotiating] == "negotiating"
    changes = db.session.scalars(
        select(StageChange).where(StageChange.from_stage == "analysed")
    ).all()
    assert sorted((c.municipality_id, c.to_stage, c.note) for c in changes) == sorted(
        (m, "letter_sent", f"letter for {m} sent") for m in analysed
    )
    assert services.move_sent(db.session, analysed, str, user_id=None) == []
