"""``outreach candidates ...``: import, export, list and move candidates from the command line.

The command names, options, exit codes and the JSON shape of ``list --json`` are stable:
scripts rely on them.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outreach.extensions import db
from outreach.pipeline import services, stages, transfer
from outreach.pipeline.models import Municipality

candidates_cli = AppGroup("candidates", help="Candidate municipalities.")

STAGE_CHOICE = click.Choice([s.value for s in stages.ORDER], case_sensitive=False)


@candidates_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--update", is_flag=True, help="Update candidates that already exist.")
def import_command(file: BinaryIO, dry_run: bool, update: bool) -> None:
    """Import candidates from a CSV FILE (- for standard input); all rows or none.

    Exit status 0 when the file was imported (or, with --dry-run, would be), 1 with one line
    per problem on standard output when not.
    """
    report = transfer.import_csv(db.session, file.read(), update=update, dry_run=dry_run)
    if not report.ok:
        db.session.rollback()
        for line in report.lines():
            click.echo(line)
        click.echo(f"nothing imported: {len(report.errors)} problem(s)", err=True)
        sys.exit(1)
    counts = f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged"
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {counts}; nothing written")
    else:
        db.session.commit()
        click.echo(f"imported: {counts}")


@candidates_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
@click.option("--stage", "stage_", multiple=True, type=STAGE_CHOICE, help="Only this stage.")
@click.option("--country", multiple=True, help="Only this country (ISO code).")
def export_command(file: Any, stage_: tuple[str, ...], country: tuple[str, ...]) -> None:
    """Export candidates to a CSV FILE (- for standard output), UTF-8."""
    file.write(transfer.export_csv(db.session, stages_=stage_, countries=country))


def candidate_dict(municipality: Municipality) -> dict[str, Any]:
    """The JSON shape of one candidate for ``candidates list --json``."""
    contact = municipality.primary_contact
    return {
        "id": municipality.id,
        "name": municipality.name,
        "name_local": municipality.name_local,
        "country": municipality.country,
        "region": municipality.region,
        "population": municipality.population,
        "languages": municipality.languages,
        "themes": municipality.themes,
        "stage": municipality.stage,
        "email": contact.email if contact else None,
        "owner": municipality.owner.email if municipality.owner else None,
        "days_in_stage": municipality.days_in_stage(),
    }


@candidates_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--stage", "stage_", multiple=True, type=STAGE_CHOICE, help="Only this stage.")
@click.option("--country", multiple=True, help="Only this country (ISO code).")
def list_command(as_json: bool, stage_: tuple[str, ...], country: tuple[str, ...]) -> None:
    """List candidates, as a table or (--json) as a JSON array."""
    query = select(Municipality).options(selectinload(Municipality.contacts))
    if stage_:
        query = query.where(Municipality.stage.in_([s.lower() for s in stage_]))
    if country:
        query = query.where(Municipality.country.in_([c.strip().upper() for c in country]))
    query = query.order_by(Municipality.country, Municipality.name, Municipality.id)
    items = [candidate_dict(m) for m in db.session.scalars(query)]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo("no candidates")
        return
    columns = ("id", "name", "country", "stage", "days_in_stage", "languages", "email")
    rows = [
        [
            ";".join(item[c]) if isinstance(item[c], list) else "" if item[c] is None else item[c]
            for c in columns
        ]
        for item in items
    ]
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())


@candidates_cli.command("move")
@click.argument("candidate_id", metavar="ID", type=int)
@click.argument("stage")
@click.option("--note", default="", help="Why, for the stage history.")
@click.option("--reason", default="", help="Reason for declining (required for declined).")
def move_command(candidate_id: int, stage: str, note: str, reason: str) -> None:
    """Move candidate ID to STAGE; exit 1 with the reason when the pipeline refuses."""
    municipality = db.session.get(Municipality, candidate_id)
    if municipality is None:
        raise click.ClickException(f"no candidate with id {candidate_id}")
    try:
        services.move(db.session, municipality, stage, user_id=None, note=note, reason=reason)
    except services.MoveError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{municipality.name} ({municipality.country}) is now in {municipality.stage}")
