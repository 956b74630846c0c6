"""The language chain, town by town, and the dates each language writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from outreach.letters.language_choice import choose_language
from outreach.letters.phrases import long_date

SHIPPED = {"uk", "en", "pl", "de", "it", "lv", "lt", "fr", "es", "cs", "ro"}


@dataclass
class Town:
    country: str
    languages: list[str] = field(default_factory=list)


@dataclass
class Person:
    language: str = ""


def choice(country: str, declared: str = "", contact: str = "") -> tuple[str, str, str]:
    found = choose_language(
        Town(country, [c for c in declared.split(";") if c]),
        Person(contact) if contact else None,
        "proposal",
        available=SHIPPED,
    )
    return found.language, found.reason, found.warning


CHAIN = [
    # country, declared languages, contact's language, letter language, words of the reason
    ("BE", "nl;en", "", "en", "a language the municipality declared (no Dutch letter)"),
    ("BE", "", "", "en", "Belgium has several official languages"),
    ("CH", "fr", "", "fr", "the municipality's first language"),
    ("CH", "", "", "en", "Switzerland has several official languages"),
    ("CH", "rm;de", "", "de", "a language the municipality declared (no Romansh letter)"),
    ("ES", "ca;es", "", "es", "a language the municipality declared (no Catalan letter)"),
    ("ES", "ca", "", "en", "no Catalan letter"),
    ("ES", "", "", "en", "Spain has several official languages"),
    ("FI", "sv;fi", "", "en", "no Swedish or Finnish letter"),
    ("FI", "", "", "en", "Finland has several official languages"),
    ("LU", "", "", "en", "Luxembourg has several official languages"),
    ("CA", "", "", "en", "Canada has several official languages"),
    ("JP", "ja", "", "en", "no Japanese letter"),
    ("JP", "", "", "en", "no Japanese letter"),
    ("CN", "zh", "", "en", "no Chinese letter"),
    ("EE", "et;ru", "", "en", "Russian: on the list of languages we never write in"),
    ("LV", "ru", "", "en", "Russian: on the list of languages we never write in"),
    ("LV", "lv;ru", "", "lv", "the municipality's first language"),
    ("BY", "", "", "en", "the default language"),
    ("LV", "lv", "ru", "lv", "the municipality's first language"),
    ("LV", "lv;en", "en", "en", "the contact's language"),
    ("PL", "pl", "uk", "uk", "the contact's language"),
    ("PL", "", "", "pl", "the official language of Poland"),
    ("AT", "", "", "de", "the official language of Austria"),
    ("IT", "", "", "it", "the official language of Italy"),
    ("DE", "hsb;de", "", "de", "a language the municipality declared (no Upper Sorbian letter)"),
]


@pytest.mark.parametrize(("country", "declared", "contact", "language", "why"), CHAIN)
def test_the_language_chain(
    app, country: str, declared: str, contact: str, language: str, why: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        chosen, reason, _warning = choice(country, declared, contact)
    assert chosen == language
    assert why in reason


def test_a_multilingual_country_warns_to_declare_the_towns_language(app) -> None:
    with app.test_request_context():
        _language, _reason, warning = choice("BE")
    assert "declare the town's language" in warning
    with app.test_request_context():
        assert choice("BE", "nl;en")[2] == ""


DATES = [
    ("en", date(2026, 12, 1), "1 December 2026"),
    ("en", date(2026, 3, 14), "14 March 2026"),
    ("fr", date(2026, 12, 1), "1er décembre 2026"),
    ("fr", date(2026, 12, 2), "2 décembre 2026"),
    ("it", date(2026, 12, 1), "1° dicembre 2026"),
    ("it", date(2026, 12, 21), "21 dicembre 2026"),
    ("pl", date(2026, 12, 1), "1 grudnia 2026"),
    ("de", date(2026, 12, 1), "1. Dezember 2026"),
    ("cs", date(2026, 12, 1), "1. prosince 2026"),
    ("es", date(2026, 12, 1), "1 de diciembre de 2026"),
    ("ro", date(2026, 12, 1), "1 decembrie 2026"),
    ("lt", date(2026, 12, 1), "2026 m. gruodžio 1 d."),
    ("lv", date(2026, 12, 1), "2026. gada 1. decembris"),
    ("uk", date(2026, 12, 1), "1 грудня 2026 р."),
]


@pytest.mark.parametrize(("language", "day", "expected"), DATES)
def test_dates_as_each_language_writes_them(language: str, day: date, expected: str) -> None:
    assert long_date(day, language).replace("\u202f", " ") == expected
