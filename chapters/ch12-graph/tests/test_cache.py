"""The cache on its own: hits, misses, invalidation, the load/write race and single-flight.

Every behaviour is checked on both stores: this process's memory and Redis.
"""

import asyncio

import pytest
from pydantic import BaseModel

from neodyme.core.cache import HOLD_SECONDS, Cache, MemoryStore, RedisStore
from neodyme.core.redis import SharedRedis


class Item(BaseModel):
    name: str


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


FROM_DATABASE = Item(name="from the database")


class Loader:
    """Counts its calls; ``gate`` holds every call until the test opens it."""

    def __init__(self, value: Item | None = FROM_DATABASE) -> None:
        self.value = value
        self.calls = 0
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> Item | None:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        return self.value


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    if request.param == "memory":
        yield MemoryStore(max_entries=100)
        return
    redis_settings = request.getfixturevalue("redis_settings")
    redis = SharedRedis(redis_settings["redis_url"], redis_settings["redis_key_prefix"], 1.0)
    yield RedisStore(redis)
    await redis.close()


@pytest.fixture
def cache(store) -> Cache:
    return Cache(store, ttl_seconds=60)


async def test_a_miss_loads_and_the_next_read_hits(cache):
    load = Loader()

    first = await cache.get_or_load("k", Item, load)
    second = await cache.get_or_load("k", Item, load)

    assert first == second == Item(name="from the database")
    assert load.calls == 1


async def test_nothing_found_is_not_cached(cache):
    load = Loader(value=None)

    assert await cache.get_or_load("k", Item, load) is None
    assert await cache.get_or_load("k", Item, load) is None
    assert load.calls == 2


async def test_an_invalidated_key_loads_again(cache):
    await cache.get_or_load("k", Item, Loader())

    await cache.invalidate("k")
    fresh = Loader(Item(name="changed"))

    assert await cache.get_or_load("k", Item, fresh) == Item(name="changed")
    assert fresh.calls == 1


async def test_a_load_that_began_before_a_write_does_not_store_the_old_value(cache):
    slow = Loader(Item(name="old"))
    slow.gate.clear()
    reading = asyncio.create_task(cache.get_or_load("k", Item, slow))
    await asyncio.sleep(0.01)  # the load has read the old row and is on its way back

    await cache.invalidate("k")  # a write committed meanwhile
    slow.gate.set()
    assert await reading == Item(name="old")  # that request saw the old value ...

    fresh = Loader(Item(name="new"))
    assert await cache.get_or_load("k", Item, fresh) == Item(name="new")  # ... nobody else does
    assert fresh.calls == 1


async def test_concurrent_misses_share_one_load(cache):
    load = Loader()
    load.gate.clear()
    readers = [asyncio.create_task(cache.get_or_load("k", Item, load)) for _ in range(50)]
    await load.started.wait()  # the first reader's miss has started the load ...
    await asyncio.sleep(0.2)  # ... and every other reader's store read has come back
    load.gate.set()

    results = await asyncio.gather(*readers)

    assert load.calls == 1
    assert results == [Item(name="from the database")] * 50


async def test_a_failed_load_fails_every_waiter_and_is_not_cached(cache):
    async def broken() -> Item:
        await asyncio.sleep(0.01)
        raise RuntimeError("database down")

    readers = [asyncio.create_task(cache.get_or_load("k", Item, broken)) for _ in range(3)]
    results = await asyncio.gather(*readers, return_exceptions=True)

    assert all(isinstance(result, RuntimeError) for result in results)
    assert await cache.get_or_load("k", Item, Loader()) == Item(name="from the database")


async def test_an_unreadable_entry_is_a_miss(store, cache, caplog):
    await store.add("k", b"{not json", 60)

    assert await cache.get_or_load("k", Item, Loader()) == Item(name="from the database")
    assert "unreadable cache entry" in caplog.text


async def test_a_ttl_of_zero_caches_nothing(store):
    cache = Cache(store, ttl_seconds=0)
    load = Loader()

    await cache.get_or_load("k", Item, load)
    await cache.get_or_load("k", Item, load)

    assert load.calls == 2


async def test_memory_entries_expire_and_tombstones_lapse():
    clock = Clock()
    cache = Cache(MemoryStore(max_entries=10, clock=clock), ttl_seconds=30, clock=clock)
    await cache.get_or_load("k", Item, Loader())

    clock.now += 31
    load = Loader()
    await cache.get_or_load("k", Item, load)
    assert load.calls == 1  # expired: loaded again

    await cache.invalidate("k")
    clock.now += HOLD_SECONDS + 1
    await cache.get_or_load("k", Item, Loader())
    load = Loader()
    await cache.get_or_load("k", Item, load)
    assert load.calls == 0  # the tombstone lapsed, so the load after it was stored


async def test_a_load_slower_than_the_hold_is_not_stored():
    clock = Clock()
    cache = Cache(MemoryStore(max_entries=10), ttl_seconds=30, clock=clock)

    async def slow() -> Item:
        clock.now += HOLD_SECONDS + 1
        return Item(name="maybe stale")

    await cache.get_or_load("k", Item, slow)
    load = Loader()
    await cache.get_or_load("k", Item, load)

    assert load.calls == 1


async def test_the_memory_store_forgets_the_least_recently_used_first():
    store = MemoryStore(max_entries=2)
    await store.add("a", b"1", 60)
    await store.add("b", b"2", 60)
    await store.get("a")

    await store.add("c", b"3", 60)

    assert (await store.get("a"), await store.get("b"), await store.get("c")) == (b"1", None, b"3")
