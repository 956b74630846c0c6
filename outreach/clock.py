"""The one source of "now" for the application: naive UTC datetimes.

Tests shift time with :func:`travel` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _offset


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Move the application's clock forward by ``delta`` inside the block."""
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
