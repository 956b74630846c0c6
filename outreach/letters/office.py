"""Our council and community (the single OfficeSettings row): reading, editing, and how each
letter language names them.

The sender of every letter is the council (Менська міська рада) on behalf of the community
(Менська міська територіальна громада). Per language, :func:`localized` gives the names the
letters use: what staff saved in ``names`` for that language, else the defaults of the
language's data file; the signatory's and the contact person's names are transliterated from
Ukrainian by the national system (Cabinet of Ministers resolution No. 55 of 2010, the
``translitua`` package) for Latin-script letters.
"""

from __future__ import annotations

from typing import Any

import translitua
from sqlalchemy import select

from outreach import preferences
from outreach.extensions import Session
from outreach.letters import languages, sources
from outreach.letters.i18n import _
from outreach.letters.models import DEFAULT_NEVER_LANGUAGES, DEFAULT_THEMES, OfficeSettings
from outreach.pipeline import validation as v
from outreach.pipeline.services import clean_fields

#: Editable fields, in form order (``names`` is edited per language, see :data:`NAME_FIELDS`).
FIELDS = (
    "country",
    "population",
    "displaced_people",
    "donors",
    "website",
    "signatory_name",
    "signatory_gender",
    "signatory_role",
    "contact_name",
    "contact_position",
    "contact_languages",
    "sender_email",
    "sender_phone",
    "themes",
    "fallback_language",
    "town_population",
    "priority_countries",
    "partner_proximity",
    "never_languages",
    "names",
)
#: What each letter language may name differently (each has a default).
NAME_FIELDS = (
    *languages.OFFICE_FIELDS,
    "signatory_name",
    "signatory_title",
    "contact_name",
    "contact_position",
)
GENDERS = ("f", "m")


def defaults() -> dict[str, Any]:
    """The values a fresh installation starts with. Facts about us that no source gives
    (population, displaced people) start empty; the donors come from the yearly report
    ("more than 30 international donor organisations")."""
    return {
        "country": "UA",
        "population": None,
        "displaced_people": None,
        "donors": 30,
        "website": "https://mena-rada.example",
        "signatory_name": "",
        "signatory_gender": "",
        "signatory_role": "mayor",
        "contact_name": "",
        "contact_position": "",
        "contact_languages": [],
        "sender_email": "partners@mena-rada.example",
        "sender_phone": "",
        "themes": list(DEFAULT_THEMES),
        "fallback_language": "en",
        "town_population": preferences.DEFAULT_TOWN_POPULATION,
        "priority_countries": list(preferences.DEFAULT_PRIORITY_COUNTRIES),
        "partner_proximity": preferences.DEFAULT_PROXIMITY.value,
        "never_languages": list(DEFAULT_NEVER_LANGUAGES),
        "names": {},
    }


def current(session: Session) -> OfficeSettings | None:
    return session.scalars(select(OfficeSettings).order_by(OfficeSettings.id).limit(1)).first()


