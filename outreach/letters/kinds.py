"""The kinds of letter the office sends, and the stage of the pipeline each is written for.

The one place a letter kind is known. Edges turn text into a :class:`LetterKind` (the command
line with :data:`CHOICE`, forms with :func:`choices`, pages with :func:`parse`); everything
behind them takes the kind itself.
"""

from __future__ import annotations

import enum
from typing import Any

import click

from outreach.letters.i18n import _
from outreach.pipeline.stages import Stage


class LetterKind(enum.StrEnum):
    PROPOSAL = "proposal"
    #: The first follow-up after silence; refers to the first letter, in its thread.
    FOLLOW_UP = "follow_up"
    #: Every later follow-up: a different text, in the same thread.
    SECOND_FOLLOW_UP = "second_follow_up"

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The stages a candidate must be in to receive this letter, the usual one first."""
        return _STAGES[self]

    @property
    def is_follow_up(self) -> bool:
        return self in FOLLOW_UPS

    @property
    def earns_follow_ups(self) -> bool:
        """Silence after this letter earns a follow-up (every kind but the follow-ups)."""
        return not self.is_follow_up


#: The follow-up kinds, in the order they are sent.
FOLLOW_UPS: tuple[LetterKind, ...] = (LetterKind.FOLLOW_UP, LetterKind.SECOND_FOLLOW_UP)

_STAGES: dict[LetterKind, tuple[Stage, ...]] = {
    LetterKind.PROPOSAL: (Stage.ANALYSED,),
    LetterKind.FOLLOW_UP: (Stage.LETTER_SENT,),
    LetterKind.SECOND_FOLLOW_UP: (Stage.LETTER_SENT,),
}


def follow_up(number: int) -> LetterKind:
    """The kind of the ``number``-th follow-up (1: the first; 2 and later: the second's text)."""
    return LetterKind.FOLLOW_UP if number <= 1 else LetterKind.SECOND_FOLLOW_UP


def parse(value: str | None) -> LetterKind:
    """The kind named ``value``; raises ``ValueError`` naming the known ones."""
    try:
        return LetterKind(value or "")
    except ValueError:
        raise ValueError(
            _(
                "unknown letter %(letter)r (one of: %(letters)s)",
                letter=value,
                letters=", ".join(LetterKind),
            )
        ) from None


def choices() -> list[tuple[str, str]]:
    """Every kind as ``(value, label)`` for a select field."""
    return [(kind.value, kind.value) for kind in LetterKind]


class _Choice(click.Choice[str]):
    """``--letter``: one of the kinds, passed on as a :class:`LetterKind`."""

    name = "letter"

    def __init__(self) -> None:
        super().__init__([kind.value for kind in LetterKind])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, LetterKind):
            return value
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


#: The command line's type for a letter kind.
CHOICE = _Choice()
