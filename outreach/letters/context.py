"""The plain data a letter text sees: built from a candidate, its contact, our settings, our
partners and, for follow-ups, the first letter.

Every value is a string or a number; nothing here reaches the database while a letter
renders. The documented placeholders, with their meaning and an example, are
:data:`PLACEHOLDERS` (the editor page lists them). A value that is not known is "", and a
paragraph made only of empty placeholders is left out of the letter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from outreach.clock import utcnow
from outreach.letters import languages, office, phrases
from outreach.letters.salutations import SalutationError, salutation
from outreach.letters.sandbox import Section
from outreach.locales import country_name

#: ``(placeholder, meaning, example)`` for every value a letter text may print.
PLACEHOLDERS: tuple[tuple[str, str, str], ...] = (
    (
        "place_date",
        "our town and today's date, as the language writes them",
        "Mena, 1 grudnia 2026",
    ),
    ("date", "today's date in the letter's language", "1er décembre 2026"),
    ("language", "the letter's language code", "pl"),
    (
        "candidate.name",
        "the town's own name in its languages, else its usual name",
        "Gmina Żyraków",
    ),
    (
        "candidate.region",
        "its region's own name (in the town's languages; in English letters "
        "the English one; else empty)",
        "województwo podkarpackie",
    ),
    (
        "candidate.place",
        "the name and the region together, for a sentence",
        "Gmina Żyraków, województwo podkarpackie",
    ),
    ("candidate.country_name", "its country in the letter's language", "Polska"),
    (
        "candidate.population",
        "its population as the language writes numbers (may be empty)",
        "14 300",
    ),
    ("candidate.website", "its website (may be empty)", "https://zyrakow.example"),
    ("contact.salutation", "the salutation, without punctuation", "Szanowny Panie Wójcie"),
    ("contact.name", "the contact's name (may be empty)", "Marek Wiśniewski"),
    ("contact.role", "the contact's position (may be empty)", "Wójt Gminy"),
    ("us.council", "our council, the sender", "Rada Miejska w Menie"),
    (
        "us.council_of",
        "our council after “on behalf of” (the language's form)",
        "Rady Miejskiej w Menie",
    ),
    ("us.community", "our community", "miejska hromada terytorialna Mena"),
    (
        "us.community_of",
        "our community after “on behalf of”",
        "miejskiej hromady terytorialnej Mena",
    ),
    ("us.town", "our town", "Mena"),
    (
        "us.region",
        "where we are: “in Chernihiv Oblast” in the language",
        "w obwodzie czernihowskim",
    ),
    ("us.country_name", "our country in the letter's language", "Ukraina"),
    ("us.population", "our population (may be empty: set it on the Settings page)", "40 000"),
    ("us.website", "our website (may be empty)", "https://mena-rada.example"),
    ("us.signatory_name", "the signatory's name in the letter's script", "Olena Kovalenko"),
    (
        "us.signatory_title",
        "the signatory's title, agreeing with the signatory's gender",
        "Burmistrz Meny",
    ),
    ("us.contact_name", "our contact person (may be empty)", "Iryna Melnyk"),
    (
        "us.contact_position",
        "the contact person's position in this language (may be empty)",
        "koordynatorka",
    ),
    ("us.contact_phone", "our telephone (may be empty)", "+380 4644 2 11 11"),
    ("us.contact_email", "our e-mail address for replies", "partners@mena-rada.example"),
    (
        "paragraphs.about_us",
        "our population, displaced people taken in, donors: from the settings",
        "Mieszka w niej ok. 40 000 osób.",
    ),
    (
        "paragraphs.partners",
        "the municipalities we have signed agreements with (never the recipient)",
        "Nasza hromada ma już podpisane umowy partnerskie z gminami: …",
    ),
    (
        "paragraphs.why",
        "why we write to this town: how we found it, a similar size",
        "O Państwa gminie dowiedzieliśmy się z platformy …",
    ),
    (
        "paragraphs.themes",
        "the themes we share with the town (empty when none)",
        "Szczególnie chętnie wymienilibyśmy się doświadczeniami w dziedzinie: edukacja.",
    ),
    (
        "paragraphs.contact",
        "our contact person, telephone, e-mail and languages, one per line",
        "Osoba do kontaktu: …",
    ),
    ("closing", "the complimentary close that fits the salutation", "Z wyrazami szacunku"),
    (
        "signature",
        "the signatory's name, title and our council, one per line",
        "Olena Kovalenko\nBurmistrz Meny\nRada Miejska w Menie",
    ),
    ("first_letter.date", "follow-ups: the date of our first letter", "3 listopada 2026"),
    (
        "first_letter.subject",
        "follow-ups: the subject of our first letter",
        "Propozycja współpracy …",
    ),
    (
        "first_letter.subject_reply",
        "follow-ups: the subject mail programs thread with the first letter",
        "Re: Propozycja współpracy …",
    ),
)
#: Top-level names of the context.
TOP_LEVEL = frozenset(name.split(".")[0] for name, _meaning, _example in PLACEHOLDERS)
#: Every placeholder's full name.
NAMES = frozenset(name for name, _meaning, _example in PLACEHOLDERS)


class ContextError(ValueError):
    """A value a letter needs is missing or in the wrong script; the message names the field
    and the language."""


@dataclass(frozen=True)
class FirstLetter:
    """The letter a follow-up refers to."""

    sent_on: date
    subject: str
    message_id: str = ""


def today(timezone: str = "Europe/Kyiv") -> date:
    """Today's date at the office (the clock is naive UTC)."""
    return utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


