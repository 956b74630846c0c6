"""What other features say about candidates on the board, the list and the candidate page:
marks, named sets and links, read from the extension points (:mod:`outreach.hooks`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_login import current_user

from outreach.extensions import Session
from outreach.hooks import CandidateSet, Mark, hooks

__all__ = ["Mark", "ids_in_set", "links_for", "marks_for", "named_sets"]


def marks_for(session: Session, ids: Iterable[int], now: datetime) -> dict[int, list[Mark]]:
    id_list = list(ids)
    found: dict[int, list[Mark]] = {}
    if not id_list:
        return found
    for provider in hooks().candidate_marks:
        for key, marks in provider(session, id_list, now).items():
            found.setdefault(key, []).extend(marks)
    return found


def named_sets() -> dict[str, CandidateSet]:
    return hooks().candidate_sets


def ids_in_set(session: Session, name: str, now: datetime) -> set[int] | None:
    """The ids in the named set, or None when no feature offers that set."""
    entry = named_sets().get(name)
    return None if entry is None else entry.ids(session, now)


def links_for(municipality_id: int) -> list[tuple[str, str]]:
    """The actions on a candidate's page that the current user may take: ``(href, label)``."""
    links = []
    for provider in hooks().candidate_links:
        for link in provider(municipality_id):
            if current_user.is_authenticated and current_user.has_role(link.role):
                links.append((link.href, link.label))
    return links
