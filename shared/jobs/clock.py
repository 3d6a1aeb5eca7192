"""Time for job logic: an injected callable returning aware UTC datetimes, never time.time()."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Return the current UTC time (the production clock)."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told: tests, the demo and benchmarks fast-forward with it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """Return the current emulated time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (negative values are ignored)."""
        with self._lock:
            self._now += timedelta(seconds=max(0.0, seconds))
