"""The ``outreach`` console script: Flask's CLI group over :func:`create_app`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from outreach import create_app
from outreach.ops.cli import check_command

cli = FlaskGroup(create_app=create_app, help="Outreach: partner municipalities and letters.")
# Also on the group itself: it must run when the app refuses to start.
cli.add_command(check_command)


def main() -> None:
    cli(prog_name="outreach")
