"""Candidate municipalities and the stages they move through."""

from flask import Flask


def init_app(app: Flask) -> None:
    from outreach.pipeline import models, transfer_routes  # noqa: F401
    from outreach.pipeline.routes import bp

    app.register_blueprint(bp)
