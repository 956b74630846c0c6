"""Extension points: what one feature offers to the pages and processes of the others.

Each feature's ``init_app`` adds its entries to the app's :class:`Hooks` (``hooks(app)``);
the owner of each point reads them:

- ``nav``: links in the top bar (``outreach.web``), shown to users with the role;
- ``timeline``: events on a candidate's timeline (``outreach.pipeline.timeline``);
- ``candidate_marks``: badges on the board, the list and the candidate page, such as
  "no reply for 21 days" (``outreach.pipeline.marks``), asked once per page for every
  candidate shown;
- ``candidate_sets``: named filters for the board and the list, such as "awaiting a reply
  too long" (``outreach.pipeline.marks``);
- ``candidate_links``: actions on the candidate page (``outreach.pipeline.marks``);
- ``worker_start``: work scheduled when an RQ worker starts (``outreach.queue.worker``);
- ``first_letters``: for follow-ups, the first letter sent to each candidate (its date,
  subject and Message-ID), asked by the letter renderer (``outreach.letters.render``);
- ``suggestion_reasons``: why a candidate was suggested (the partner finder's factors, as
  ``{"factor": "population", "points": …, …}``), which letters turn into "why we write".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from redis import Redis

from outreach.extensions import Session


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    #: A lazy string, translated when the page is drawn.
    label: Any
    #: The least role that sees the link (a :class:`~outreach.auth.models.Role`).
    role: str


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # "stage", "note", "letter", "reply", ...
    title: str
    body: str = ""
    url: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class Mark:
    label: str
    css: str = "warn"
    title: str = ""


@dataclass(frozen=True)
class CandidateLink:
    href: str
    label: str
    #: The least role that sees the link (a :class:`~outreach.auth.models.Role`).
    role: str


@dataclass(frozen=True)
class CandidateSet:
    #: A lazy string, translated when the page is drawn.
    label: Any
    ids: Callable[[Session, datetime], set[int]]


#: ``(session, municipality_id) -> events`` of one candidate.
TimelineProvider = Callable[[Session, int], list[TimelineEvent]]
#: ``(session, ids, now) -> {id: marks}`` for the candidates shown on a page.
MarkProvider = Callable[[Session, list[int], datetime], dict[int, list[Mark]]]
#: ``(municipality_id) -> links`` for the candidate's page.
LinkProvider = Callable[[int], list[CandidateLink]]
#: ``(app, redis)``, called once when a worker starts.
WorkerStart = Callable[[Flask, Redis], None]
#: ``(session, municipality ids) -> {id: FirstLetter}`` (``outreach.letters.context``).
FirstLetters = Callable[[Session, list[int]], dict[int, Any]]
#: ``(session, municipality ids) -> {id: [factor, ...]}``.
SuggestionReasons = Callable[[Session, list[int]], dict[int, list[dict[str, Any]]]]


@dataclass
class Hooks:
    nav: list[NavLink] = field(default_factory=list)
    timeline: list[TimelineProvider] = field(default_factory=list)
    candidate_marks: list[MarkProvider] = field(default_factory=list)
    candidate_sets: dict[str, CandidateSet] = field(default_factory=dict)
    candidate_links: list[LinkProvider] = field(default_factory=list)
    worker_start: list[WorkerStart] = field(default_factory=list)
    first_letters: list[FirstLetters] = field(default_factory=list)
    suggestion_reasons: list[SuggestionReasons] = field(default_factory=list)


_KEY = "outreach.hooks"


def init_app(app: Flask) -> Hooks:
    """Give ``app`` its empty extension points (before any feature registers)."""
    found = Hooks()
    app.extensions[_KEY] = found
    return found


def hooks(app: Flask | None = None) -> Hooks:
    """The extension points of ``app`` (the current app by default)."""
    found: Hooks = (app or current_app).extensions[_KEY]
    return found
