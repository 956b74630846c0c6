"""A candidate's timeline: every feature contributes events through a provider.

A provider is a callable ``(session, municipality_id) -> list[TimelineEvent]`` appended to
``app.extensions["outreach_timeline"]`` in the feature's ``init_app``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from outreach.extensions import Session


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # "stage", "note", "letter", "reply", ...
    title: str
    body: str = ""
    url: str | None = None
    user: str | None = None


Provider = Callable[[Session, int], list[TimelineEvent]]


def timeline(session: Session, municipality_id: int) -> list[TimelineEvent]:
    """All events for a candidate, newest first."""
    events: list[TimelineEvent] = []
    for provider in current_app.extensions["outreach_timeline"]:
        events.extend(provider(session, municipality_id))
    return sorted(events, key=lambda e: e.at, reverse=True)
