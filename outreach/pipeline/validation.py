"""Field rules for candidates and contacts, shared by the forms, the CSV import and the CLI.

Each ``clean_*`` function takes raw text and returns the clean value or raises
:class:`FieldError` with a message meant for the person who typed the value.
"""

from __future__ import annotations

import re

from babel import Locale
from babel.core import get_global
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from outreach.pipeline import stages

CONTROL = re.compile(r"[\r\n\x00]")

THEMES: tuple[str, ...] = (
    "agriculture",
    "education",
    "energy",
    "idp-integration",
    "culture",
    "youth",
    "tourism",
    "healthcare",
    "social-services",
    "economic-development",
    "environment",
    "sport",
    "digital",
    "water",
    "transport",
    "civil-protection",
    "local-government",
    "heritage",
)

SOURCES: tuple[str, ...] = ("manual", "cities4cities", "unitedforua", "import", "referral")


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _countries() -> frozenset[str]:
    territories = Locale("en").territories
    not_countries = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
    return frozenset(
        code
        for code in territories
        if len(code) == 2 and code.isalpha() and code not in not_countries
    )


COUNTRIES = _countries()
LANGUAGE_CODES = frozenset(
    code for code in Locale("en").languages if len(code) == 2 and code.isalpha()
)


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
    if code not in COUNTRIES:
        raise FieldError(
            "country", _("unknown country code %(code)r (ISO 3166-1 alpha-2, e.g. PL)", code=code)
        )
    return code


def clean_language(field: str, value: str | None) -> str:
    code = no_control(field, value or "").lower()
    if code and code not in LANGUAGE_CODES:
        raise FieldError(field, _("unknown language code %(code)r (ISO 639-1, e.g. pl)", code=code))
    return code


def clean_languages(value: str | list[str] | None) -> str:
    parts = value if isinstance(value, list) else (value or "").replace(",", ";").split(";")
    codes: list[str] = []
    for part in parts:
        code = clean_language("languages", part)
        if code and code not in codes:
            codes.append(code)
    return ";".join(codes)


def clean_themes(value: str | list[str] | None) -> str:
    parts = value if isinstance(value, list) else (value or "").replace(",", ";").split(";")
    slugs: list[str] = []
    for part in parts:
        slug = no_control("themes", part).lower().replace(" ", "-").replace("_", "-")
        if not slug:
            continue
        if slug not in THEMES:
            raise FieldError(
                "themes",
                _(
                    "unknown theme %(theme)r (one of: %(themes)s)",
                    theme=slug,
                    themes=", ".join(THEMES),
                ),
            )
        if slug not in slugs:
            slugs.append(slug)
    return ";".join(slugs)


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


def country_name(code: str, locale: str = "en") -> str:
    return Locale.parse(locale).territories.get(code, code)


def official_languages(country: str) -> list[str]:
    """Official languages of a country from CLDR, most spoken first."""
    info = get_global("territory_languages").get(country.upper(), {})
    ranked = sorted(
        (
            (data.get("population_percent", 0), lang)
            for lang, data in info.items()
            if data.get("official_status") in ("official", "de_facto_official")
        ),
        reverse=True,
    )
    return [lang for _pct, lang in ranked if len(lang) == 2]
