"""What other features say about candidates on the board, the list and the candidate page.

- A *mark* provider, in ``app.extensions["outreach_candidate_marks"]``, is a callable
  ``(session, ids, now) -> {id: [Mark, ...]}``: badges such as "no reply for 21 days" or
  "needs a new address". It is called once per page for all the candidates shown.
- A *set* provider, in ``app.extensions["outreach_candidate_sets"]``, maps a name to
  ``(label, callable(session, now) -> set of ids)``: a named filter for the board and the list.
- A *link* provider, in ``app.extensions["outreach_candidate_links"]``, is a callable
  ``(municipality) -> [(href, label, role)]``: actions on the candidate page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_login import current_user

from outreach.extensions import Session


@dataclass(frozen=True)
class Mark:
    label: str
    css: str = "warn"
    title: str = ""


MarkProvider = Callable[[Session, list[int], datetime], dict[int, list[Mark]]]


def marks_for(session: Session, ids: Iterable[int], now: datetime) -> dict[int, list[Mark]]:
    id_list = list(ids)
    found: dict[int, list[Mark]] = {}
    if not id_list:
        return found
    for provider in current_app.extensions.get("outreach_candidate_marks", []):
        for key, marks in provider(session, id_list, now).items():
            found.setdefault(key, []).extend(marks)
    return found


def named_sets() -> dict[str, tuple[Any, Callable[[Session, datetime], set[int]]]]:
    return current_app.extensions.get("outreach_candidate_sets", {})


def ids_in_set(session: Session, name: str, now: datetime) -> set[int] | None:
    """The ids in the named set, or None when no feature offers that set."""
    entry = named_sets().get(name)
    return None if entry is None else entry[1](session, now)


def links_for(municipality: Any) -> list[tuple[str, str]]:
    links = []
    for provider in current_app.extensions.get("outreach_candidate_links", []):
        for href, label, role in provider(municipality):
            if current_user.is_authenticated and current_user.has_role(role):
                links.append((href, label))
    return links
