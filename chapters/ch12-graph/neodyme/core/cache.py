"""Cache-aside for hot reads: ask the cache, and on a miss load from the database and remember.

Three problems make a cache hard, and each has one answer here:

- **Stale reads.** Every write that changes a cached value calls ``invalidate`` after its
  commit, and every entry expires after a short TTL, which bounds the damage of a lost
  invalidation (Redis down at that moment).
- **The race between a slow load and a write.** A load that read the old row may finish after
  the write invalidated the key, and would put the old value back. So ``invalidate`` leaves a
  *tombstone* for ``HOLD_SECONDS``, and a load only stores its value where nothing is stored
  (Redis ``SET NX``). A load that took longer than ``HOLD_SECONDS`` stores nothing at all.
- **The stampede.** When a hot key expires, a hundred concurrent requests would all miss and
  all run the same query. Concurrent misses for one key share one load (single-flight).

Values are JSON through pydantic, never pickle: a cache shared through Redis must not be able
to run code in the app. A value that fails to parse counts as a miss.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from neodyme.core.config import Settings
from neodyme.core.redis import REDIS_ERRORS, SharedRedis

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

HOLD_SECONDS = 5.0
TOMBSTONE = b"-"
"""Stored by ``invalidate``: not JSON, so a reader can never mistake it for a value."""


class CacheStore(Protocol):
    """Where cached bytes live: this process's memory, or Redis."""

    async def get(self, key: str) -> bytes | None: ...

    async def add(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` unless the key holds something (a value or a tombstone)."""

    async def invalidate(self, key: str, hold: float) -> None:
        """Replace whatever the key holds with a tombstone that lasts ``hold`` seconds."""


class MemoryStore:
    """A bounded in-process store: least recently used entries go first once it is full.

    Right for one process only: another process's writes cannot invalidate it.
    """

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def add(self, key: str, value: bytes, ttl: float) -> None:
        if await self.get(key) is None:
            self._put(key, value, ttl)

    async def invalidate(self, key: str, hold: float) -> None:
        self._put(key, TOMBSTONE, hold)

    def _put(self, key: str, value: bytes, ttl: float) -> None:
        self._entries[key] = (self.clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class RedisStore:
    """A store shared by every process that uses the same Redis and key prefix.

    A failed read is a miss and a failed write is skipped: both are logged by ``SharedRedis``,
    and the request carries on with the database.
    """

    def __init__(self, redis: SharedRedis) -> None:
        self.redis = redis

    async def get(self, key: str) -> bytes | None:
        return await self._call("reading the cache", self.redis.client.get, self.redis.key(key))

    async def add(self, key: str, value: bytes, ttl: float) -> None:
        await self._call(
            "filling the cache",
            self.redis.client.set,
            self.redis.key(key),
            value,
            px=int(ttl * 1000),
            nx=True,
        )

    async def invalidate(self, key: str, hold: float) -> None:
        await self._call(
            "invalidating the cache",
            self.redis.client.set,
            self.redis.key(key),
            TOMBSTONE,
            px=int(hold * 1000),
        )

    async def _call(self, doing: str, method, *args, **kwargs):
        if not self.redis.available:
            logger.debug("Redis is unavailable: skipped %s", doing)
            return None
        try:
            return await method(*args, **kwargs)
        except REDIS_ERRORS as error:
            self.redis.failed(error, doing)
            return None


class Cache:
    """Cache-aside with invalidation, tombstones and single-flight, over any ``CacheStore``."""

    def __init__(
        self, store: CacheStore, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._loads: dict[str, asyncio.Task] = {}

    async def get_or_load(
        self, key: str, model: type[M], load: Callable[[], Awaitable[M | None]]
    ) -> M | None:
        """The cached value of ``key``, or what ``load()`` returns (``None`` is not cached)."""
        if self.ttl_seconds == 0:
            return await load()
        raw = await self.store.get(key)
        if raw is not None and raw != TOMBSTONE:
            try:
                return model.model_validate_json(raw)
            except ValidationError:
                logger.warning("Ignoring an unreadable cache entry for %s", key)
        task = self._loads.get(key)
        if task is None:
            task = asyncio.create_task(self._load_and_store(key, load))
            self._loads[key] = task
            task.add_done_callback(lambda done: self._forget_load(key, done))
        # shield: one caller giving up (a client disconnect) must not cancel the others' load.
        return await asyncio.shield(task)

    async def invalidate(self, key: str) -> None:
        """Call after committing a change to what ``key`` caches."""
        self._loads.pop(key, None)  # later readers must not join a load that began before
        await self.store.invalidate(key, HOLD_SECONDS)

    async def _load_and_store(self, key: str, load: Callable[[], Awaitable[M | None]]) -> M | None:
        started = self.clock()
        value = await load()
        if value is not None and self.clock() - started < HOLD_SECONDS:
            await self.store.add(key, value.model_dump_json().encode(), self.ttl_seconds)
        return value

    def _forget_load(self, key: str, task: asyncio.Task) -> None:
        if self._loads.get(key) is task:
            del self._loads[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited is not reported twice


def create_cache(settings: Settings, redis: SharedRedis | None) -> Cache:
    """Redis when configured; otherwise memory, which only one process can keep correct.

    Several workers without Redis could not invalidate each other's memory: a deactivated
    user would stay cached in the other workers until the TTL. So that setup caches nothing.
    """
    if redis is not None:
        return Cache(RedisStore(redis), settings.cache_ttl_seconds)
    ttl = settings.cache_ttl_seconds
    if settings.workers > 1 and ttl:
        logger.warning("%d workers and no NEODYME_REDIS_URL: caching is off", settings.workers)
        ttl = 0
    return Cache(MemoryStore(settings.cache_max_entries), ttl)
