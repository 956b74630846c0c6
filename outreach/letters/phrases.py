"""Sentences built from data, in the letter's language, from the ``phrases`` of the language's
data file (:mod:`outreach.letters.languages`). Each function returns "" when the data it needs
is missing, so the letter leaves the sentence out.

Keys of ``phrases`` (``{…}`` are filled in):

- ``place_date`` ({town}, {date}); ``reply_prefix`` (the subject of a follow-up: "Re: ");
- ``partner`` ({names}, {country}), ``partners_one`` / ``partners_many`` ({partners});
- ``about_population`` ({population}), ``about_displaced`` ({displaced}),
  ``about_donors`` ({donors});
- ``why_cities4cities``, ``why_unitedforua``, ``why_referral``, ``why_size``,
  ``why_suggested`` ({reasons}) with ``reason_size``, ``reason_themes`` ({themes}),
  ``reason_country`` ({country});
- ``themes_one`` / ``themes_many`` ({themes});
- ``closing`` / ``closing_unnamed`` ({salutation}: French repeats it);
- ``contact`` ({name}, {position}), ``contact_phone`` ({phone}), ``contact_email`` ({email}),
  ``contact_languages`` ({languages}).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from outreach.letters import languages
from outreach.locales import country_name, language_name, letter_theme_labels, locale

#: A candidate is "of a similar size" within this ratio of our population, either way.
SIMILAR_SIZE = 2.0


class PhraseError(ValueError):
    """A phrase the language's data file lacks (the message names the file and the key)."""


def phrase(language: languages.Language, key: str, **values: Any) -> str:
    text = language.phrases.get(key)
    if text is None:
        raise PhraseError(f"languages/{language.code}.json: phrases.{key} is missing")
    return str(text).format(**values)


def natural_list(items: list[str], code: str) -> str:
    """ "A, B and C" as the language writes lists (British English: no comma before "and")."""
    return format_list(items, locale=locale(languages.get(code).locale)) if items else ""


def number(value: int | None, code: str) -> str:
    """A whole number as the language writes it ("40 000", "40.000", "40,000"); "" for None."""
    if value is None:
        return ""
    return format_decimal(value, locale=locale(languages.get(code).locale))


def long_date(day: date, code: str) -> str:
    """The date as letters in this language write it: CLDR's long format (or the data file's
    pattern and locale: British English), with the first of the month as the language writes
    it ("1er décembre", "1° dicembre")."""
    language = languages.get(code)
    conventions = language.date
    where = locale(language.locale)
    text = format_date(day, format=conventions.get("format") or "long", locale=where)
    day_one = conventions.get("day_one")
    if day.day == 1 and day_one and text.startswith("1 "):
        text = day_one + text[1:]
    return text


@dataclass(frozen=True)
class Partner:
    """A municipality we signed an agreement with."""

    id: int
    name: str
    name_local: str
    country: str
    languages: tuple[str, ...]

    def name_in(self, script: str) -> str:
        """Its usual short name ("Dąbrowa", not "Gmina Dąbrowa"), else its own name, in the
        letter's script; "" when neither is."""
        for name in (self.name, self.name_local):
            if name and languages.in_script(name, script):
                return name
        return ""


def partners(
    language: languages.Language, found: Iterable[Partner], recipient_id: int | None
) -> str:
    """ "We already have partnership agreements with …": our partners but the recipient,
    grouped by country in the order they came, each name in the letter's script."""
    groups: dict[str, list[str]] = {}
    count = 0
    for partner in found:
        if partner.id == recipient_id:
            continue
        name = partner.name_in(language.script)
        if not name:
            continue
        groups.setdefault(partner.country, []).append(name)
        count += 1
    if not groups:
        return ""
    items = [
        phrase(
            language,
            "partner",
            names=natural_list(names, language.code),
            country=country_name(country, language.code),
        )
        for country, names in groups.items()
    ]
    key = "partners_one" if count == 1 else "partners_many"
    return phrase(language, key, partners=natural_list(items, language.code))


