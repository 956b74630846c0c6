"""Our own community's details (the single OfficeSettings row): reading and editing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from outreach import preferences
from outreach.extensions import Session
from outreach.letters import sources
from outreach.letters.i18n import _
from outreach.letters.models import DEFAULT_THEMES, OfficeSettings
from outreach.pipeline import validation as v
from outreach.pipeline.services import clean_fields

#: Editable fields, in form order.
FIELDS = (
    "name",
    "name_local",
    "country",
    "population",
    "website",
    "signatory_name",
    "signatory_title",
    "sender_email",
    "sender_phone",
    "themes",
    "fallback_language",
    "town_population",
    "priority_countries",
    "partner_proximity",
)


def defaults() -> dict[str, Any]:
    """The values a fresh installation starts with (population: an estimate, see README)."""
    return {
        "name": "Mena Community",
        "name_local": "Менська міська територіальна громада",
        "country": "UA",
        "population": 40000,
        "website": "https://mena-rada.example",
        "signatory_name": "",
        "signatory_title": "Mayor",
        "sender_email": "partners@mena-rada.example",
        "sender_phone": "",
        "themes": list(DEFAULT_THEMES),
        "fallback_language": "en",
        "town_population": preferences.DEFAULT_TOWN_POPULATION,
        "priority_countries": list(preferences.DEFAULT_PRIORITY_COUNTRIES),
        "partner_proximity": preferences.DEFAULT_PROXIMITY.value,
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
        "name": lambda x: v.clean_text("name", x, required=True),
        "name_local": lambda x: v.clean_text("name_local", x),
        "country": v.clean_country,
        "population": _population,
        "website": v.clean_website,
        "signatory_name": lambda x: v.clean_text("signatory_name", x, required=True),
        "signatory_title": lambda x: v.clean_text("signatory_title", x, required=True),
        "sender_email": lambda x: v.clean_email(x, field="sender_email"),
        "sender_phone": _phone,
        "themes": v.clean_themes,
        "fallback_language": _fallback,
        "town_population": _town_population,
        "priority_countries": _countries,
        "partner_proximity": _proximity,
    }
    return clean_fields({k: data[k] for k in FIELDS if k in data}, cleaners)


def _population(value: Any) -> int:
    number = v.clean_population(value)
    if number is None:
        raise v.FieldError("population", _("is required"))
    return number


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
