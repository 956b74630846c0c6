"""A small map of where a candidate lies, drawn offline as SVG.

No map tiles and no shapes from outside: the country is drawn from the gazetteer itself, one
grey square for every patch of land that has towns, so its outline appears from the data.
The candidate is a red dot; our other partners and candidates in that country are blue dots.
"""

from __future__ import annotations

from math import cos, radians

from markupsafe import escape
from sqlalchemy import select

from outreach.discovery.models import Town
from outreach.extensions import Session
from outreach.pipeline.models import Municipality
from outreach.pipeline.stages import Stage

WIDTH = 320
#: Squares across the map.
COLUMNS = 64


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def candidate_map(session: Session, municipality: Municipality) -> str:
    """The SVG document; the candidate must have a location."""
    lat, lon = municipality.latitude, municipality.longitude
    assert lat is not None and lon is not None
    towns = session.execute(
        select(Town.latitude, Town.longitude).where(Town.country == municipality.country)
    ).all()
    others = session.execute(
        select(Municipality.name, Municipality.latitude, Municipality.longitude).where(
            Municipality.country == municipality.country,
            Municipality.id != municipality.id,
            Municipality.latitude.is_not(None),
            Municipality.stage != Stage.DECLINED.value,
        )
    ).all()
    lats = [t[0] for t in towns] or [lat]
    lons = [t[1] for t in towns] or [lon]
    # The bulk of the country (overseas islands would shrink it to a speck), and the candidate.
    south = min(_quantile(lats, 0.01), lat) - 0.3
    north = max(_quantile(lats, 0.99), lat) + 0.3
    west = min(_quantile(lons, 0.01), lon) - 0.3
    east = max(_quantile(lons, 0.99), lon) + 0.3
    squeeze = cos(radians((north + south) / 2))
    span_x = max((east - west) * squeeze, 0.5)
    span_y = max(north - south, 0.5)
    scale = WIDTH / max(span_x, span_y)
    width, height = round(span_x * scale), round(span_y * scale)

    def xy(plat: float, plon: float) -> tuple[float, float]:
        return (plon - west) * squeeze * scale, (north - plat) * scale

    cell = WIDTH / COLUMNS
    land = {
        (int(x // cell), int(y // cell))
        for x, y in (xy(t[0], t[1]) for t in towns)
        if 0 <= x < width and 0 <= y < height
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(municipality.name)}">',
        f'<rect width="{width}" height="{height}" fill="#f4f6f8"/>',
        '<g fill="#cfd6dd">',
        *(
            f'<rect x="{i * cell:.1f}" y="{j * cell:.1f}" width="{cell:.1f}" height="{cell:.1f}"/>'
            for i, j in sorted(land)
        ),
        "</g>",
        '<g fill="#2f6fb0">',
        *(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(name)}</title></circle>'
            for name, olat, olon in others
            if olat is not None and olon is not None
            for x, y in [xy(olat, olon)]
        ),
        "</g>",
    ]
    x, y = xy(lat, lon)
    parts += [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#c62828" stroke="#fff" stroke-width="1.5">'
        f"<title>{escape(municipality.name)}</title></circle>",
        "</svg>",
    ]
    return "".join(parts)
