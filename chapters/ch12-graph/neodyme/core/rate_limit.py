"""Limits on what an attacker repeats: password guesses, and asking whether an email is taken.

An ``AttemptLimiter`` counts attempts per key in a sliding window, in this process's memory;
a ``RedisAttemptLimiter`` keeps the same counts in Redis, shared by every process. Each
``Quota`` pairs a key with the attempts it may make. Both limiters, each a ``Limiter``, offer two
coroutines: ``acquire`` counts an attempt (or says how long to wait) and ``succeeded`` takes
it back when it turned out harmless. ``Attempts`` builds the keys for one client, the way OWASP's
Authentication Cheat Sheet describes: a tight limit per (account, client), a looser one per
account against guessing spread over many addresses, and a much looser one per client, so
that everyone behind one address (an office, a NAT, 127.0.0.1) is not treated as one account.
"""

import hashlib
import ipaddress
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from neodyme.core.exceptions import TooManyRequestsError
from neodyme.core.redis import REDIS_ERRORS, SharedRedis


@dataclass(frozen=True)
class Limits:
    """How many attempts each key may make within ``window_seconds`` (from the settings)."""

    guesses_per_account_and_client: int
    guesses_per_account: int
    guesses_per_client: int
    email_claims: int
    window_seconds: int


@dataclass(frozen=True)
class Quota:
    key: str
    allowed: int


class Limiter(Protocol):
    """Where attempts are counted: this process's memory, or Redis."""

    async def acquire(self, quotas: list[Quota]) -> int | None:
        """Count an attempt for every quota's key, or, if one is used up, the seconds to wait."""

    async def succeeded(self, reset_key: str, forgive_keys: list[str]) -> None:
        """A harmless attempt: forget ``reset_key``'s count, take one back from the others."""


def limit_key(kind: str, *parts: str) -> str:
    """A key of fixed size, whatever the client sent: a digest, never the raw email."""
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"{kind}:{digest}"


def client_of(host: str | None) -> str:
    """The address a client is counted under: IPv6 by its /64, which one machine gets whole."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "-"
    if address.version == 6 and address.ipv4_mapped:  # IPv4, seen by a dual-stack server
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class AttemptLimiter:
    """Attempts per key in a sliding window, in this process's memory, for at most ``max_keys``.

    When the table is full, expired keys are forgotten first, then keys that block nothing yet.
    A key that blocks (a lockout) is never forgotten early, so flooding the table with new keys
    cannot lift one; if every key blocks, new ones are refused until some expire.
    """

    MAX_TRACKED_KEYS = 100_000

    def __init__(
        self,
        window_seconds: float,
        max_keys: int = MAX_TRACKED_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self.clock = clock
        self._attempts: dict[str, tuple[int, deque[float]]] = {}
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._attempts)

    async def acquire(self, quotas: list[Quota]) -> int | None:
        """Count an attempt for every quota's key, or, if one is used up, the seconds to wait.

        The attempt counts before the slow work it guards, so attempts sent in parallel are all
        counted; ``forgive`` takes it back when it turns out to be harmless.
        """
        waits = [wait for quota in quotas if (wait := self._wait(quota)) is not None]
        if waits:
            return max(waits)
        if not self._has_room_for(quotas):
            return math.ceil(self.window_seconds)
        now = self.clock()
        for quota in quotas:
            self._attempts.setdefault(quota.key, (quota.allowed, deque()))[1].append(now)
        return None

    async def succeeded(self, reset_key: str, forgive_keys: list[str]) -> None:
        """A harmless attempt: forget ``reset_key``'s count, take one back from the others."""
        self.reset(reset_key)
        for key in forgive_keys:
            self.forgive(key)

    def forgive(self, key: str) -> None:
        """Take back the newest attempt counted for ``key`` (if it is still in the window)."""
        attempts = self._recent(key)
        if attempts:
            attempts.pop()
        if not attempts:
            self._attempts.pop(key, None)

    def reset(self, key: str) -> None:
        self._attempts.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        _, attempts = self._attempts.get(key, (0, deque()))
        cutoff = self.clock() - self.window_seconds
        while attempts and attempts[0] <= cutoff:
            attempts.popleft()
        return attempts

    def _wait(self, quota: Quota) -> int | None:
        attempts = self._recent(quota.key)
        if len(attempts) < quota.allowed:
            return None
        return max(1, math.ceil(attempts[0] + self.window_seconds - self.clock()))

    def _has_room_for(self, quotas: list[Quota]) -> bool:
        """Whether the new keys fit; when full, forget every key that blocks nothing, at most
        once a second (a full sweep is slow, and a table of lockouts frees nothing)."""

        def fits() -> bool:
            new_keys = sum(quota.key not in self._attempts for quota in quotas)
            return len(self._attempts) + new_keys <= self.max_keys

        if fits() or self.clock() < self._next_sweep:
            return fits()
        self._next_sweep = self.clock() + 1
        for key, (allowed, _) in list(self._attempts.items()):
            if len(self._recent(key)) < allowed:
                del self._attempts[key]
        return fits()