def values(session: Session) -> dict[str, Any]:
    """The settings as plain values (defaults when nothing was saved yet); never writes."""
    row = current(session)
    if row is None:
        return defaults()
    return {name: getattr(row, name) for name in FIELDS}


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate settings; raise :class:`Invalid` mapping each bad field to its message."""
    cleaners = {
        "country": v.clean_country,
        "population": lambda x: _number("population", x),
        "displaced_people": lambda x: _number("displaced_people", x),
        "donors": lambda x: _number("donors", x),
        "website": v.clean_website,
        "signatory_name": _signatory_name,
        "signatory_gender": lambda x: _choice("signatory_gender", x, GENDERS),
        "signatory_role": lambda x: _choice("signatory_role", x, languages.SIGNATORY_ROLES),
        "contact_name": lambda x: _cyrillic("contact_name", v.clean_text("contact_name", x)),
        "contact_position": lambda x: v.clean_text("contact_position", x),
        "contact_languages": lambda x: _languages("contact_languages", x),
        "sender_email": lambda x: v.clean_email(x, field="sender_email"),
        "sender_phone": _phone,
        "themes": v.clean_themes,
        "fallback_language": _fallback,
        "town_population": _town_population,
        "priority_countries": _countries,
        "partner_proximity": _proximity,
        "never_languages": lambda x: _languages("never_languages", x),
        "names": _names,
    }
    return clean_fields({k: data[k] for k in FIELDS if k in data}, cleaners)


def _number(field: str, value: Any) -> int | None:
    try:
        return v.clean_population(value)
    except v.FieldError as exc:
        raise v.FieldError(field, exc.message) from None


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise v.FieldError(field, _("choose one of: %(choices)s", choices=", ".join(allowed)))
    return text


def _cyrillic(field: str, text: str) -> str:
    if text and not languages.in_script(text, "Cyrl"):
        raise v.FieldError(
            field, _("write it in Ukrainian (Cyrillic): other scripts are derived from it")
        )
    return text


def _signatory_name(value: Any) -> str:
    return _cyrillic("signatory_name", v.clean_text("signatory_name", value, required=True))


def _languages(field: str, value: Any) -> list[str]:
    """Codes separated by spaces, commas or semicolons ("uk en pl")."""
    if isinstance(value, str):
        value = ";".join(value.replace(",", " ").replace(";", " ").split())
    try:
        return v.clean_languages(value)
    except v.FieldError as exc:
        raise v.FieldError(field, exc.message) from None


def _town_population(value: Any) -> int:
    """The town's own population; 0 (left empty) when towns are compared with the whole
    community only."""
    try:
        return v.clean_population(value) or 0
    except v.FieldError as exc:
        raise v.FieldError("town_population", exc.message) from None


def _countries(value: Any) -> list[str]:
    """ISO codes separated by spaces, commas or semicolons, each once, in the given order."""
    parts = value if isinstance(value, list) else str(value or "").replace(",", " ").split()
    codes: list[str] = []
    for part in (p for chunk in parts for p in str(chunk).split(";")):
        if not part.strip():
            continue
        try:
            code = v.clean_country(part)
        except v.FieldError as exc:
            raise v.FieldError("priority_countries", exc.message) from None
        if code not in codes:
            codes.append(code)
    return codes


def _proximity(value: Any) -> str:
    try:
        return preferences.Proximity(value or preferences.DEFAULT_PROXIMITY).value
    except ValueError:
        choices = ", ".join(p.value for p in preferences.Proximity)
        raise v.FieldError(
            "partner_proximity", _("choose one of: %(choices)s", choices=choices)
        ) from None


def _phone(value: Any) -> str:
    text = v.clean_text("sender_phone", value, max_len=50)
    if text and not all(c.isdigit() or c in "+-() ." for c in text):
        raise v.FieldError("sender_phone", _("%(number)r is not a telephone number", number=text))
    return text


def _fallback(value: Any) -> str:
    code = v.clean_language("fallback_language", value) or "en"
    if not any(lang == code for _letter, lang in sources.shipped()):
        raise v.FieldError(
            "fallback_language", _("no shipped letter is written in %(code)r", code=code)
        )
    return code


def _names(value: Any) -> dict[str, dict[str, str]]:
    """Per-language names: only known languages and fields, in the language's script."""
    clean: dict[str, dict[str, str]] = {}
    for code, fields in (value or {}).items():
        language = languages.get(code)
        if not sources.is_language(code) or not language.complete:
            raise v.FieldError("names", _("no letters are written in %(code)r", code=code))
        kept: dict[str, str] = {}
        for name, text in (fields or {}).items():
            if name not in NAME_FIELDS:
                raise v.FieldError("names", _("unknown field %(name)r", name=name))
            text = v.clean_text(f"names.{code}.{name}", text)
            if text and not languages.in_script(text, language.script):
                raise v.FieldError(
                    f"names.{code}.{name}",
                    _(
                        "%(value)r is not written in the script of %(code)s letters",
                        value=text,
                        code=code,
                    ),
                )
            if text:
                kept[name] = text
        if kept:
            clean[code] = kept
    return clean


def update(session: Session, data: dict[str, Any]) -> OfficeSettings:
    """Save settings (every field validated first; nothing changes when one is wrong)."""
    clean_values = clean(data)
    row = current(session)
    if row is None:
        row = OfficeSettings(**defaults())
        session.add(row)
    for name, value in clean_values.items():
        setattr(row, name, value)
    session.flush()
    return row


def transliterate(text: str) -> str:
    """Ukrainian to Latin letters by the national system of 2010 ("Олена Коваленко" →
    "Olena Kovalenko"); text already in Latin letters stays as it is."""
    return str(translitua.translit(text)) if text else ""


class MissingName(ValueError):
    """A name a letter needs is missing for a language; the message names field and language."""


def default_names(settings: dict[str, Any], code: str) -> dict[str, str]:
    """What a language uses when staff saved nothing for it."""
    language = languages.get(code)
    found = {field: language.office.get(field, "") for field in languages.OFFICE_FIELDS}
    latin = language.script != "Cyrl"
    for field in ("signatory_name", "contact_name"):
        name = settings.get(field) or ""
        found[field] = transliterate(name) if latin else name
    gender = settings.get("signatory_gender") or ""
    found["signatory_title"] = language.title(settings.get("signatory_role") or "mayor", gender)
    found["contact_position"] = (settings.get("contact_position") or "") if code == "uk" else ""
    return found


def localized(settings: dict[str, Any], code: str) -> dict[str, str]:
    """Every name of :data:`NAME_FIELDS` for letters in language ``code``."""
    found = default_names(settings, code)
    for field, text in ((settings.get("names") or {}).get(code) or {}).items():
        if text:
            found[field] = text
    return found


def check_names(settings: dict[str, Any], code: str) -> dict[str, str]:
    """:func:`localized`, refusing what a letter cannot go without: raises
    :class:`MissingName` naming the settings field and the language."""
    names = localized(settings, code)
    language = languages.get(code)
    if not settings.get("signatory_name"):
        raise MissingName(_("our signatory's name is empty: set it on the Settings page first"))
    if not settings.get("signatory_gender"):
        raise MissingName(
            _("signatory_gender: set the signatory's gender on the Settings page (titles agree)")
        )
    for field in (*languages.OFFICE_FIELDS, "signatory_name", "signatory_title"):
        text = names.get(field, "")
        if not text:
            raise MissingName(
                _(
                    "%(field)s is missing for %(code)s letters: set it on the Settings page",
                    field=field,
                    code=code,
                )
            )
        if not languages.in_script(text, language.script):
            raise MissingName(
                _(
                    "%(field)s for %(code)s letters is %(value)r, not in the letters' script",
                    field=field,
                    code=code,
                    value=text,
                )
            )
    return names
