"""``outreach check``: is everything this installation needs configured and answering?"""

from __future__ import annotations

import json
import secrets
import sys

import click
from flask.cli import ScriptInfo

from outreach.config import ConfigurationError
from outreach.ops import checks


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def check_command(ctx: click.Context, as_json: bool) -> None:
    """Check the secret key, database and migrations, Redis, the mail server, IMAP, the
    letter templates and the time zone; exit with 1 when anything needed is missing."""
    info = ctx.ensure_object(ScriptInfo)
    refused = None
    try:
        app = info.load_app()
    except ConfigurationError as exc:
        # Report the refused key and still run the other checks, with a throw-away key, on
        # an app from the console script's factory (create_app).
        if info.create_app is None:
            raise
        refused = str(exc)
        app = info.create_app({"SECRET_KEY": secrets.token_urlsafe(32)})
    results = checks.run(app, refused_secret=refused)
    ready = all(result.ok for result in results)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ready": ready,
                    "checks": [
                        {
                            "name": r.name,
                            "status": r.status.value,
                            "message": r.message,
                            "fix": r.fix,
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
    else:
        width = max(len(result.name) for result in results)
        for result in results:
            label = {"ok": "OK", "fail": "FAIL", "skipped": "--"}[result.status.value]
            click.echo(f"{label:<5} {result.name:<{width}}  {result.message}")
            if result.fix:
                click.echo(f"{'':<5} {'':<{width}}  fix: {result.fix}")
        problems = sum(not result.ok for result in results)
        click.echo("ready" if ready else f"not ready: {problems} to fix")
    sys.exit(0 if ready else 1)