# Check every key against its allowance, then count the attempt for all of them, as one atomic
# step on the server: two processes cannot both slip through the last free attempt. Redis's own
# clock is used, so the processes' clocks do not have to agree. ARGV: the window (ms), this
# attempt's id, then each key's allowance. Returns 0, or the milliseconds to wait. A key that
# blocks is checked before anything is written, so even a Redis that refuses writes (full, with
# ``noeviction``) still answers its 429s.
ACQUIRE_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    wait = math.max(wait, oldest + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisAttemptLimiter:
    """The same limits, kept in Redis sorted sets (one per key, scored by time).

    A key is a fixed-size digest and holds at most its allowance of entries, each expiring with
    the window, so a client cannot grow Redis faster than its limits let it try. While Redis is
    unavailable, ``fallback`` (an in-process limiter) counts instead: the limits then hold per
    process, which is weaker, but logins keep working.
    """

    def __init__(self, redis: SharedRedis, fallback: AttemptLimiter) -> None:
        self.redis = redis
        self.fallback = fallback
        self._acquire = redis.client.register_script(ACQUIRE_SCRIPT)

    async def acquire(self, quotas: list[Quota]) -> int | None:
        if self.redis.available:
            window_ms = int(self.fallback.window_seconds * 1000)
            args = [window_ms, uuid.uuid4().hex, *(quota.allowed for quota in quotas)]
            try:
                wait_ms = await self._acquire([self._key(q.key) for q in quotas], args)
            except REDIS_ERRORS as error:
                self.redis.failed(error, "counting an attempt")
            else:
                return max(1, math.ceil(wait_ms / 1000)) if wait_ms else None
        return await self.fallback.acquire(quotas)

    async def succeeded(self, reset_key: str, forgive_keys: list[str]) -> None:
        if self.redis.available:
            try:
                async with self.redis.client.pipeline(transaction=True) as pipe:
                    pipe.delete(self._key(reset_key))
                    for key in forgive_keys:
                        pipe.zpopmax(self._key(key))
                    await pipe.execute()
            except REDIS_ERRORS as error:
                self.redis.failed(error, "taking back an attempt")
        await self.fallback.succeeded(reset_key, forgive_keys)

    def _key(self, key: str) -> str:
        return self.redis.key(f"limit:{key}")


class Attempts:
    """One client's attempts at what must stay rare, counted against ``limits``."""

    def __init__(self, limiter: Limiter, limits: Limits, client: str) -> None:
        self.limiter = limiter
        self.limits = limits
        self.client = client

    async def _acquire(self, quotas: list[Quota]) -> None:
        if (wait := await self.limiter.acquire(quotas)) is not None:
            raise TooManyRequestsError(retry_after=wait)

    async def guess_password(
        self, email: str, account_id: int | None, check: Callable[[], Awaitable[bool]]
    ) -> bool:
        """Run ``check``, a password check for ``email``, as one guess: 429 over a limit.

        An unknown email is limited per (email, client) and per client, so it answers exactly
        like a known one from one address; only accounts that exist get a per-account key, so
        made-up emails cannot fill the limiter with keys. A right guess is taken back.
        """
        limits = self.limits
        pair = Quota(limit_key("guess", email, self.client), limits.guesses_per_account_and_client)
        quotas = [pair, Quota(limit_key("guess-client", self.client), limits.guesses_per_client)]
        if account_id is not None:
            account = limit_key("guess-account", str(account_id))
            quotas.append(Quota(account, limits.guesses_per_account))
        await self._acquire(quotas)
        right = await check()
        if right:
            await self.limiter.succeeded(pair.key, [quota.key for quota in quotas[1:]])
        return right

    async def claim_email(self, account_id: int | None = None) -> None:
        """Count a sign-up, or an account's email change: each tells whether an email is taken.

        Both outcomes count, so a 201 (or 200) and a 409 cost the same and come just as rarely.
        """
        allowed = self.limits.email_claims
        quotas = [Quota(limit_key("claim-client", self.client), allowed)]
        if account_id is not None:
            quotas.append(Quota(limit_key("claim-account", str(account_id)), allowed))
        await self._acquire(quotas)
