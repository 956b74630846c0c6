"""Formal salutations, by a table of rules per language (``salutations`` in the language's data
file, :mod:`outreach.letters.languages`).

:func:`salutation` returns the opening line of a letter *without* its trailing punctuation (the
letter text adds "," or "!" or ":" as the language wants). Each rule may say:

- ``mayor``: true / false: the contact is (not) the head of the municipality, recognised by
  role in every language that has a data file, deputies and assistants excluded;
- ``gender``: ``"m"``, ``"f"`` or ``""`` (unknown);
- ``role``: a regular expression the role must contain (``w[óo]jt``, ``primátor``);
- ``text``: the salutation, with ``{surname}``, ``{given}``, ``{full}``, ``{academic}``
  (``Dr. ``), and, in Ukrainian, ``{surname_vocative}`` / ``{given_vocative}``.

The first rule whose conditions hold *and* whose placeholders all have a value wins; a name is a
value only when it is written in the letter's script (no "Dear Mr 健" or "пане Nowak").
Family-name-first names (Japanese, Chinese, Hungarian: ``family_name_first`` in the data) and
names in a CJK script without spaces are split accordingly. A table must end with a rule that
always applies; :class:`SalutationError` names the language when none does.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from outreach.letters import languages

_ACADEMIC = re.compile(r"^(?:dr|prof|ing|mgr|doc|hab|mag|dipl\.?-ing)\.?$", re.IGNORECASE)
_FIELDS = ("surname", "given", "full", "academic", "surname_vocative", "given_vocative")


class SalutationError(ValueError):
    """No salutation rule applies (the message names the language and what is known)."""


@dataclass(frozen=True)
class Person:
    """What we know about the recipient, normalised."""

    name: str
    role: str
    gender: str  # "m", "f" or ""
    languages: tuple[str, ...] = ()

    @property
    def is_mayor(self) -> bool:
        return is_mayor(self.role)


@lru_cache(maxsize=4096)
def is_mayor(role: str) -> bool:
    """Whether ``role`` names the head of a municipality, in any language with a data file;
    deputies, assistants and offices ("Deputy Mayor", "adjoint au maire", "zastępca wójta",
    "Assistant to the Mayor") are not."""
    role = " ".join((role or "").split())
    if not role:
        return False
    mayor, not_mayor = _role_patterns()
    if not_mayor is not None and not_mayor.search(role):
        return False
    return mayor is not None and bool(mayor.search(role))


@cache
def _role_patterns_for(key: tuple[str, ...]) -> tuple[re.Pattern[str] | None, ...]:
    found = languages.load()
    mayor = [p for code in key for p in found[code].data.get("mayor_roles") or []]
    not_mayor = [p for code in key for p in found[code].data.get("not_mayor_roles") or []]
    return languages._union(mayor), languages._union(not_mayor)


def _role_patterns() -> tuple[re.Pattern[str] | None, ...]:
    return _role_patterns_for(tuple(sorted(languages.load())))


def split_name(name: str, family_first: bool) -> tuple[str, str, str]:
    """``(academic titles, given names, family name)`` of a full name."""
    words = name.split()
    academic = []
    while len(words) > 1 and _ACADEMIC.match(words[0]):
        academic.append(words.pop(0))
    if len(words) == 1:
        word = words[0]
        if languages.scripts(word) <= {"Hani", "Hang"} and len(word) >= 2:
            # CJK names are written without a space, the (usually one-sign) family name first.
            return " ".join(academic), word[1:], word[0]
        return " ".join(academic), "", word
    if not words:
        return " ".join(academic), "", ""
    cjk = languages.scripts(name) & {"Hani", "Kana", "Hang"}
    if family_first or cjk:
        return " ".join(academic), " ".join(words[1:]), words[0]
    return " ".join(academic), " ".join(words[:-1]), words[-1]


def _values(person: Person, language: languages.Language) -> dict[str, str]:
    name = person.name
    if not name or not languages.in_script(name, language.script):
        return dict.fromkeys(_FIELDS, "")
    family_first = languages.family_name_first(list(person.languages))
    academic, given, surname = split_name(name, family_first)
    values = {
        "surname": surname,
        "given": given,
        "full": f"{given} {surname}".strip() if not family_first else f"{surname} {given}".strip(),
        "academic": (academic + " ") if academic else "",
        "surname_vocative": "",
        "given_vocative": "",
    }
    if language.code == "uk" and person.gender in ("m", "f") and surname:
        values.update(_ukrainian_vocative(given, surname, person.gender))
    return values


def _ukrainian_vocative(given: str, surname: str, gender: str) -> dict[str, str]:
    """The vocative of a Ukrainian name (``shevchenko``): "Тарасе", "Шевченку"."""
    import shevchenko

    person: dict[str, Any] = {
        "gender": "masculine" if gender == "m" else "feminine",
        "familyName": surname,
    }
    if given:
        person["givenName"] = given.split()[0]
    try:
        found = shevchenko.in_vocative(person)
    except Exception:  # noqa: BLE001 - an unknown name is written without declining it
        return {}
    return {
        "surname_vocative": str(found.get("familyName") or ""),
        "given_vocative": str(found.get("givenName") or ""),
    }


def _placeholders(text: str) -> list[str]:
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]


def _applies(rule: dict[str, Any], person: Person, values: dict[str, str]) -> bool:
    if "mayor" in rule and bool(rule["mayor"]) != person.is_mayor:
        return False
    if "gender" in rule and rule["gender"] != person.gender:
        return False
    role = rule.get("role")
    if role and not re.search(role, person.role, re.IGNORECASE):
        return False
    return all(values.get(name) for name in _placeholders(rule["text"]) if name != "academic")


def salutation(
    language: str,
    name: str = "",
    role: str = "",
    gender: str = "",
    town_languages: list[str] | tuple[str, ...] = (),
) -> str:
    """The formal salutation for a letter in ``language``, without trailing punctuation.

    ``town_languages`` (the contact's language first, then the town's) tell how the name is
    ordered. Raises :class:`SalutationError` when no rule of the language applies."""
    data = languages.get(language)
    if not data.salutations:
        data = languages.get("en")
    person = Person(
        name=" ".join((name or "").split()),
        role=" ".join((role or "").split()),
        gender=_normalise_gender(gender),
        languages=tuple(town_languages),
    )
    values = _values(person, data)
    for rule in data.salutations:
        if _applies(rule, person, values):
            return " ".join(rule["text"].format(**values).split())
    raise SalutationError(
        f"no salutation rule of languages/{data.code}.json applies to a contact with "
        f"gender {person.gender or 'unknown'!r}, role {person.role or '(none)'!r}: "
        "add a rule that always applies at the end"
    )


def _normalise_gender(gender: str) -> str:
    first = (gender or "").strip().lower()[:1]
    return first if first in ("m", "f") else ""