def about_us(language: languages.Language, settings: dict[str, Any]) -> str:
    """The sentences about us that the settings give a number for."""
    code = language.code
    sentences = []
    if settings.get("population"):
        sentences.append(
            phrase(language, "about_population", population=number(settings["population"], code))
        )
    if settings.get("displaced_people"):
        sentences.append(
            phrase(
                language,
                "about_displaced",
                displaced=number(settings["displaced_people"], code),
            )
        )
    if settings.get("donors"):
        sentences.append(phrase(language, "about_donors", donors=number(settings["donors"], code)))
    return " ".join(sentences)


def themes(language: languages.Language, slugs: list[str]) -> str:
    """The themes sentence; "" without themes (never all of ours by default)."""
    if not slugs:
        return ""
    labels = letter_theme_labels(slugs, language.code)
    key = "themes_one" if len(labels) == 1 else "themes_many"
    return phrase(language, key, themes=natural_list(labels, language.code))


def similar_size(ours: int | None, theirs: int | None) -> bool:
    if not ours or not theirs:
        return False
    return 1 / SIMILAR_SIZE <= theirs / ours <= SIMILAR_SIZE


#: A factor of the partner finder counts as a reason from this share of its weight.
STRONG = 0.6


def suggested(
    language: languages.Language, factors: list[dict[str, Any]], country: str
) -> list[str]:
    """The partner finder's strong reasons to suggest a town (``outreach.discovery``), as
    clauses in the letter's language: a similar size, shared themes, a country we look in."""
    out = []
    for factor in factors:
        weight = factor.get("weight") or 0
        if not weight or (factor.get("points") or 0) < STRONG * weight:
            continue
        name = factor.get("factor")
        if name == "population":
            out.append(phrase(language, "reason_size"))
        elif name == "themes" and factor.get("shared"):
            labels = letter_theme_labels(list(factor["shared"]), language.code)
            out.append(
                phrase(language, "reason_themes", themes=natural_list(labels, language.code))
            )
        elif name == "country" and factor.get("priority"):
            out.append(
                phrase(language, "reason_country", country=country_name(country, language.code))
            )
    return out


def why(
    language: languages.Language,
    source: str,
    size: bool,
    reasons: list[str] | None = None,
) -> str:
    """Why we write to this town: how we found it, and why it was suggested or resembles us."""
    sentences = []
    if source in ("cities4cities", "unitedforua", "referral"):
        sentences.append(phrase(language, f"why_{source}"))
    if reasons:
        sentences.append(
            phrase(language, "why_suggested", reasons=natural_list(reasons, language.code))
        )
    elif size:
        sentences.append(phrase(language, "why_size"))
    return " ".join(sentences)


def contact_block(
    language: languages.Language, names: dict[str, str], settings: dict[str, Any]
) -> str:
    """The contact person, one line each for the person, the telephone, the address and the
    languages spoken; "" when no contact person is set."""
    name = names.get("contact_name") or ""
    if not name:
        return ""
    position = names.get("contact_position") or ""
    who = phrase(language, "contact", name=name, position=position)
    if not position:
        who = who.replace(", " + position, "").rstrip(", ")
    lines = [who]
    if settings.get("sender_phone"):
        lines.append(phrase(language, "contact_phone", phone=settings["sender_phone"]))
    if settings.get("sender_email"):
        lines.append(phrase(language, "contact_email", email=settings["sender_email"]))
    spoken = [language_name(c, language.code) for c in settings.get("contact_languages") or []]
    if spoken:
        lower = [s[:1].lower() + s[1:] if language.code != "de" else s for s in spoken]
        if language.code == "en":
            lower = spoken
        lines.append(
            phrase(language, "contact_languages", languages=natural_list(lower, language.code))
        )
    return "\n".join(lines)


def signature(names: dict[str, str], website: str = "") -> str:
    """Name, title, the council; the website on its own line when set."""
    lines = [names["signatory_name"], names["signatory_title"], names["council"]]
    if website:
        lines.append(website)
    return "\n".join(lines)
