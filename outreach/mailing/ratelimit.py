"""A sending rate limit shared by every worker on every machine, kept in Redis.

Sliding windows (a sorted set of send times per window) checked and taken in one Lua script,
using the Redis server's clock, so two workers can never both take the last slot.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from redis import Redis

_ACQUIRE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i * 2])
  local window = tonumber(ARGV[i * 2 + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local free_at = tonumber(oldest[2]) + window - now
    if free_at > wait then wait = free_at end
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('EXPIRE', KEYS[i], math.ceil(tonumber(ARGV[i * 2 + 1])) + 1)
end
return '0'
"""

PREFIX = "outreach:mail:rate:"


class RateLimit:
    """``acquire()`` takes a slot and returns 0, or returns the seconds until one frees."""

    def __init__(self, redis: Redis, per_minute: int = 0, per_hour: int = 0) -> None:
        self.redis = redis
        self.windows = [
            (f"{PREFIX}minute", limit, 60) for limit in [per_minute] if limit and limit > 0
        ] + [(f"{PREFIX}hour", limit, 3600) for limit in [per_hour] if limit and limit > 0]
        self._script = redis.register_script(_ACQUIRE) if self.windows else None

    @classmethod
    def from_config(cls, redis: Redis, config: Mapping[str, Any]) -> RateLimit:
        return cls(
            redis,
            int(config.get("MAIL_RATE_PER_MINUTE") or 0),
            int(config.get("MAIL_RATE_PER_HOUR") or 0),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.windows)

    def acquire(self) -> tuple[float, str]:
        """``(0, token)`` when a slot was taken, else ``(seconds to wait, "")``."""
        if self._script is None:
            return 0.0, ""
        token = uuid.uuid4().hex
        args: list[Any] = [token]
        for _key, limit, window in self.windows:
            args += [limit, window]
        wait = float(self._script(keys=[key for key, _l, _w in self.windows], args=args))
        return (wait, "") if wait > 0 else (0.0, token)

    def release(self, token: str) -> None:
        """Give back a slot taken for a letter that was not sent after all."""
        if token:
            for key, _limit, _window in self.windows:
                self.redis.zrem(key, token)
