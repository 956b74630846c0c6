"""The language a recipient's letter is written in: the one place it is decided.

The chain: the contact's language, the municipality's first language, an official language of
its country (CLDR, most spoken first), then the office's fallback language. The first with a
template wins. The first step of the chain is the recipient's *preferred* language; a letter
in any other language falls back, and the reason says why ("English: no Estonian template").
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


class Recipient(Protocol):
    country: str
    languages: list[str]


class Addressee(Protocol):
    language: str


@dataclass(frozen=True)
class LanguageChoice:
    #: The language the letter is written in.
    language: str
    #: The language the recipient would ideally get, before looking for templates.
    preferred: str | None
    #: Why, for staff: "Latvian: the municipality's first language".
    reason: str

    @property
    def fallback(self) -> bool:
        """The recipient gets another language than the one it prefers."""
        return self.preferred is not None and self.language != self.preferred


class NoTemplate(ValueError):
    """Neither a language of the chain nor the fallback language has a template."""


def choose_language(
    municipality: Recipient,
    contact: Addressee | None,
    letter: LetterKind,
    available: Collection[str] | None = None,
    fallback: str = "en",
) -> LanguageChoice:
    """The language of ``letter`` for a recipient, among the ``available`` templates (by
    default the shipped ones)."""
    if available is None:
        available = sources.languages(letter)
    ui = interface_language()
    steps: list[tuple[str, str]] = []
    if contact is not None and contact.language:
        steps.append((contact.language.lower(), _("the contact's language")))
    if municipality.languages:
        steps.append((municipality.languages[0], _("the municipality's first language")))
    country = municipality.country or ""
    why_official = _("an official language of %(country)s", country=country_name(country, ui))
    steps.extend((code, why_official) for code in official_languages(country))
    preferred = steps[0][0] if steps else None
    missing: list[str] = []
    for code, why in steps:
        if code in available:
            reason = f"{language_name(code, ui)}: {why}"
            if missing:
                reason += " (" + _no_template(missing, ui) + ")"
            return LanguageChoice(code, preferred, reason)
        if code not in missing:
            missing.append(code)
    if fallback not in available:
        raise NoTemplate(
            _(
                "no %(letter)s template in %(languages)s, nor in the fallback language",
                letter=letter,
                languages=_language_list(missing + [fallback], ui),
            )
        )
    why = _no_template(missing, ui) if missing else _("the default language")
    return LanguageChoice(fallback, preferred, f"{language_name(fallback, ui)}: {why}")


def _language_list(codes: list[str], ui: str) -> str:
    return format_list([language_name(c, ui) for c in codes], style="or", locale=ui)


def _no_template(codes: list[str], ui: str) -> str:
    return _("no %(languages)s template", languages=_language_list(codes, ui))
