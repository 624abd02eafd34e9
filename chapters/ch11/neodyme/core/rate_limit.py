"""A failed-login limiter kept in this process's memory.

Each key (an email address, a client address) may fail ``max_failures`` times within a sliding
``window``; after that it must wait until its oldest failure leaves the window. One process
only: with several workers each keeps its own counts (chapter 12 moves them to Redis).
"""

import math
import time
from collections import deque
from collections.abc import Callable


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
