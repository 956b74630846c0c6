"""The failed-login throttle: failed attempts counted per account and per client address.

Following OWASP's authentication advice, only failures count (a whole office logging in from
behind one proxy is never locked out by its own successful logins), per account (slow
guessing of one password from many addresses) and per client address (one address trying
many accounts). A locked-out attempt is refused before the password is checked, and the
answer is the same whether the account exists or not: the account key is the address as
typed, existing or not. The counters are moving windows kept in Redis (the ``limits``
library), shared by every web process. When Redis cannot be reached the throttle lets the
attempt through and logs a warning: staff can still log in while the queue is down.

The client address is ``request.remote_addr``; behind reverse proxies set
``TRUSTED_PROXIES`` so that it is taken from ``X-Forwarded-For`` (see :mod:`outreach.web`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from outreach.queue import get_redis, redis_url

log = logging.getLogger(__name__)

#: The settings, with what they limit.
SETTINGS = {
    "LOGIN_ACCOUNT_LIMIT": "failed logins per account",
    "LOGIN_ADDRESS_LIMIT": "failed logins per client address",
}
_limiters: dict[str, MovingWindowRateLimiter] = {}
T = TypeVar("T")


def parse_limit(setting: str, value: str) -> RateLimitItem:
    """``"10 per 15 minutes"`` as a limit; a bad value raises ``ValueError`` naming ``setting``."""
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(
            f"{setting}={value!r} is not a limit such as '10 per 15 minutes' ({exc})"
        ) from None


def check_settings(app: Flask) -> None:
    """Refuse to start with a setting the throttle cannot read."""
    for setting in SETTINGS:
        parse_limit(setting, app.config[setting])


def _limiter() -> MovingWindowRateLimiter:
    url = redis_url()
    limiter = _limiters.get(url)
    if limiter is None:
        storage = RedisStorage(
            "redis://", connection_pool=get_redis().connection_pool, wrap_exceptions=True
        )
        limiter = _limiters[url] = MovingWindowRateLimiter(storage)
    return limiter


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _checks(email: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
    config = current_app.config
    return [
        (parse_limit(s, config[s]), s.lower(), key)
        for s, key in (
            ("LOGIN_ACCOUNT_LIMIT", _account_key(email)),
            ("LOGIN_ADDRESS_LIMIT", address or "unknown"),
        )
    ]


def _guarded(action: Callable[[], T], fallback: T) -> T:
    try:
        return action()
    except (RedisError, StorageError, OSError) as exc:
        log.warning("login throttle unavailable, attempt let through: %s", exc)
        return fallback


def wait_seconds(email: str, address: str) -> int:
    """Seconds before ``email`` may be tried from ``address`` again; 0: it may be tried now."""

    def wait() -> int:
        limiter, now, longest = _limiter(), time.time(), 0.0
        for item, name, key in _checks(email, address):
            if not limiter.test(item, name, key):
                reset = limiter.get_window_stats(item, name, key).reset_time
                longest = max(longest, reset - now, 1.0)
        return math.ceil(longest)

    return _guarded(wait, 0)


def record_failure(email: str, address: str) -> int:
    """Count a failed attempt; returns :func:`wait_seconds` after it."""

    def hit() -> None:
        limiter = _limiter()
        for item, name, key in _checks(email, address):
            limiter.hit(item, name, key)

    _guarded(hit, None)
    return wait_seconds(email, address)


def record_success(email: str) -> None:
    """The account's failures are forgotten once its password is given (its address's are not)."""

    def clear() -> None:
        item, name, key = _checks(email, "")[0]
        _limiter().clear(item, name, key)

    _guarded(clear, None)
