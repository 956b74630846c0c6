"""What the letters know about each language: one data file per language.

``templates/letters/languages/<code>.json`` (beside the letter texts, so that
``LETTER_TEMPLATES_DIR`` replaces them together) holds, for one language:

- ``script``: the ISO 15924 script its letters are written in (``Latn``, ``Cyrl``, ``Jpan`` …);
- ``locale``: the CLDR locale of dates, numbers and lists when not the language's own
  (``en_GB``: letters to European mayors use the British forms);
- ``family_name_first``: names are written family name first (Japanese, Chinese, Hungarian);
- ``mayor_roles`` / ``not_mayor_roles``: regular expressions recognising, in a contact's role
  typed in this language, the head of a municipality, and the deputies, assistants and offices
  that must not be taken for one (checked first);
- ``salutations``: the salutation rules, first match wins (see :mod:`.salutations`);
- ``titles``: our signatory's title by role and grammatical gender;
- ``date``: the date conventions (``format``: a CLDR pattern, default the long format;
  ``day_one``: how the first of the month is written, e.g. ``1er``);
- ``phrases``: the sentences the letters are built from (see :mod:`.phrases`);
- ``office``: how our council and community are named in this language, the default of the
  settings page.

A language whose letters are not written yet may have a file with its roles and name order
only; a language is shipped when it has letter texts and a complete file
(:data:`REQUIRED`).
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from babel.core import get_global
from flask import current_app, has_app_context

from outreach import resources
from outreach.letters import sources

#: The keys a language needs before letters can be written in it.
REQUIRED = ("script", "salutations", "titles", "phrases", "office")
#: Signatory roles the settings offer; each language names each by gender.
SIGNATORY_ROLES = ("mayor", "deputy_mayor", "council_secretary")
#: Our council's and community's names, per language (settings fields, in form order).
OFFICE_FIELDS = ("council", "council_of", "community", "community_of", "town", "region_in")

_lock = threading.Lock()
_cache: dict[str, dict[str, Language]] = {}


class LanguageDataError(ValueError):
    """A language file that is missing something; the message names the file and the key."""


@dataclass(frozen=True)
class Language:
    code: str
    data: dict[str, Any] = field(repr=False)

    @property
    def script(self) -> str:
        return str(self.data.get("script") or likely_script(self.code))

    @property
    def locale(self) -> str:
        """The CLDR locale for dates, numbers and lists ("en_GB" for English letters)."""
        return str(self.data.get("locale") or self.code)

    @property
    def family_name_first(self) -> bool:
        return bool(self.data.get("family_name_first"))

    @property
    def complete(self) -> bool:
        return all(key in self.data for key in REQUIRED)

    @cached_property
    def mayor_re(self) -> re.Pattern[str] | None:
        return _union(self.data.get("mayor_roles") or [])

    @cached_property
    def not_mayor_re(self) -> re.Pattern[str] | None:
        return _union(self.data.get("not_mayor_roles") or [])

    @property
    def salutations(self) -> list[dict[str, Any]]:
        return list(self.data.get("salutations") or [])

    @property
    def phrases(self) -> dict[str, Any]:
        return dict(self.data.get("phrases") or {})

    @property
    def office(self) -> dict[str, str]:
        return dict(self.data.get("office") or {})

    def title(self, role: str, gender: str) -> str:
        """Our signatory's title ("Bürgermeisterin") for a role and a gender ("f"/"m")."""
        forms = (self.data.get("titles") or {}).get(role) or {}
        return str(forms.get(gender) or "")

    @property
    def date(self) -> dict[str, str]:
        return dict(self.data.get("date") or {})


def _union(patterns: list[str]) -> re.Pattern[str] | None:
    """One pattern matching any of ``patterns`` at the start of a word (CJK roles have no
    word boundaries: "十日町市長" is the mayor of Tokamachi)."""
    if not patterns:
        return None
    parts = [p if p[:1] and "\u2e80" <= p[0] <= "\ud7af" else r"(?<!\w)" + p for p in patterns]
    return re.compile("(?:" + "|".join(parts) + ")", re.IGNORECASE)


