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
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class OfficeSettings(Model):
    """Our own community and the sender, as the letters present them (a single row)."""

    __tablename__ = "office_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Mena Community")
    name_local: Mapped[str] = mapped_column(
        String(200), default="Менська міська територіальна громада"
    )
    country: Mapped[str] = mapped_column(String(2), default="UA")
    population: Mapped[int] = mapped_column(default=40000)
    website: Mapped[str] = mapped_column(String(500), default="https://mena-rada.example")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="Mayor")
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
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
