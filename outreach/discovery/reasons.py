"""A factor of a town's score in words, in the reader's language (English on the command line).

Works on the plain dicts of :meth:`scoring.Factor.as_dict`, so a suggestion stored on a
candidate reads the same as the search that made it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from outreach.locales import country_name, theme_label
from outreach.pipeline import stages


def _number(value: float) -> str:
    return str(format_decimal(value, format="#,##0"))


def _ratio(value: float) -> str:
    return str(format_decimal(value, format="0.0#"))


def _population(f: dict[str, Any]) -> str:
    ours = {"ours": _number(f["ours"]), "ratio": _ratio(f["population"] / f["ours"])}
    if f["compared_with"] == "town":
        return _("%(ratio)s × the size of our town (%(ours)s people)", **ours)
    return _("%(ratio)s × the size of our community (%(ours)s people)", **ours)


def _country(f: dict[str, Any], locale: str) -> str:
    name = country_name(f["country"], locale)
    if f["priority"]:
        return _("%(country)s is one of the countries we look in first", country=name)
    return _("%(country)s is not on our list of countries", country=name)


def _distance(f: dict[str, Any]) -> str:
    if f["proximity"] == "any":
        return _("distance does not count (settings)")
    if not f["located"]:
        return _("none of our partners or candidates has a known location yet")
    nearest = f.get("nearest")
    if nearest is None:
        return _("more than %(km)s km from our partners and candidates", km=_number(f["reach_km"]))
    stage = stages.LABELS.get(stages.Stage(nearest["stage"]), nearest["stage"])
    return _(
        "%(km)s km from %(name)s (%(stage)s)",
        km=_number(f["km"]),
        name=nearest["name"],
        stage=str(stage).lower(),
    )


def _themes(f: dict[str, Any]) -> str:
    if not f["known"]:
        return _("its themes are not known")
    if not f["shared"]:
        return _("shares none of our themes")
    return _("shares %(themes)s", themes=", ".join(theme_label(t) for t in f["shared"]))


def describe(factor: dict[str, Any], locale: str = "en") -> str:
    """One factor (``{"factor": "population", "points": 41.2, ...}``) as a sentence."""
    name = factor["factor"]
    if name == "population":
        return _population(factor)
    if name == "country":
        return _country(factor, locale)
    if name == "distance":
        return _distance(factor)
    if name == "themes":
        return _themes(factor)
    return name


def factor_labels() -> dict[str, str]:
    """The heading of each factor, in the reader's language."""
    return {
        "population": _("Population"),
        "country": _("Country"),
        "distance": _("Distance"),
        "themes": _("Themes"),
    }
