"""Field rules for candidates and contacts, shared by the forms, the CSV import and the CLI.

Each ``clean_*`` function takes raw text and returns the clean value or raises
:class:`FieldError` with a message meant for the person who typed the value.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from outreach import locales
from outreach.pipeline import stages

CONTROL = re.compile(r"[\r\n\x00]")

SOURCES: tuple[str, ...] = (
    "manual",
    "cities4cities",
    "unitedforua",
    "import",
    "referral",
    "gazetteer",
)


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def no_control(field: str, value: str) -> str:
    if CONTROL.search(value):
        raise FieldError(field, _("line breaks are not allowed here"))
    return value.strip()


def clean_text(field: str, value: str | None, *, required: bool = False, max_len: int = 200) -> str:
    value = no_control(field, value or "")
    if required and not value:
        raise FieldError(field, _("is required"))
    if len(value) > max_len:
        raise FieldError(field, _("is longer than %(n)d characters", n=max_len))
    return value


def clean_country(value: str | None) -> str:
    code = no_control("country", value or "").upper()
    if not code:
        raise FieldError("country", _("is required"))
    if code not in locales.COUNTRIES:
        raise FieldError(
            "country", _("unknown country code %(code)r (ISO 3166-1 alpha-2, e.g. PL)", code=code)
        )
    return code


def clean_language(field: str, value: str | None) -> str:
    code = no_control(field, value or "").lower()
    if code and code not in locales.LANGUAGES:
        raise FieldError(field, _("unknown language code %(code)r (ISO 639-1, e.g. pl)", code=code))
    return code


def _parts(value: str | list[str] | None) -> list[str]:
    """Codes typed as ``"pl;en"`` or ``"pl, en"``, or already a list."""
    return value if isinstance(value, list) else (value or "").replace(",", ";").split(";")


def clean_languages(value: str | list[str] | None) -> list[str]:
    parts = _parts(value)
    codes: list[str] = []
    for part in parts:
        code = clean_language("languages", part)
        if code and code not in codes:
            codes.append(code)
    return codes


def clean_themes(value: str | list[str] | None) -> list[str]:
    parts = _parts(value)
    slugs: list[str] = []
    for part in parts:
        slug = no_control("themes", part).lower().replace(" ", "-").replace("_", "-")
        if not slug:
            continue
        if slug not in locales.THEMES:
            raise FieldError(
                "themes",
                _(
                    "unknown theme %(theme)r (one of: %(themes)s)",
                    theme=slug,
                    themes=", ".join(locales.THEMES),
                ),
            )
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def clean_population(value: str | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    text = no_control("population", value).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not text.isdigit():
        raise FieldError("population", _("%(value)r is not a whole number", value=value))
    return int(text)


def clean_email(value: str | None, *, required: bool = True, field: str = "email") -> str:
    text = value or ""
    if CONTROL.search(text):
        raise FieldError(field, _("line breaks are not allowed in an address"))
    text = text.strip()
    if not text:
        if required:
            raise FieldError(field, _("is required"))
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldError(
            field, _("%(address)r is not a valid address: %(error)s", address=text, error=exc)
        ) from None


def clean_coordinate(field: str, value: str | float | None, limit: float) -> float | None:
    """A latitude (``limit`` 90) or longitude (180) in degrees, or None when empty."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, _("%(value)r is not a number of degrees", value=value)) from None
    if not -limit <= number <= limit:
        raise FieldError(field, _("must lie between -%(n)d and %(n)d", n=limit))
    return number


def clean_gazetteer_id(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    raise FieldError("gazetteer_id", _("%(value)r is not a whole number", value=value))


def clean_website(value: str | None) -> str:
    text = clean_text("website", value, max_len=500)
    if text and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", text):
        if re.match(r"^[\w.-]+\.[a-z]{2,}(/.*)?$", text, re.I):
            return "https://" + text
        raise FieldError("website", _("%(address)r is not a web address", address=text))
    return text


def clean_stage(value: str | None) -> str:
    text = no_control("stage", value or "")
    if not text:
        return stages.Stage.ANALYSED.value
    try:
        return stages.parse(text).value
    except ValueError as exc:
        raise FieldError("stage", str(exc)) from None
