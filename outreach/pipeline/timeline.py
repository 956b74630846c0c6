"""A candidate's timeline: every feature contributes events through ``hooks().timeline``."""

from __future__ import annotations

from outreach.extensions import Session
from outreach.hooks import TimelineEvent, hooks

__all__ = ["TimelineEvent", "timeline"]


def timeline(session: Session, municipality_id: int) -> list[TimelineEvent]:
    """All events for a candidate, newest first."""
    events: list[TimelineEvent] = []
    for provider in hooks().timeline:
        events.extend(provider(session, municipality_id))
    return sorted(events, key=lambda e: e.at, reverse=True)
