"""What the office prefers in a partner: the values the finder reads from the settings.

The settings page keeps them beside our own community's details (letters' office settings):
our town's population (the community's is already there), the countries we look in first,
and whether towns near our partners and candidates rank higher or lower.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

#: The 27 member states of the European Union.
EU: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
#: Where the office looks for partners (its report: the EU, the UK, the USA, Japan, China),
#: with Norway.
DEFAULT_PRIORITY_COUNTRIES: tuple[str, ...] = (*EU, "GB", "NO", "US", "JP", "CN")
#: Mena, the town at the heart of the community (GeoNames: 10,935 people).
DEFAULT_TOWN_POPULATION = 11000


class Proximity(StrEnum):
    """How the distance from our partners and candidates counts."""

    NEAR = "near"  # towns near them rank higher: regional networks
    FAR = "far"  # towns far from them rank higher: partners spread out
    ANY = "any"  # distance does not count


PROXIMITY_LABELS: dict[Proximity, Any] = {
    Proximity.NEAR: _l("Near our partners and candidates (regional networks)"),
    Proximity.FAR: _l("Far from our partners and candidates (spread out)"),
    Proximity.ANY: _l("Distance does not matter"),
}
DEFAULT_PROXIMITY = Proximity.NEAR
