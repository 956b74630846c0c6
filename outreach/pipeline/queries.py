"""Read-side queries for the board, the candidate list and a candidate's page.

Every page runs a small, fixed number of statements whatever the number of candidates:
the board runs one grouped COUNT and one limited query per column (owners come in by a
joined load), the list runs one COUNT and one page query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, case, false, func, literal, select, type_coerce
from sqlalchemy.orm import selectinload

from outreach.auth.models import User
from outreach.clock import utcnow
from outreach.extensions import Session
from outreach.hooks import TimelineEvent
from outreach.pipeline import stages
from outreach.pipeline.models import AuditEntry, Municipality, Note, StageChange
from outreach.pipeline.stages import Stage

#: Cards a board column shows, and how many more each "show more" adds.
COLUMN_SIZE = 50
#: The most cards one column will ever show on one page.
COLUMN_MAX = 1000
#: Rows on one page of the candidate list.
PAGE_SIZE = 50


@dataclass
class Filters:
    """What the board and the list are narrowed to; empty values mean "any"."""

    q: str = ""
    stage: str = ""
    country: str = ""
    language: str = ""
    theme: str = ""
    owner_id: int | None = None
    waiting_days: int | None = None
    #: A named set offered by another feature (see ``marks.named_sets``), e.g. "overdue",
    #: and the ids in it, resolved once per request.
    only: str = ""
    only_ids: frozenset[int] | None = None

    @property
    def active(self) -> bool:
        return any((self.q, self.stage, self.country, self.language, self.theme, self.only)) or any(
            x is not None for x in (self.owner_id, self.waiting_days)
        )


def _contains_code(column: Any, code: str) -> Any:
    """``column`` (a :class:`~outreach.pipeline.models.CodeList`) holds ``code``."""
    stored = type_coerce(column, String)
    return (literal(";") + stored + literal(";")).contains(f";{code};", autoescape=True)


def apply_filters(stmt: Select, filters: Filters, now: datetime | None = None) -> Select:
    m = Municipality
    if filters.q:
        text = filters.q.strip()
        stmt = stmt.where(
            m.name.icontains(text, autoescape=True)
            | m.name_local.icontains(text, autoescape=True)
            | m.region.icontains(text, autoescape=True)
        )
    if filters.stage:
        stmt = stmt.where(m.stage == filters.stage)
    if filters.country:
        stmt = stmt.where(m.country == filters.country.upper())
    if filters.language:
        stmt = stmt.where(_contains_code(m.languages, filters.language.lower()))
    if filters.theme:
        stmt = stmt.where(_contains_code(m.themes, filters.theme.lower()))
    if filters.owner_id is not None:
        stmt = stmt.where(m.owner_id == filters.owner_id)
    if filters.waiting_days is not None:
        cutoff = (now or utcnow()) - timedelta(days=filters.waiting_days)
        stmt = stmt.where(m.stage_changed_at < cutoff)
    if filters.only_ids is not None:
        ids = sorted(filters.only_ids)
        stmt = stmt.where(m.id.in_(ids) if ids else false())
    return stmt


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Municipality]
    limit: int

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards) and self.limit < COLUMN_MAX


@dataclass
class Board:
    columns: list[Column]
    now: datetime = field(default_factory=utcnow)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.columns)


def stage_counts(session: Session, filters: Filters, now: datetime | None = None) -> dict[str, int]:
    """Candidates per stage, in one grouped COUNT."""
    stmt = apply_filters(
        select(Municipality.stage, func.count()).group_by(Municipality.stage), filters, now
    )
    return {stage: count for stage, count in session.execute(stmt)}


def board(session: Session, filters: Filters, more: dict[str, int] | None = None) -> Board:
    """The board: every column's full count and its most recently moved cards.

    ``more`` maps a stage to how many extra pages of :data:`COLUMN_SIZE` cards to show.
    """
    now = utcnow()
    counts = stage_counts(session, filters, now)
    columns = []
    for stage in stages.ORDER:
        limit = min(COLUMN_MAX, COLUMN_SIZE * (1 + (more or {}).get(stage.value, 0)))
        count = counts.get(stage.value, 0)
        cards: list[Municipality] = []
        if count:
            stmt = apply_filters(select(Municipality), filters, now).where(
                Municipality.stage == stage.value
            )
            stmt = stmt.order_by(
                Municipality.stage_changed_at.desc(), Municipality.id.desc()
            ).limit(limit)
            cards = list(session.scalars(stmt).unique())
        columns.append(Column(stage=stage, count=count, cards=cards, limit=limit))
    return Board(columns=columns, now=now)


#: Sort keys of the candidate list; "days" sorts by days in the stage.
SORTS = ("name", "country", "stage", "population", "days")


def _sort_columns(sort: str, descending: bool) -> list[Any]:
    m = Municipality
    keys: list[Any]
    if sort == "country":
        keys = [m.country, m.name]
    elif sort == "stage":
        rank = case({s.value: i for i, s in enumerate(stages.ORDER)}, value=m.stage, else_=99)
        keys = [rank, m.name]
    elif sort == "population":
        # Unknown populations go last either way.
        return [
            case((m.population.is_(None), 1), else_=0),
            m.population.desc() if descending else m.population.asc(),
            m.id,
        ]
    elif sort == "days":
        # More days in the stage means an older stage_changed_at.
        keys = [m.stage_changed_at]
        descending = not descending
    else:
        keys = [func.lower(m.name)]
    ordered = [k.desc() if descending else k.asc() for k in keys]
    return [*ordered, m.id.desc() if descending else m.id.asc()]


@dataclass
class Page:
    items: list[Municipality]
    total: int
    page: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def window(self, around: int = 3) -> list[int | None]:
        """Page numbers to link, with ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def candidate_page(
    session: Session,
    filters: Filters,
    *,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
) -> Page:
    """One page of the candidate list: one COUNT and one page query."""
    total = session.scalar(apply_filters(select(func.count(Municipality.id)), filters)) or 0
    per_page = PAGE_SIZE
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    stmt = (
        apply_filters(select(Municipality), filters)
        .order_by(*_sort_columns(sort if sort in SORTS else "name", descending))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=list(session.scalars(stmt).unique()), total=total, page=page)


