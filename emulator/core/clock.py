"""The emulated UTC clock: frozen until advanced, so long Azure processes move only on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def to_iso(moment: datetime) -> str:
    """Return `moment` in Azure's 7-digit form, e.g. 2026-01-01T00:00:00.0000000+00:00."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"


class Clock:
    """Emulated time; `advance` moves it and notifies listeners (operations settle on it)."""

    def __init__(self, start: datetime | None = None) -> None:
        base = start or datetime.now(UTC).replace(microsecond=0)
        self._start = base.astimezone(UTC)
        self._now = self._start
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        """Return the current emulated time (tz-aware UTC)."""
        with self._lock:
            return self._now

    def iso(self, moment: datetime | None = None) -> str:
        """Return `moment` (default: now) formatted as ARM does."""
        return to_iso(moment or self.now())

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (>= 0); return the new time."""
        if seconds < 0:
            raise ValueError("the emulated clock never goes backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
        for listener in list(self._listeners):
            listener(now)
        return now

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        """Call `listener(now)` after every advance."""
        self._listeners.append(listener)

    def reset(self) -> None:
        """Go back to the start time (listeners stay registered)."""
        with self._lock:
            self._now = self._start
