"""Custom letter template versions and the office's own details used in every letter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outreach.clock import utcnow
from outreach.extensions import Model
from outreach.preferences import (
    DEFAULT_PRIORITY_COUNTRIES,
    DEFAULT_PROXIMITY,
    DEFAULT_TOWN_POPULATION,
)

#: Themes we seek partners for, from the office's yearly report (security, integration of
#: displaced people, education, social and humanitarian aid, rebuilding, joint projects).
DEFAULT_THEMES: tuple[str, ...] = (
    "idp-integration",
    "education",
    "social-services",
    "civil-protection",
    "energy",
    "agriculture",
    "culture",
    "youth",
)


#: Languages letters are never written in unless the settings say otherwise.
DEFAULT_NEVER_LANGUAGES: tuple[str, ...] = ("ru", "be")


class LetterTemplate(Model):
    """One saved version of a letter in one language; the newest version is the active one.

    Restoring an older version saves a new version with the old text, so the history is
    never rewritten and "newest wins" stays the only rule.
    """

    __tablename__ = "letter_template"
    __table_args__ = (
        UniqueConstraint("letter", "language", "version", name="uq_letter_template_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    #: The letter text: "Subject: …", a blank line, the body (see :mod:`.markup`).
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class OfficeSettings(Model):
    """Our council and community as the letters present them (a single row).

    ``names`` holds, per letter language, what staff changed from the defaults of the
    language's data file (the council's and community's names, the signatory's name and
    title, the contact person): ``{"pl": {"council": "Rada Miejska w Menie"}}``. The facts
    about us (``population``, ``displaced_people``, ``donors``) may be empty: the sentence
    that states them is then left out.
    """

    __tablename__ = "office_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Mena Community")
    name_local: Mapped[str] = mapped_column(
        String(200), default="Менська міська територіальна громада"
    )
    country: Mapped[str] = mapped_column(String(2), default="UA")
    population: Mapped[int | None] = mapped_column(default=None)
    displaced_people: Mapped[int | None] = mapped_column(default=None)
    donors: Mapped[int | None] = mapped_column(default=None)
    website: Mapped[str] = mapped_column(String(500), default="https://mena-rada.example")
    #: The signatory's name in Ukrainian; other scripts get it transliterated (or from names).
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="Mayor")
    #: "f" or "m": the title agrees with it.
    signatory_gender: Mapped[str] = mapped_column(String(1), default="")
    #: One of :data:`outreach.letters.languages.SIGNATORY_ROLES`.
    signatory_role: Mapped[str] = mapped_column(String(30), default="mayor")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_position: Mapped[str] = mapped_column(String(200), default="")
    contact_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    sender_email: Mapped[str] = mapped_column(String(254), default="partners@mena-rada.example")
    sender_phone: Mapped[str] = mapped_column(String(50), default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_THEMES))
    fallback_language: Mapped[str] = mapped_column(String(8), default="en")
    # What the partner finder (outreach.discovery) compares towns with.
    town_population: Mapped[int] = mapped_column(default=DEFAULT_TOWN_POPULATION)
    priority_countries: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_PRIORITY_COUNTRIES)
    )
    partner_proximity: Mapped[str] = mapped_column(String(10), default=DEFAULT_PROXIMITY.value)
    #: Languages letters are never written in, whatever a town declares.
    never_languages: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_NEVER_LANGUAGES)
    )
    names: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