class LanguageData:
    """What stays the same for every letter in one language: the date, us, our partners."""

    def __init__(
        self,
        code: str,
        settings: dict[str, Any],
        day: date,
        partners: Iterable[phrases.Partner] = (),
    ) -> None:
        self.code = code
        self.language = languages.shipped(code)
        self.settings = settings
        try:
            names = office.check_names(settings, code)
        except office.MissingName as exc:
            raise ContextError(str(exc)) from exc
        self.names = names
        self.date = phrases.long_date(day, code)
        self.place_date = phrases.phrase(
            self.language, "place_date", town=names["town"], date=self.date
        )
        self.us = Section(
            "us",
            council=names["council"],
            council_of=names["council_of"],
            community=names["community"],
            community_of=names["community_of"],
            town=names["town"],
            region=names["region_in"],
            country_name=country_name(settings.get("country") or "UA", code),
            population=phrases.number(settings.get("population"), code),
            website=settings.get("website") or "",
            signatory_name=names["signatory_name"],
            signatory_title=names["signatory_title"],
            contact_name=names.get("contact_name") or "",
            contact_position=names.get("contact_position") or "",
            contact_phone=settings.get("sender_phone") or "",
            contact_email=settings.get("sender_email") or "",
        )
        self.partners = list(partners)
        self._partner_ids = {p.id for p in self.partners}
        self.about_us = phrases.about_us(self.language, settings)
        self.contact = phrases.contact_block(self.language, names, settings)
        self.signature = phrases.signature(names)
        self.our_themes = set(settings.get("themes") or [])
        self._partners: dict[int | None, str] = {}

    def partners_for(self, recipient_id: int | None) -> str:
        """The partners paragraph for a recipient (without it when it is a partner)."""
        key = recipient_id if recipient_id in self._partner_ids else None
        found = self._partners.get(key)
        if found is None:
            found = phrases.partners(self.language, self.partners, key)
            self._partners[key] = found
        return found


def _in_script(value: str, data: LanguageData, field: str) -> str:
    if value and not languages.in_script(value, data.language.script):
        raise ContextError(
            f"{field} ({data.code}): {value!r} is not written in the script of "
            f"{data.code} letters ({data.language.script})"
        )
    return value


