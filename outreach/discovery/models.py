"""The gazetteer of towns, the version of the data it holds, and why a town was suggested."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.clock import utcnow
from outreach.extensions import Model


class Town(Model):
    """One populated place of the gazetteer; ``id`` is its GeoNames id."""

    __tablename__ = "gazetteer_town"
    __table_args__ = (
        Index("ix_gazetteer_town_country_population", "country", "population"),
        Index("ix_gazetteer_town_country_name_key", "country", "name_key"),
        Index("ix_gazetteer_town_region_code", "region_code"),
        Index("ix_gazetteer_town_population", "population"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    #: The name in the script of the country's language, when the data has one.
    name_local: Mapped[str] = mapped_column(String(200), default="")
    #: ``fold(name)``: how towns are matched with candidates.
    name_key: Mapped[str] = mapped_column(String(200))
    #: Folded name, local name and alternate names, separated by `` | ``: what text search reads.
    search: Mapped[str] = mapped_column(String(500))
    country: Mapped[str] = mapped_column(String(2))
    #: The GeoNames first-level region code, e.g. ``PL.80``; "" when unknown.
    region_code: Mapped[str] = mapped_column(String(20), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    population: Mapped[int]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class GazetteerVersion(Model):
    """What the gazetteer table holds now (a single row): the data set, its version, the
    population threshold and the countries it was loaded with."""

    __tablename__ = "gazetteer_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    min_population: Mapped[int]
    #: ISO codes the load was limited to; empty: every country.
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    towns: Mapped[int]
    #: ISO codes of the countries that have towns, for the search form.
    country_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suggestion(Model):
    """Why a candidate added from the gazetteer was suggested: its score and the reason per
    factor (population, country, distance, themes) as the finder gave them, and the settings
    they were computed with. A letter can say from it why we write to this town."""

    __tablename__ = "suggestion"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )
    town_id: Mapped[int]
    score: Mapped[int]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
