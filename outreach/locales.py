"""Countries, languages and themes: their codes, and their names in any language.

The one place these facts live. Country and language names, and the official languages of a
country, come from CLDR (Babel); theme labels in letters come from ``themes.json`` beside this
module, and on screen from the interface catalog. The interface's own languages are here too.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError, get_global
from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: Languages the interface speaks, the default first.
INTERFACE_LANGUAGES: tuple[str, ...] = ("en", "uk")

#: Theme slugs (what is stored and imported) and how each reads on screen, in form order.
THEMES: dict[str, str] = {
    "agriculture": _l("Agriculture"),
    "education": _l("Education"),
    "energy": _l("Energy"),
    "idp-integration": _l("Integration of displaced people"),
    "culture": _l("Culture"),
    "youth": _l("Youth"),
    "tourism": _l("Tourism"),
    "healthcare": _l("Healthcare"),
    "social-services": _l("Social services"),
    "economic-development": _l("Economic development"),
    "environment": _l("Environment"),
    "sport": _l("Sport"),
    "digital": _l("Digital services"),
    "water": _l("Water"),
    "transport": _l("Transport"),
    "civil-protection": _l("Civil protection"),
    "local-government": _l("Local government"),
    "heritage": _l("Heritage"),
}

_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})

#: ISO 3166-1 alpha-2 codes of the countries CLDR names.
COUNTRIES: frozenset[str] = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)
#: ISO 639-1 codes of the languages CLDR names.
LANGUAGES: frozenset[str] = frozenset(
    code for code in map(str, Locale("en").languages) if len(code) == 2 and code.isalpha()
)


@lru_cache(maxsize=64)
def locale(language: str) -> Locale:
    """Babel's locale for a language code, English when CLDR does not know it."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def interface_language() -> str:
    """The language the interface speaks now: English outside a request (command line, jobs)."""
    return str(get_locale() or INTERFACE_LANGUAGES[0]) if has_request_context() else "en"


def choose_interface_language() -> str:
    """For Flask-Babel: the user's choice, else the session's, else the browser's best match."""
    if not has_request_context():
        return INTERFACE_LANGUAGES[0]
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in INTERFACE_LANGUAGES:
        return str(user.locale)
    chosen = session.get("locale")
    if chosen in INTERFACE_LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(INTERFACE_LANGUAGES) or INTERFACE_LANGUAGES[0]


def other_interface_languages() -> list[tuple[str, str]]:
    """The interface languages one can switch to now, each named in itself."""
    current = interface_language()
    return [(code, language_name(code, code)) for code in INTERFACE_LANGUAGES if code != current]


def country_name(code: str, language: str = "en") -> str:
    """The country's name in ``language`` ("Polska"), or the code when CLDR has none."""
    return locale(language).territories.get(code, code)


def language_name(code: str, language: str | None = None) -> str:
    """The language's name in ``language`` (the interface's by default): "Latvian"."""
    try:
        name = Locale.parse(code).get_display_name(language or interface_language()) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def official_languages(country: str) -> list[str]:
    """Official languages of a country from CLDR, most spoken first."""
    info = get_global("territory_languages").get(country.upper(), {})
    ranked = sorted(
        (
            (data.get("population_percent", 0), lang)
            for lang, data in info.items()
            if data.get("official_status") in ("official", "de_facto_official")
        ),
        reverse=True,
    )
    return [lang for _pct, lang in ranked if len(lang) == 2]


def theme_label(slug: str) -> str:
    """How a theme reads on screen, in the interface language."""
    label = THEMES.get(slug)
    return str(label) if label is not None else slug.replace("-", " ")


@cache
def _letter_labels() -> dict[str, dict[str, str]]:
    with (Path(__file__).parent / "themes.json").open(encoding="utf-8") as fh:
        labels: dict[str, dict[str, str]] = json.load(fh)
    return labels


def letter_theme_labels(slugs: list[str], language: str) -> list[str]:
    """How themes read inside a letter in ``language`` (English, then the slug, when missing)."""
    out = []
    for slug in slugs:
        names = _letter_labels().get(slug, {})
        out.append(names.get(language) or names.get("en") or slug.replace("-", " "))
    return out


def theme_choices() -> list[tuple[str, str]]:
    """Every theme as ``(slug, label on screen)``, for select fields."""
    return [(slug, theme_label(slug)) for slug in THEMES]


@lru_cache(maxsize=8)
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    named = sorted(((country_name(c, language), c) for c in COUNTRIES), key=lambda x: x[0].lower())
    return tuple((code, f"{name} ({code})") for name, code in named)


def country_choices(codes: list[str] | None = None) -> list[tuple[str, str]]:
    """Countries as ``(code, "Name (code)")`` by name in the interface language; only ``codes``
    when given."""
    choices = _country_choices(interface_language())
    if codes is not None:
        wanted = set(codes)
        return [c for c in choices if c[0] in wanted]
    return list(choices)
