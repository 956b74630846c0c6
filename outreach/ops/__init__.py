"""Operating Outreach: readiness checks (``outreach check``) and ``/readyz``."""

from flask import Flask

from outreach.ops.cli import check_command
from outreach.ops.routes import Readiness


def init_app(app: Flask) -> None:
    Readiness().register(app)
    app.cli.add_command(check_command)
