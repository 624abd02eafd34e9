"""Failed-login limiters: in this process's memory, or in Redis, shared by every process.

Each key (an email address, a client address) may fail ``max_failures`` times within a sliding
``window``; after that it must wait until its oldest failure leaves the window. The login
route uses two coroutines, the same for both limiters: ``acquire`` counts an attempt (or says
how long to wait) and ``succeeded`` takes the count back for a correct password.
"""

import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable

from neodyme.core.redis import REDIS_ERRORS, SharedRedis

logger = logging.getLogger(__name__)


class FailedLoginLimiter:
    MAX_TRACKED_KEYS = 100_000

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    async def acquire(self, keys: list[str]) -> int | None:
        """Count a failure for every key, or, if one is over the limit, the seconds to wait.

        The attempt counts before the slow password check, so that guesses sent in parallel
        are all counted; ``succeeded`` takes it back.
        """
        waits = [wait for key in keys if (wait := self.retry_after(key)) is not None]
        if waits:
            return max(waits)
        for key in keys:
            self.record_failure(key)
        return None

    async def succeeded(self, reset_key: str, forgive_key: str) -> None:
        """A correct password: forget ``reset_key``'s failures, take back one of ``forgive_key``."""
        self.reset(reset_key)
        self.forgive_one(forgive_key)

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may try now."""
        failures = self._recent_failures(key)
        if len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[0] + self.window_seconds - self.clock()))

    def record_failure(self, key: str) -> None:
        if len(self._failures) >= self.MAX_TRACKED_KEYS:
            self._forget_expired()
        self._failures.setdefault(key, deque()).append(self.clock())

    def forgive_one(self, key: str) -> None:
        """Take back the newest failure recorded for ``key`` (it turned out to be a success)."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent_failures(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        cutoff = self.clock() - self.window_seconds
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def _forget_expired(self) -> None:
        for key in list(self._failures):
            if not self._recent_failures(key):
                del self._failures[key]


# Check every key, then count the attempt for all of them, as one atomic step on the server:
# two processes cannot both slip through the last free attempt. Redis's own clock is used, so
# the processes' clocks do not have to agree. Returns 0, or the milliseconds to wait.
ACQUIRE_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local max_failures, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= max_failures then
    local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    wait = math.max(wait, oldest + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisLoginLimiter:
    """The same limits, kept in Redis sorted sets (one per key, scored by time).

    While Redis is unavailable, ``fallback`` (an in-process limiter) counts instead: the limit
    then holds per process, which is weaker, but logins keep working.
    """

    def __init__(self, redis: SharedRedis, fallback: FailedLoginLimiter) -> None:
        self.redis = redis
        self.fallback = fallback
        self._acquire = redis.client.register_script(ACQUIRE_SCRIPT)

    async def acquire(self, keys: list[str]) -> int | None:
        if self.redis.available:
            window_ms = int(self.fallback.window_seconds * 1000)
            args = [self.fallback.max_failures, window_ms, uuid.uuid4().hex]
            try:
                wait_ms = await self._acquire([self._key(key) for key in keys], args)
            except REDIS_ERRORS as error:
                self.redis.failed(error, "counting a login attempt")
            else:
                return max(1, math.ceil(wait_ms / 1000)) if wait_ms else None
        return await self.fallback.acquire(keys)

    async def succeeded(self, reset_key: str, forgive_key: str) -> None:
        if self.redis.available:
            try:
                async with self.redis.client.pipeline(transaction=True) as pipe:
                    pipe.delete(self._key(reset_key))
                    pipe.zpopmax(self._key(forgive_key))
                    await pipe.execute()
            except REDIS_ERRORS as error:
                self.redis.failed(error, "forgetting login failures")
        await self.fallback.succeeded(reset_key, forgive_key)

    def _key(self, key: str) -> str:
        return self.redis.key(f"login:{key}")
