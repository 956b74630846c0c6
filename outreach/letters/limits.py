"""The caps on rendering one letter, enforced while it renders.

A render runs inside :func:`metered`: a deadline (:data:`MAX_SECONDS`) and a budget of the
characters and items the template's operations may build in all (:data:`MAX_RENDER_ITEMS`).
Every operation a template can repeat or grow a value with checks in here (the sandbox calls
these from its operators, method calls, filters, loops and printed values):

* :func:`tick` stops the render once the deadline has passed;
* :func:`allow` refuses an operation *before* it runs when its result would be larger than
  :data:`MAX_ITEMS` (``replace``, ``join``, ``format``, repetition, concatenation...);
* :func:`produced` checks a result and spends its size from the budget.

The size of a value is what printing it would write: the characters of a string, the sizes of
a container's items added up (a list holding the same long string twice counts it twice).
Outside :func:`metered` (compiling, the static checks) only the per-value cap applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from jinja2.exceptions import SecurityError

from outreach.letters.i18n import _

#: The largest string or list one operation in a template may produce (its size).
MAX_ITEMS = 100_000
#: Characters and items all the operations of one render may produce together.
MAX_RENDER_ITEMS = 2_000_000
#: Longest a single letter may take to render (seconds).
MAX_SECONDS = 2.0
#: Deepest nesting of lists and dicts a template may build.
MAX_DEPTH = 20
_CONTAINERS = (list, tuple, dict, set, frozenset)


class RenderTimeout(TimeoutError):
    """The render passed its deadline and was stopped."""


class _Meter:
    """The deadline and what is left of the budget of one render."""

    __slots__ = ("deadline", "left", "seconds")

    def __init__(self, seconds: float, items: int) -> None:
        self.deadline = perf_counter() + seconds
        self.left = items
        self.seconds = seconds


_meter: ContextVar[_Meter | None] = ContextVar("outreach_letter_meter", default=None)
#: The meter of the render running in this context (None outside :func:`metered`).
current = _meter.get


class metered:  # noqa: N801 - used like a function: ``with metered(2.0):``
    """Run a render under a deadline of ``seconds`` and a budget of ``items``."""

    __slots__ = ("items", "seconds", "token")

    def __init__(self, seconds: float = MAX_SECONDS, items: int = MAX_RENDER_ITEMS) -> None:
        self.seconds = seconds
        self.items = items

    def __enter__(self) -> None:
        self.token = _meter.set(_Meter(self.seconds, self.items))

    def __exit__(self, *exc: object) -> None:
        _meter.reset(self.token)


def _timeout(meter: _Meter) -> RenderTimeout:
    return RenderTimeout(_("rendering took longer than %(seconds)g s", seconds=meter.seconds))


def tick() -> None:
    """Stop the render when its deadline has passed."""
    meter = _meter.get()
    if meter is not None and perf_counter() > meter.deadline:
        raise _timeout(meter)


def spend(count: int) -> None:
    """Take ``count`` from the render's budget (and check the deadline)."""
    meter = _meter.get()
    if meter is None:
        return
    meter.left -= count
    if meter.left < 0:
        raise SecurityError(
            _(
                "refused: the letter builds more than %(max)d characters in all",
                max=MAX_RENDER_ITEMS,
            )
        )
    if perf_counter() > meter.deadline:
        raise _timeout(meter)


def _too_large(size: int) -> SecurityError:
    return SecurityError(
        _("refused: a value of %(size)d items is larger than %(max)d", size=size, max=MAX_ITEMS)
    )


def size(value: Any) -> int:
    """What printing ``value`` would write, roughly; stops counting past :data:`MAX_ITEMS`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, _CONTAINERS):
        return _container_size(value, {}, 0)
    return 1


def _container_size(value: Any, seen: dict[int, int], depth: int) -> int:
    known = seen.get(id(value))
    if known is not None:
        return known
    if depth > MAX_DEPTH:
        raise SecurityError(_("refused: values nested more than %(max)d deep", max=MAX_DEPTH))
    items: Iterable[Any] = (
        [item for pair in value.items() for item in pair] if isinstance(value, dict) else value
    )
    total = 1
    for item in items:
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, _CONTAINERS):
            total += _container_size(item, seen, depth + 1)
        else:
            total += 1
        if total > MAX_ITEMS:
            break
    seen[id(value)] = total
    return total


def allow(estimate: int) -> None:
    """Refuse an operation whose result would be larger than :data:`MAX_ITEMS`."""
    if estimate > MAX_ITEMS:
        raise _too_large(estimate)


def produced(value: Any) -> Any:
    """Check the result of one operation against the caps and the budget; returns it."""
    found = size(value)
    if found > MAX_ITEMS:
        raise _too_large(found)
    spend(found)
    return value


def guarded(iterable: Iterable[Any], per_item: int = 0) -> Iterator[Any]:
    """``iterable`` item by item, each one spending ``per_item`` + 1 and checking the deadline
    (a loop's body writes ``per_item`` characters of the template's own text each time)."""
    meter = _meter.get()
    if meter is None:
        yield from iterable
        return
    cost = per_item + 1
    for item in iterable:
        meter.left -= cost
        if meter.left < 0:
            spend(0)
        if perf_counter() > meter.deadline:
            raise _timeout(meter)
        yield item


def largest(values: Iterable[Any]) -> int:
    return max((size(v) for v in values), default=0)


def replace_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    """The length of ``text.replace(old, new, count)``, computed without building it."""
    old_s, new_s = str(old), str(new)
    found = text.count(old_s) if old_s else len(text) + 1
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new_s) - len(old_s))


def join_size(separator: Any, items: list[Any]) -> int:
    return sum(size(item) for item in items) + size(separator) * max(0, len(items) - 1)


def format_size(template: str, args: Iterable[Any], marker: str) -> int:
    """An upper bound of a ``%``- or ``{}``-format's result: each placeholder the largest
    argument."""
    return len(template) + template.count(marker) * largest(args)
