"""The ``outreach`` console script: Flask's CLI group over :func:`create_app`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from outreach import create_app

cli = FlaskGroup(create_app=create_app, help="Outreach: partner municipalities and letters.")


def main() -> None:
    cli(prog_name="outreach")
