from __future__ import annotations

import click
from flask.cli import with_appcontext

from outreach.catcher.server import serve
from outreach.extensions import app_object


@click.command("mailcatcher")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=int, default=None, help="SMTP port (default: MAIL_CATCHER_PORT, 8025)."
)
@with_appcontext
def mailcatcher_command(host: str, port: int | None) -> None:
    """Run the built-in mail catcher: an SMTP server that keeps every message it receives."""
    app = app_object()
    port = port if port is not None else int(app.config["MAIL_CATCHER_PORT"])
    click.echo(f"Mail catcher listening on {host}:{port}; press Ctrl-C to stop.")
    serve(app, host, port)
