"""Filling an empty gazetteer for a fresh installation (``outreach dev``, the demo data).

One call, :func:`load_if_empty`, made by the dev supervisor after the demo data and by the
``demo-data`` command; ``GAZETTEER_AUTOLOAD=0`` turns it off.
"""

from __future__ import annotations

from flask import Flask

from outreach.discovery import gazetteer
from outreach.extensions import app_object, db


def load_if_empty(app: Flask | None = None) -> int:
    """Load the shipped gazetteer when the table is empty; the number of towns loaded."""
    app = app or app_object()
    if not app.config.get("GAZETTEER_AUTOLOAD", True):
        return 0
    with app.app_context():
        if not gazetteer.is_empty(db.session):
            return 0
        result = gazetteer.load(
            db.session, min_population=int(app.config.get("GAZETTEER_MIN_POPULATION", 1000))
        )
        db.session.commit()
        return result.towns
