"""A per-connection rate limit (``--max-rate``): a token bucket of ``rate`` per second,
bursts of ``rate`` (at least one); the clock is injectable, so tests never sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


class RequestRate:
    """Counts one connection's requests against ``rate`` per second."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.rate = rate
        self.burst = max(rate, 1.0)
        self._clock = clock
        self._allowance = self.burst
        self._checked_at = clock()

    def allow(self) -> bool:
        """Take one request's worth from the bucket; False if it is empty (the
        request is over the limit and takes nothing)."""
        now = self._clock()
        self._allowance = min(self.burst, self._allowance + (now - self._checked_at) * self.rate)
        self._checked_at = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True
