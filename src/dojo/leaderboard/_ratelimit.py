"""A token-bucket rate limiter for learner endpoints (in memory, per service process)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

__all__ = ["RateLimiter"]


class RateLimiter:
    """Allow ``rate`` requests per ``period`` seconds per key, with bursts up to ``rate``.

    Args:
        rate: Bucket size and refill amount per period.
        period: Refill period in seconds.
        clock: The service clock (a fake clock makes tests deterministic).
        max_keys: Buckets kept before the fullest ones are dropped (bounded memory).
    """

    def __init__(
        self, rate: int, period: float, clock: Callable[[], datetime], max_keys: int = 10_000
    ) -> None:
        self.rate = rate
        self.period = period
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Take one token for ``key``.

        Returns:
            0 if allowed, else the seconds until a token is available.
        """
        now = self.clock().timestamp()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * self.rate / self.period)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) * self.period / self.rate
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                # Drop the keys with the most tokens left: they lose nothing by starting full.
                for k, _ in sorted(self._buckets.items(), key=lambda kv: -kv[1][0])[
                    : self.max_keys // 10
                ]:
                    del self._buckets[k]
            self._buckets[key] = (tokens - 1, now)
            return 0.0
