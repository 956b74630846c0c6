"""Command line: ``outreach backup FILE`` and ``outreach restore FILE [--force]``."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from outreach.backup.services import BackupError, describe, make_backup, restore


def _report(summary: dict, as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"{verb} {summary['path']}: {summary['rows']} rows in {len(summary['tables'])} tables, "
        f"{summary['files']} files, schema revision {summary['revision']} "
        f"(snapshot: {summary['snapshot']})"
    )


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def backup_command(path: str, as_json: bool) -> None:
    """Write one archive with the whole database, uploaded files and settings to PATH."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        summary = make_backup(app, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report(describe(summary), as_json, "wrote")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace everything in a database holding data.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def restore_command(path: str, force: bool, as_json: bool) -> None:
    """Bring an archive made by ``outreach backup`` back into an empty installation."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        summary = restore(app, path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report(describe(summary), as_json, "restored")
