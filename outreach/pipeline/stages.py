"""The pipeline's stages and the moves allowed between them: the one place they are defined."""

from __future__ import annotations

import enum

from flask_babel import gettext
from flask_babel import lazy_gettext as _l


class Stage(enum.StrEnum):
    ANALYSED = "analysed"
    LETTER_SENT = "letter_sent"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    DECLINED = "declined"
    ON_HOLD = "on_hold"


#: Board order, left to right.
ORDER: tuple[Stage, ...] = (
    Stage.ANALYSED,
    Stage.LETTER_SENT,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.DECLINED,
    Stage.ON_HOLD,
)

TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.ANALYSED: frozenset({Stage.LETTER_SENT, Stage.DECLINED, Stage.ON_HOLD}),
    Stage.LETTER_SENT: frozenset(
        {Stage.ANALYSED, Stage.NEGOTIATING, Stage.DECLINED, Stage.ON_HOLD}
    ),
    Stage.NEGOTIATING: frozenset({Stage.SIGNED, Stage.DECLINED, Stage.ON_HOLD}),
    Stage.SIGNED: frozenset(),
    Stage.DECLINED: frozenset({Stage.ANALYSED, Stage.ON_HOLD}),
    Stage.ON_HOLD: frozenset(
        {Stage.ANALYSED, Stage.LETTER_SENT, Stage.NEGOTIATING, Stage.DECLINED}
    ),
}

LABELS = {
    Stage.ANALYSED: _l("Analysed"),
    Stage.LETTER_SENT: _l("Letter sent"),
    Stage.NEGOTIATING: _l("Negotiating"),
    Stage.SIGNED: _l("Signed"),
    Stage.DECLINED: _l("Declined"),
    Stage.ON_HOLD: _l("On hold"),
}


def can_move(source: Stage | str, target: Stage | str) -> bool:
    return Stage(target) in TRANSITIONS[Stage(source)]


def parse(value: str) -> Stage:
    """The stage named ``value``; raises ``ValueError`` naming the allowed ones."""
    try:
        return Stage(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in ORDER)
        raise ValueError(
            gettext("unknown stage %(stage)r (one of: %(allowed)s)", stage=value, allowed=allowed)
        ) from None
