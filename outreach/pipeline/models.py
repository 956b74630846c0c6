from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.auth.models import User
from outreach.clock import utcnow
from outreach.extensions import Model
from outreach.pipeline.stages import Stage


class CodeList(TypeDecorator[list[str]]):
    """A list of codes stored as one string joined by ``;`` (``["pl", "en"]`` is ``"pl;en"``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> str:
        if isinstance(value, str):
            raise TypeError(f"a list of codes is expected, not the text {value!r}")
        return ";".join(value or [])

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[str]:
        return [part for part in (value or "").split(";") if part]


class Municipality(Model):
    """A candidate partner municipality."""

    __tablename__ = "municipality"
    __table_args__ = (
        UniqueConstraint("name", "country", name="uq_municipality_name_country"),
        Index("ix_municipality_stage_changed", "stage", "stage_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(200), default="")
    #: The region's own name in the town's language ("województwo podkarpackie").
    region_local: Mapped[str] = mapped_column(String(200), default="")
    population: Mapped[int | None]
    website: Mapped[str] = mapped_column(String(500), default="")
    #: ISO 639-1 codes, the first preferred.
    languages: Mapped[list[str]] = mapped_column(CodeList(100), default=list)
    #: Theme slugs.
    themes: Mapped[list[str]] = mapped_column(CodeList(500), default=list)
    source: Mapped[str] = mapped_column(String(50), default="manual")
    #: Where it is (degrees), and its GeoNames id when it came from the gazetteer.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    gazetteer_id: Mapped[int | None] = mapped_column(unique=True, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.ANALYSED.value)
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreement_date: Mapped[date | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: Raised by every profile edit; an edit applies only to the version its editor saw.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="municipality",
        cascade="all, delete-orphan",
        order_by="(Contact.is_primary.desc(), Contact.id)",
    )

    @property
    def primary_contact(self) -> Contact | None:
        return self.contacts[0] if self.contacts else None

    def days_in_stage(self, now: datetime | None = None) -> int:
        return max(0, ((now or utcnow()) - self.stage_changed_at).days)


class Contact(Model):
    """A person or office at a municipality; the primary one receives letters."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2), default="")
    #: "f", "m" or "" when unknown: picks the form of address in salutations.
    gender: Mapped[str] = mapped_column(String(1), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    #: Raised by every edit; an edit applies only to the version its editor saw.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    municipality: Mapped[Municipality] = relationship(back_populates="contacts")


class StageChange(Model):
    __tablename__ = "stage_change"
    __table_args__ = (Index("ix_stage_change_municipality_at", "municipality_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class Note(Model):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class AuditEntry(Model):
    """Who changed what on a candidate: ``changes`` maps a field to ``[old, new]``."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_municipality_at", "municipality_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class ImportStatus(enum.StrEnum):
    """Where a background CSV import stands: queued → running → done (or failed)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CsvImport(Model):
    """A CSV file imported by a background job: the file, the options, the progress while it
    runs and the report when done (the same report an import at once gives)."""

    __tablename__ = "csv_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: The uploaded file; emptied once the import has finished.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    update_existing: Mapped[bool] = mapped_column(default=False)
    dry_run: Mapped[bool] = mapped_column(default=False)
    #: The interface language of the person who uploaded it: the report's language.
    locale: Mapped[str] = mapped_column(String(5), default="en")
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.QUEUED.value)
    #: "checking" or "writing" while running.
    phase: Mapped[str] = mapped_column(String(20), default="")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    #: The report's problems, ``[row or None, field, message]`` each; nothing was written.
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list, deferred=True)
    error_count: Mapped[int] = mapped_column(default=0)
    written: Mapped[bool] = mapped_column(default=False)
    #: Why the job itself failed (not a problem in the file), for a failed import.
    failure: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE.value, ImportStatus.FAILED.value)
