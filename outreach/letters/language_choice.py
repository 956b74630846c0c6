"""The language a recipient's letter is written in: the one place it is decided.

1. The contact's own language, when set and a letter exists in it.
2. The town's declared languages, in order: the first that has a letter.
3. A town that declared languages, none of which has a letter, gets the office's fallback
   (English) — never another official language of its country (Leuven, ``nl;en``, gets
   English, not French).
4. A town that declared none: its country's official language (CLDR) when the country has
   one; for a multilingual country (Belgium, Switzerland, Luxembourg, Finland, Spain,
   Canada, …) the fallback, with a warning to declare the town's language.

Languages on the office's "never write in" list (Russian and Belarusian by default) are
skipped wherever they appear. The reason stays visible to staff in previews and batches.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from babel.lists import format_list

from outreach.letters import sources
from outreach.letters.i18n import _
from outreach.letters.kinds import LetterKind
from outreach.locales import country_name, interface_language, language_name, official_languages

#: Countries CLDR lists with one official language but where regional languages are
#: co-official (Catalan, Galician, Basque in Spain): a town's language is not implied.
REGIONALLY_MULTILINGUAL = frozenset({"ES"})


class Recipient(Protocol):
    country: str
    languages: list[str]


class Addressee(Protocol):
    language: str


@dataclass(frozen=True)
class LanguageChoice:
    #: The language the letter is written in.
    language: str
    #: The language the recipient would ideally get, before looking for letters.
    preferred: str | None
    #: Why, for staff: "Latvian: the municipality's first language".
    reason: str
    #: Something staff should fix (declare the town's language), or "".
    warning: str = ""

    @property
    def fallback(self) -> bool:
        """The recipient gets another language than the one it prefers (or a warning)."""
        return bool(self.warning) or (
            self.preferred is not None and self.language != self.preferred
        )


class NoTemplate(ValueError):
    """Neither a language of the chain nor the fallback language has a letter."""


def country_languages(country: str, never: Collection[str]) -> list[str]:
    """The country's official languages (CLDR, most spoken first), without those we never
    write in, each once."""
    found: list[str] = []
    for code in official_languages(country):
        base = {"nb": "no", "nn": "no"}.get(code, code)
        if base not in never and base not in found:
            found.append(base)
    return found


def multilingual(country: str, never: Collection[str]) -> bool:
    return len(country_languages(country, never)) > 1 or country.upper() in REGIONALLY_MULTILINGUAL


def choose_language(
    municipality: Recipient,
    contact: Addressee | None,
    letter: LetterKind,
    available: Collection[str] | None = None,
    fallback: str = "en",
    never: Collection[str] = ("ru", "be"),
) -> LanguageChoice:
    """The language of ``letter`` for a recipient, among the ``available`` letters (by
    default the shipped ones)."""
    if available is None:
        available = sources.languages(letter)
    ui = interface_language()
    never = set(never)
    skipped: list[str] = []
    missing: list[str] = []

    def consider(code: str, why: str) -> LanguageChoice | None:
        code = code.lower()
        if code in never:
            if code not in skipped:
                skipped.append(code)
            return None
        if code in available:
            return LanguageChoice(code, preferred, f"{language_name(code, ui)}: {why}")
        if code not in missing:
            missing.append(code)
        return None

    declared = [code.lower() for code in municipality.languages or []]
    contact_language = (contact.language or "").lower() if contact is not None else ""
    chain = ([contact_language] if contact_language else []) + declared
    preferred = next((c for c in chain if c not in never), None)
    if contact_language:
        found = consider(contact_language, _("the contact's language"))
        if found:
            return found
    for position, code in enumerate(declared):
        why = (
            _("the municipality's first language")
            if position == 0
            else _("a language the municipality declared")
        )
        found = consider(code, why)
        if found:
            return _with_notes(found, missing, skipped, ui)
    country = (municipality.country or "").upper()
    warning = ""
    if not declared:
        official = country_languages(country, never)
        where = country_name(country, ui)
        if multilingual(country, never):
            warning = _(
                "%(country)s has several official languages: declare the town's language",
                country=where,
            )
        elif official:
            preferred = preferred or official[0]
            found = consider(official[0], _("the official language of %(country)s", country=where))
            if found:
                return found
    if fallback not in available:
        raise NoTemplate(
            _(
                "no %(letter)s letter in %(languages)s, nor in the fallback language",
                letter=letter,
                languages=_language_list(missing + [fallback], ui),
            )
        )
    if warning:
        why = warning
    elif missing:
        why = _no_template(missing, ui)
    elif skipped:
        why = _never(skipped, ui)
    else:
        why = _("the default language")
    choice = LanguageChoice(fallback, preferred, f"{language_name(fallback, ui)}: {why}", warning)
    return _with_notes(choice, [] if not warning else missing, skipped if missing else [], ui)


def _with_notes(
    choice: LanguageChoice, missing: list[str], skipped: list[str], ui: str
) -> LanguageChoice:
    notes = []
    if missing and _no_template(missing, ui) not in choice.reason:
        notes.append(_no_template(missing, ui))
    if skipped:
        notes.append(_never(skipped, ui))
    if not notes:
        return choice
    return LanguageChoice(
        choice.language,
        choice.preferred,
        choice.reason + " (" + "; ".join(notes) + ")",
        choice.warning,
    )


def _language_list(codes: list[str], ui: str) -> str:
    return format_list([language_name(c, ui) for c in codes], style="or", locale=ui)


def _no_template(codes: list[str], ui: str) -> str:
    return _("no %(languages)s letter", languages=_language_list(codes, ui))


def _never(codes: list[str], ui: str) -> str:
    return _(
        "%(languages)s: on the list of languages we never write in",
        languages=_language_list(codes, ui),
    )
