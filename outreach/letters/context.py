"""The plain data a letter template sees: built from a candidate, its contact and our settings.

Every value is a string, a number, a list of strings or ``None``; nothing here reaches the
database while a template renders. The documented variables (shown on the editing page) are
:data:`VARIABLES`.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from outreach.clock import utcnow
from outreach.letters.salutations import salutation
from outreach.letters.sandbox import Section
from outreach.locales import country_name, letter_theme_labels, locale

#: The documented template variables with an example value each (the editing page lists them).
VARIABLES: tuple[tuple[str, str], ...] = (
    ("language", "pl"),
    ("date", "27 listopada 2026"),
    ("candidate.name", "Dąbrowa"),
    ("candidate.name_local", "Gmina Dąbrowa (the name when the letter is not in its language)"),
    ("candidate.country", "PL"),
    ("candidate.country_name", "Polska"),
    ("candidate.region", "kujawsko-pomorskie"),
    ("candidate.population", "6 000 (written as the language does; None: guard with {% if %})"),
    ("candidate.website", "https://dabrowa.example"),
    ("candidate.themes", "['rolnictwo', 'edukacja']"),
    ("contact.name", "Anna Nowak (may be empty)"),
    ("contact.role", "Wójt Gminy"),
    ("contact.salutation", "Szanowna Pani Wójt"),
    ("us.name", "Mena Community"),
    ("us.name_local", "Менська міська територіальна громада"),
    ("us.country_name", "Ukraina"),
    ("us.population", "40 000"),
    ("us.website", "https://mena-rada.example"),
    ("us.signatory_name", "(set on the Settings page)"),
    ("us.signatory_title", "Mayor"),
    ("us.themes", "['integracja osób wewnętrznie przesiedlonych', 'edukacja', ...]"),
    ("us.themes_text", "integracja ..., edukacja i rolnictwo"),
    ("sender.email", "partners@mena-rada.example"),
    ("sender.phone", "+380 ..."),
    ("shared_themes", "['rolnictwo', 'edukacja']"),
    ("shared_themes_text", "rolnictwo i edukacja (empty when none)"),
)
#: Top-level names of the context.
TOP_LEVEL = frozenset(name.split(".")[0] for name, _example in VARIABLES)


def natural_list(items: list[str], language: str) -> str:
    return format_list(items, locale=locale(language)) if items else ""


def today(timezone: str = "Europe/Kyiv") -> date:
    """Today's date at the office (the clock is naive UTC)."""
    return utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def number(value: int | None, language: str) -> str | None:
    """A whole number as the letter's language writes it ("40 000", "40.000", "40,000")."""
    if value is None:
        return None
    return format_decimal(value, locale=locale(language))


def long_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale=locale(language))


class LanguageData:
    """What stays the same for every letter in one language: date, our community, themes."""

    def __init__(self, language: str, settings: dict[str, Any], day: date) -> None:
        self.language = language
        self.date = long_date(day, language)
        our_themes = list(settings["themes"])
        self.our_theme_set = set(our_themes)
        our_labels = letter_theme_labels(our_themes, language)
        self.us = Section(
            "us",
            name=settings["name"],
            name_local=settings["name_local"],
            country_name=country_name(settings["country"], language),
            population=number(settings["population"], language),
            website=settings["website"],
            signatory_name=settings["signatory_name"],
            signatory_title=settings["signatory_title"],
            themes=our_labels,
            themes_text=natural_list(our_labels, language),
        )
        self.sender = Section(
            "sender", email=settings["sender_email"], phone=settings["sender_phone"]
        )
        self._shared: dict[tuple[str, ...], tuple[list[str], str]] = {}

    def shared(self, slugs: list[str]) -> tuple[list[str], str]:
        key = tuple(s for s in slugs if s in self.our_theme_set)
        found = self._shared.get(key)
        if found is None:
            labels = letter_theme_labels(list(key), self.language)
            found = (labels, natural_list(labels, self.language))
            self._shared[key] = found
        return found


def build(
    data: LanguageData,
    candidate: dict[str, Any],
    contact: dict[str, Any] | None,
) -> dict[str, Any]:
    """The template context for one candidate (plain values, see :data:`VARIABLES`)."""
    language = data.language
    contact = contact or {}
    slugs = list(candidate.get("themes") or [])
    shared, shared_text = data.shared(slugs)
    name = contact.get("name") or ""
    role = contact.get("role") or ""
    # The local name where the letter speaks the town's language; in any other language the
    # name staff use for it ("Wuzhen", not "乌镇", in an English letter).
    speaks_local = language in (candidate.get("languages") or [language])
    return {
        "language": language,
        "date": data.date,
        "candidate": Section(
            "candidate",
            name=candidate["name"],
            name_local=(speaks_local and candidate.get("name_local")) or candidate["name"],
            country=candidate["country"],
            country_name=country_name(candidate["country"], language),
            region=candidate.get("region") or "",
            population=number(candidate.get("population"), language),
            website=candidate.get("website") or "",
            themes=letter_theme_labels(slugs, language),
        ),
        "contact": Section(
            "contact",
            name=name,
            role=role,
            salutation=salutation(language, name, role, contact.get("gender") or ""),
        ),
        "us": data.us,
        "sender": data.sender,
        "shared_themes": shared,
        "shared_themes_text": shared_text,
    }


def candidate_data(municipality: Any) -> dict[str, Any]:
    """Plain values of a Municipality (or anything with the same attributes)."""
    return {
        "id": getattr(municipality, "id", None),
        "name": municipality.name,
        "name_local": municipality.name_local or "",
        "country": municipality.country,
        "region": municipality.region or "",
        "population": municipality.population,
        "website": municipality.website or "",
        "themes": list(municipality.themes or []),
        "languages": list(municipality.languages or []),
    }


def contact_data(contact: Any) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "name": contact.name or "",
        "role": contact.role or "",
        "gender": getattr(contact, "gender", "") or "",
        "language": getattr(contact, "language", "") or "",
    }