def build(
    data: LanguageData,
    candidate: dict[str, Any],
    contact: dict[str, Any] | None,
    first_letter: FirstLetter | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The context for one candidate (plain values, see :data:`PLACEHOLDERS`); raises
    :class:`ContextError` naming the field and the language when a value cannot be used."""
    code = data.code
    contact = contact or {}
    town_languages = list(candidate.get("languages") or [])
    own = code in town_languages
    name = candidate["name"]
    if own and candidate.get("name_local"):
        name = _in_script(candidate["name_local"], data, "candidate.name_local")
    elif not languages.in_script(name, data.language.script):
        raise ContextError(
            f"candidate.name ({code}): {name!r} is not written in the script of {code} "
            f"letters; set the town's name in that language (name_local)"
        )
    if own:
        region = _in_script(candidate.get("region_local") or "", data, "candidate.region_local")
    elif code == "en":
        region = _in_script(candidate.get("region") or "", data, "candidate.region")
    else:
        region = ""
    place = f"{name}, {region}" if region and region not in name else name
    contact_language = contact.get("language") or ""
    order = [contact_language] if contact_language else town_languages[:1]
    try:
        greeting = salutation(
            code,
            contact.get("name") or "",
            contact.get("role") or "",
            contact.get("gender") or "",
            town_languages=order,
        )
    except SalutationError as exc:
        raise ContextError(f"contact.salutation ({code}): {exc}") from exc
    unnamed = _unnamed(data.language, greeting)
    closing = phrases.phrase(
        data.language, "closing_unnamed" if unnamed else "closing", salutation=greeting
    )
    shared = [slug for slug in candidate.get("themes") or [] if slug in data.our_themes]
    size = phrases.similar_size(data.settings.get("population"), candidate.get("population"))
    values: dict[str, Any] = {
        "language": code,
        "date": data.date,
        "place_date": data.place_date,
        "candidate": Section(
            "candidate",
            name=name,
            region=region,
            place=place,
            country_name=country_name(candidate["country"], code),
            population=phrases.number(candidate.get("population"), code),
            website=candidate.get("website") or "",
        ),
        "contact": Section(
            "contact",
            name=contact.get("name") or "",
            role=contact.get("role") or "",
            salutation=greeting,
        ),
        "us": data.us,
        "paragraphs": Section(
            "paragraphs",
            about_us=data.about_us,
            partners=data.partners_for(candidate.get("id")),
            why=phrases.why(
                data.language,
                candidate.get("source") or "",
                size,
                phrases.suggested(data.language, reasons or [], candidate["country"]),
            ),
            themes=phrases.themes(data.language, shared),
            contact=data.contact,
        ),
        "closing": closing,
        "signature": data.signature,
        "first_letter": Section("first_letter", date="", subject="", subject_reply=""),
    }
    if first_letter is not None:
        prefix = phrases.phrase(data.language, "reply_prefix")
        subject = first_letter.subject
        values["first_letter"] = Section(
            "first_letter",
            date=phrases.long_date(first_letter.sent_on, code),
            subject=subject,
            subject_reply=subject if subject.lower().startswith("re:") else prefix + subject,
        )
    return values


def _unnamed(language: languages.Language, greeting: str) -> bool:
    return any(
        rule.get("unnamed") and rule.get("text") == greeting for rule in language.salutations
    )


def candidate_data(municipality: Any) -> dict[str, Any]:
    """Plain values of a Municipality (or anything with the same attributes)."""
    return {
        "id": getattr(municipality, "id", None),
        "name": municipality.name,
        "name_local": municipality.name_local or "",
        "country": municipality.country,
        "region": municipality.region or "",
        "region_local": getattr(municipality, "region_local", "") or "",
        "population": municipality.population,
        "website": municipality.website or "",
        "themes": list(municipality.themes or []),
        "languages": list(municipality.languages or []),
        "source": getattr(municipality, "source", "") or "",
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