def owners(session: Session) -> list[User]:
    """Active staff who may own candidates, for owner selects."""
    stmt = select(User).where(User.active.is_(True)).order_by(func.lower(User.name), User.email)
    return list(session.scalars(stmt))


def countries_in_use(session: Session) -> list[str]:
    stmt = select(Municipality.country).distinct().order_by(Municipality.country)
    return list(session.scalars(stmt))


def candidate(session: Session, municipality_id: int) -> Municipality | None:
    """A candidate with its owner and contacts loaded."""
    stmt = (
        select(Municipality)
        .where(Municipality.id == municipality_id)
        .options(selectinload(Municipality.contacts))
    )
    return session.scalars(stmt).unique().one_or_none()


def audit_trail(session: Session, municipality_id: int) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.municipality_id == municipality_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    return list(session.scalars(stmt).unique())


def _who(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def stage_events(session: Session, municipality_id: int) -> list[TimelineEvent]:
    """Timeline provider: every stage change of a candidate."""
    stmt = select(StageChange).where(StageChange.municipality_id == municipality_id)
    events = []
    for change in session.scalars(stmt).unique():
        target = stages.LABELS.get(Stage(change.to_stage), change.to_stage)
        if change.from_stage is None:
            title = _("Added as %(stage)s", stage=target)
        else:
            source = stages.LABELS.get(Stage(change.from_stage), change.from_stage)
            title = _("Moved from %(source)s to %(target)s", source=source, target=target)
        body = "" if change.note == "created" and change.from_stage is None else change.note
        events.append(
            TimelineEvent(
                at=change.created_at, kind="stage", title=title, body=body, user=_who(change.user)
            )
        )
    return events


def note_events(session: Session, municipality_id: int) -> list[TimelineEvent]:
    """Timeline provider: notes written about a candidate."""
    stmt = select(Note).where(Note.municipality_id == municipality_id)
    return [
        TimelineEvent(
            at=note.created_at, kind="note", title=_("Note"), body=note.body, user=_who(note.user)
        )
        for note in session.scalars(stmt).unique()
    ]


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def audit_events(session: Session, municipality_id: int) -> list[TimelineEvent]:
    """Timeline provider: edits of the profile and its contacts (creation is a stage event)."""
    titles = {
        "updated": _("Profile edited"),
        "contact_added": _("Contact added"),
        "contact_updated": _("Contact edited"),
        "contact_primary": _("Primary contact changed"),
    }
    stmt = select(AuditEntry).where(
        AuditEntry.municipality_id == municipality_id, AuditEntry.action != "created"
    )
    return [
        TimelineEvent(
            at=entry.created_at,
            kind="audit",
            title=titles.get(entry.action, entry.action),
            body="\n".join(
                f"{name}: {_plain(pair[0])} → {_plain(pair[1])}"
                for name, pair in sorted((entry.changes or {}).items())
            ),
            user=_who(entry.user),
        )
        for entry in session.scalars(stmt).unique()
    ]