def likely_script(code: str) -> str:
    """The script CLDR expects for a language ("pl" → "Latn", "uk" → "Cyrl")."""
    found = get_global("likely_subtags").get(code, "")
    parts = str(found).split("_")
    return parts[1] if len(parts) > 1 else "Latn"


_folders: dict[str, str] = {}


def folder() -> str:
    """``languages/`` beside the letters; the shipped one when a configured folder of letters
    (``LETTER_TEMPLATES_DIR``) has none."""
    configured = current_app.config.get("LETTER_TEMPLATES_DIR") if has_app_context() else None
    found = _folders.get(configured or "")
    if found is None:
        letters = sources.folder()
        found = os.path.join(letters, "languages")
        if not os.path.isdir(found):
            found = os.path.join(str(resources.letters_dir()), "languages")
        _folders[configured or ""] = found
    return found


def load(path: str | None = None) -> dict[str, Language]:
    """Every language file, by code (read once per folder)."""
    root = path or folder()
    found = _cache.get(root)
    if found is not None:
        return found
    with _lock:
        found = {}
        if os.path.isdir(root):
            for filename in sorted(os.listdir(root)):
                code, ext = os.path.splitext(filename)
                if ext != ".json" or not sources.is_language(code):
                    continue
                with open(os.path.join(root, filename), encoding="utf-8") as fh:
                    try:
                        data = json.load(fh)
                    except ValueError as exc:
                        raise LanguageDataError(f"languages/{filename}: {exc}") from exc
                found[code] = Language(code, data)
        _cache[root] = found
    return found


def reset() -> None:
    with _lock:
        _cache.clear()
        _folders.clear()


def get(code: str) -> Language:
    """The data of a language; an empty one (English rules apply) when it has no file."""
    return load().get(code) or Language(code, {})


def shipped(code: str) -> Language:
    """The data of a language letters are written in; raises naming the missing keys."""
    language = load().get(code)
    if language is None:
        raise LanguageDataError(f"languages/{code}.json is missing")
    missing = [key for key in REQUIRED if key not in language.data]
    if missing:
        raise LanguageDataError(f"languages/{code}.json: missing {', '.join(missing)}")
    return language


def all_languages() -> list[Language]:
    return list(load().values())


def family_name_first(codes: list[str]) -> bool:
    return any(get(code).family_name_first for code in codes if code)


_SCRIPT_NAMES = (
    ("LATIN", "Latn"),
    ("CYRILLIC", "Cyrl"),
    ("GREEK", "Grek"),
    ("CJK", "Hani"),
    ("HIRAGANA", "Kana"),
    ("KATAKANA", "Kana"),
    ("HANGUL", "Hang"),
    ("ARABIC", "Arab"),
    ("HEBREW", "Hebr"),
    ("GEORGIAN", "Geor"),
    ("ARMENIAN", "Armn"),
)
#: Scripts a language's script stands for ("Jpan" is kanji and kana).
_COVERS = {"Jpan": {"Hani", "Kana"}, "Hans": {"Hani"}, "Hant": {"Hani"}, "Kore": {"Hang", "Hani"}}


def scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` ("Dąbrowa" → {"Latn"}, "関口 健" → {"Hani"})."""
    found: set[str] = set()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for prefix, code in _SCRIPT_NAMES:
            if name.startswith(prefix):
                found.add(code)
                break
        else:
            found.add("Zyyy")
    return found


@lru_cache(maxsize=8192)
def in_script(text: str, script: str) -> bool:
    """Whether every letter of ``text`` is in ``script`` (text without letters passes)."""
    allowed = _COVERS.get(script, {script})
    return scripts(text) <= allowed
