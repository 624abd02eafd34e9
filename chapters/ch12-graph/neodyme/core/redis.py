"""The process's Redis connection, and what happens while Redis is away.

Redis makes the app faster and lets processes share state, but the database stays the source
of truth: when Redis does not answer, the cache misses and the limiter counts in memory.
Two things keep an outage cheap. Timeouts are short and nothing is retried, so a request
waits a fraction of a second at most; and after a failure Redis is left alone for
``BACKOFF_SECONDS``, so requests in the meantime do not wait at all.
"""

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 5.0

REDIS_ERRORS = (RedisError, OSError)
"""What a Redis call raises when the server is down, unreachable, slow or confused."""


class SharedRedis:
    """A Redis client with short timeouts, a key prefix and a memory of recent failures."""

    def __init__(
        self,
        url: str,
        prefix: str,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
        )
        self.prefix = prefix
        self.clock = clock
        self._down_until = 0.0

    def key(self, name: str) -> str:
        """``name`` in this app's namespace (``NEODYME_REDIS_KEY_PREFIX``)."""
        return self.prefix + name

    @property
    def available(self) -> bool:
        """False for a few seconds after a failure: callers go straight to their fallback."""
        return self.clock() >= self._down_until

    def failed(self, error: Exception, doing: str) -> None:
        """Record a failed call; the first failure of an outage is logged as a warning."""
        if self.available:
            logger.warning(
                "Redis is unavailable (%r while %s): falling back for %.0fs",
                error,
                doing,
                BACKOFF_SECONDS,
            )
        self._down_until = self.clock() + BACKOFF_SECONDS

    async def close(self) -> None:
        await self.client.aclose()
